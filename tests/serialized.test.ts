import mongoose from 'mongoose';
import { DatabaseBusyError, serialized } from '../src/db';
import { LOCKS_COLLECTION } from '../src/db/serialized';
import { itWhereServerHas, itWhereServerLacks } from './helpers/server';
import { useTestDatabase } from './helpers/testApp';

useTestDatabase();
const locks = () =>
  mongoose.connection.db!.collection<{ _id: string; token: string; expiresAt: Date }>(LOCKS_COLLECTION);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` changes on one key at once; resolves to how many ran at the same time at most. */
async function mostAtOnce(key: string, count: number, ms = 20): Promise<number> {
  let running = 0;
  let most = 0;
  const change = async () => {
    running += 1;
    most = Math.max(most, running);
    await pause(ms);
    running -= 1;
  };
  await Promise.all(Array.from({ length: count }, () => serialized(key, change)));
  return most;
}

itWhereServerLacks('atomicUpdates', 'its updates are atomic, so no lock is taken')(
  'runs changes to one key one at a time, and leaves no lock behind',
  async () => {
    expect(await mostAtOnce('test:serial', 5)).toBe(1);
    expect(await locks().countDocuments({ _id: 'test:serial' })).toBe(0);
  },
);

itWhereServerHas('atomicUpdates', 'its updates are not atomic, so a lock is needed')(
  'takes no lock where single-document updates are atomic',
  async () => {
    expect(await mostAtOnce('test:free', 5)).toBe(5);
    expect(await locks().countDocuments()).toBe(0);
  },
);

itWhereServerLacks('atomicUpdates', 'no lock is taken there')(
  'gives up on a busy lock with a "try again" 503, not a 500',
  async () => {
    await locks().insertOne({ _id: 'test:busy', token: 'someone else', expiresAt: new Date(Date.now() + 60_000) });
    const attempt = serialized('test:busy', async () => 'ran', { giveUpAfterMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(DatabaseBusyError);
    await expect(attempt).rejects.toMatchObject({ status: 503, retryAfterSeconds: 5 });
  },
);

itWhereServerLacks('atomicUpdates', 'no lock is taken there')(
  'takes over at once a lock whose holder stopped renewing it (a killed process)',
  async () => {
    await locks().insertOne({ _id: 'test:stale', token: 'killed', expiresAt: new Date(Date.now() - 1) });
    const started = Date.now();
    await expect(serialized('test:stale', async () => 'ran')).resolves.toBe('ran');
    expect(Date.now() - started).toBeLessThan(1000);
  },
);

itWhereServerLacks('atomicUpdates', 'no lock is taken there')(
  'keeps the lock of a slow but living holder past its lease',
  async () => {
    // Each change takes longer than a lease (3 s): without renewal the second would take over.
    expect(await mostAtOnce('test:slow', 2, 4_000)).toBe(1);
  },
  15_000,
);
