import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { mongo } from 'mongoose';

/**
 * On a server whose updates are not atomic (FerretDB 1.x) the shop is correct only as one process:
 * its changes are serialized in memory (serialized.ts). This claim makes a second instance, or a
 * second cluster worker, refuse to start instead of quietly racing the first.
 *
 * The claim is a document with a unique `_id` (an insert is atomic on every server) that its
 * holder renews. A holder is gone when its process is gone (same host, checked by pid) or when it
 * stopped renewing for a whole lease. A paused holder that finds its claim taken when it wakes
 * exits. This guards against a mistake in deployment; it is not what makes the shop correct.
 */
export const SOLE_INSTANCE_COLLECTION = 'sole_instance';
const CLAIM_ID = 'writer';
const LEASE_MS = 10_000;
const RENEW_EVERY_MS = 2_000;

export const SECOND_INSTANCE_REFUSED =
  'Another instance of the shop is using this database, and this server (FerretDB 1.x) does not apply ' +
  'updates atomically, so only one instance may use it. Stop the other instance (or run one process, ' +
  'WEB_CONCURRENCY=1), or use MongoDB to run several (see docs/database.md).';

interface Claim {
  _id: string;
  holder: string;
  host: string;
  pid: number;
  expiresAt: Date;
}

/** A second instance is running: the sentence says what to do. */
export class SecondInstanceError extends Error {
  override name = 'SecondInstanceError';
  constructor() {
    super(SECOND_INSTANCE_REFUSED);
  }
}

function processIsGone(claim: Claim): boolean {
  if (claim.host !== os.hostname() || claim.pid === process.pid) return false;
  try {
    process.kill(claim.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface SoleInstance {
  /** Gives the claim up (a clean stop), so that the next start takes it at once. */
  release(): Promise<void>;
}

/**
 * Takes the claim for this process, or throws SecondInstanceError. `onLost` runs if another
 * process took it over while this one was paused: it should stop the process.
 */
export async function claimSoleInstance(db: mongo.Db, onLost: () => void): Promise<SoleInstance> {
  const claims = db.collection<Claim>(SOLE_INSTANCE_COLLECTION);
  const holder = randomUUID();
  const fresh = (): Claim => ({
    _id: CLAIM_ID,
    holder,
    host: os.hostname(),
    pid: process.pid,
    expiresAt: new Date(Date.now() + LEASE_MS),
  });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await claims.insertOne(fresh());
      break;
    } catch (err) {
      if (!(err instanceof mongo.MongoServerError && err.code === 11000)) throw err;
      const existing = await claims.findOne({ _id: CLAIM_ID });
      const abandoned = existing && (existing.expiresAt.getTime() < Date.now() || processIsGone(existing));
      if (existing && !abandoned) throw new SecondInstanceError();
      if (existing) await claims.deleteOne({ _id: CLAIM_ID, holder: existing.holder });
      if (attempt === 2) throw new SecondInstanceError();
    }
  }
  const renew = setInterval(() => {
    claims
      .updateOne({ _id: CLAIM_ID, holder }, { $set: { expiresAt: new Date(Date.now() + LEASE_MS) } })
      .then((result) => {
        if (result.matchedCount === 0) {
          clearInterval(renew);
          onLost();
        }
      })
      // The database is away: the next renewal tries again.
      .catch(() => undefined);
  }, RENEW_EVERY_MS);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      await claims.deleteOne({ _id: CLAIM_ID, holder }).catch(() => undefined);
    },
  };
}
