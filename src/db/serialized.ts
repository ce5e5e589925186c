import { randomUUID } from 'node:crypto';
import mongoose, { mongo } from 'mongoose';
import { serverCapabilities } from './capabilities';
import { DatabaseBusyError } from './errors';
import { expireDocuments } from './expiry';

export const LOCKS_COLLECTION = 'write_locks';
/**
 * A lock is a lease: its holder renews it while it works, so one left by a killed process is free
 * again this long after its last renewal, while a slow but living holder keeps it.
 */
const LEASE_MS = 3_000;
const RENEW_EVERY_MS = 1_000;
const GIVE_UP_AFTER_MS = 15_000;

interface LockDocument {
  _id: string;
  token: string;
  expiresAt: Date;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function locksOf(db: mongo.Db) {
  return db.collection<LockDocument>(LOCKS_COLLECTION);
}

const expiringLocks = new WeakSet<mongo.Db>();

async function takeLock(db: mongo.Db, key: string, token: string, giveUpAfterMs: number): Promise<void> {
  const locks = locksOf(db);
  if (!expiringLocks.has(db)) {
    expiringLocks.add(db);
    // Locks are deleted by their holder; this removes those of killed processes.
    await expireDocuments(locks, 'expiresAt').catch(() => expiringLocks.delete(db));
  }
  const deadline = Date.now() + giveUpAfterMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await locks.insertOne({ _id: key, token, expiresAt: new Date(Date.now() + LEASE_MS) });
      return;
    } catch (err) {
      if (!(err instanceof mongo.MongoServerError && err.code === 11000)) throw err;
      if (Date.now() > deadline) throw new DatabaseBusyError({ cause: err });
      // A lease that ran out belongs to a process that died: remove it and try again at once.
      const stale = await locks.deleteOne({ _id: key, expiresAt: { $lt: new Date() } });
      if (stale.deletedCount === 0) await pause(2 + Math.random() * Math.min(2 ** attempt, 25));
    }
  }
}

/**
 * Runs `change`, a change to the data named by `key`, so that it is never interleaved with another
 * change to the same key, on any server.
 *
 * On a server whose single-document updates are atomic (MongoDB), `change` just runs: it must
 * already be correct there on its own, as a conditional update whose result it checks. On a
 * server without that (FerretDB 1.x), it runs while holding a lock document for `key`; taking it
 * is an insert of a unique `_id`, which is atomic everywhere.
 */
export async function serialized<T>(
  key: string,
  change: () => Promise<T>,
  options: { giveUpAfterMs?: number; db?: mongo.Db } = {},
): Promise<T> {
  if (serverCapabilities().atomicUpdates) return change();
  return exclusive(key, change, options);
}

/**
 * Runs `work` holding the lock document for `key`, on every server: for work made of several
 * writes (each atomic on its own) that two requests must not interleave, such as one order's
 * stock moves. A lock left by a killed process is free again once its lease runs out.
 */
export async function exclusive<T>(
  key: string,
  work: () => Promise<T>,
  { giveUpAfterMs = GIVE_UP_AFTER_MS, db = mongoose.connection.db }: { giveUpAfterMs?: number; db?: mongo.Db } = {},
): Promise<T> {
  if (!db) throw new Error('not connected to the database');
  const token = randomUUID();
  await takeLock(db, key, token, giveUpAfterMs);
  const renew = setInterval(() => {
    locksOf(db)
      .updateOne({ _id: key, token }, { $set: { expiresAt: new Date(Date.now() + LEASE_MS) } })
      .catch(() => undefined);
  }, RENEW_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(renew);
    // If this fails the lease runs out on its own.
    await locksOf(db)
      .deleteOne({ _id: key, token })
      .catch(() => undefined);
  }
}
