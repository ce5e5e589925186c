import mongoose from 'mongoose';
import { WriteLockTimeoutError, withWriteLock } from '../src/lib/writeLock';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();
const db = () => mongoose.connection.db!;
const isFerretDb = async () => 'ferretdbVersion' in (await db().admin().command({ buildInfo: 1 }));

it('runs writes on one key one at a time where the database needs it, and lets the next one in', async () => {
  let running = 0;
  let mostAtOnce = 0;
  const write = async () => {
    running += 1;
    mostAtOnce = Math.max(mostAtOnce, running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running -= 1;
  };
  await Promise.all(Array.from({ length: 5 }, () => withWriteLock(db(), 'test:serial', write)));
  // MongoDB applies single-document updates atomically and takes no lock.
  expect(mostAtOnce).toBe((await isFerretDb()) ? 1 : 5);
  expect(
    await db()
      .collection('write_locks')
      .countDocuments({ _id: 'test:serial' as never }),
  ).toBe(0);
});

it('gives up on a busy lock with a "try again" 503, not a 500', async () => {
  if (!(await isFerretDb())) {
    await expect(withWriteLock(db(), 'test:busy', async () => 'ran')).resolves.toBe('ran');
    return;
  }
  await db()
    .collection('write_locks')
    .insertOne({ _id: 'test:busy' as never, token: 'someone else', takenAt: new Date() });
  const attempt = withWriteLock(db(), 'test:busy', async () => 'ran', { giveUpAfterMs: 300 });
  await expect(attempt).rejects.toBeInstanceOf(WriteLockTimeoutError);
  await expect(attempt).rejects.toMatchObject({ status: 503 });
});

it('takes over a lock left behind by a crashed process', async () => {
  await db()
    .collection('write_locks')
    .insertOne({ _id: 'test:stale' as never, token: 'crashed', takenAt: new Date(Date.now() - 60_000) });
  await expect(withWriteLock(db(), 'test:stale', async () => 'ran')).resolves.toBe('ran');
});
