import { Schema, model } from 'mongoose';
import { serialized } from '../db';

/** Named sequences (order numbers): one document each, moved on by an atomic `$inc`. */
const Counter = model<{ _id: string; value: number }>(
  'Counter',
  new Schema<{ _id: string; value: number }>({
    _id: { type: String, required: true },
    value: { type: Number, default: 0 },
  }),
);

/** The next value of the sequence `name` (1, 2, 3, …): never the same twice, across instances. */
export async function nextValue(name: string): Promise<number> {
  const counter = await serialized(`counter:${name}`, () =>
    Counter.findOneAndUpdate({ _id: name }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' }),
  );
  if (!counter) throw new Error(`the counter ${name} did not answer`);
  return counter.value;
}
