import { randomUUID } from 'node:crypto';
import { mongo } from 'mongoose';
import { HttpError } from './HttpError';

const LOCKS = 'write_locks';
/** A lock older than this is taken to belong to a crashed process and may be taken over. */
const STALE_AFTER_MS = 10_000;
const GIVE_UP_AFTER_MS = 15_000;

/** Too busy to take the lock in time: the request is refused as "try again" (503), not a bug. */
export class WriteLockTimeoutError extends HttpError {
  override name = 'WriteLockTimeoutError';

  constructor(
    readonly lockKey: string,
    options: ErrorOptions,
  ) {
    super(503, 'The shop is very busy right now. Please try again in a moment.');
    this.cause = options.cause;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lacksAtomicUpdates = new WeakMap<mongo.Db, Promise<boolean>>();

/**
 * FerretDB 1.x applies an update as read-then-write without isolation: concurrent conditional
 * updates can all "succeed" and even `$inc` loses counts. MongoDB applies each single-document
 * update atomically. A FerretDB server says so in `buildInfo`.
 */
function needsLock(db: mongo.Db): Promise<boolean> {
  let answer = lacksAtomicUpdates.get(db);
  if (!answer) {
    answer = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => 'ferretdbVersion' in info);
    lacksAtomicUpdates.set(db, answer);
    // Asked during an outage: ask again next time rather than fail every locked write for good.
    answer.catch(() => lacksAtomicUpdates.delete(db));
  }
  return answer;
}

/**
 * Runs `write` while holding a lock named `key`, where the database needs one for concurrent
 * writes to be safe (FerretDB); on MongoDB it just runs `write`. The lock is a document whose
 * unique `_id` makes taking it atomic everywhere.
 */
export async function withWriteLock<T>(
  db: mongo.Db,
  key: string,
  write: () => Promise<T>,
  { giveUpAfterMs = GIVE_UP_AFTER_MS } = {},
): Promise<T> {
  if (!(await needsLock(db))) return write();
  const locks = db.collection<{ _id: string; token: string; takenAt: Date }>(LOCKS);
  const token = randomUUID();
  const deadline = Date.now() + giveUpAfterMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      await locks.insertOne({ _id: key, token, takenAt: new Date() });
      break;
    } catch (err) {
      if (!(err instanceof mongo.MongoServerError && err.code === 11000)) throw err;
      if (Date.now() > deadline) throw new WriteLockTimeoutError(key, { cause: err });
      await locks.deleteOne({ _id: key, takenAt: { $lt: new Date(Date.now() - STALE_AFTER_MS) } });
      await pause(2 + Math.random() * Math.min(2 ** attempt, 25));
    }
  }
  try {
    return await write();
  } finally {
    await locks.deleteOne({ _id: key, token });
  }
}
