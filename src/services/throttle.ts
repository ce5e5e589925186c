import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/env';
import type { Logger } from '../lib/logger';
import { withWriteLock } from '../lib/writeLock';

/** Refused because of too many attempts; `retryAfterSeconds` says when to try again. */
export class TooManyAttemptsError extends Error {
  override name = 'TooManyAttemptsError';
  readonly status = 429;

  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts. Please try again in ${describeWait(retryAfterSeconds)}.`);
  }
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

const toRetryAfter = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Counts in MongoDB (rate-limiter-flexible's Mongo store), so limits hold across every instance.
 * FerretDB loses concurrent `$inc`s, so there each count runs under a write lock.
 */
function limiter(keyPrefix: string, points: number, durationSeconds: number, logger: Logger) {
  const tableName = `throttle_${keyPrefix}`;
  const store = new RateLimiterMongo({
    storeClient: mongoose.connection,
    keyPrefix,
    tableName,
    points,
    duration: durationSeconds,
    // The library creates its TTL index first; on FerretDB that fails and its unique index on
    // `key` is then never made. We create them ourselves, the essential one first.
    disableIndexesCreation: true,
  });
  void createIndexes(tableName).catch((err: unknown) => logger.warn({ err, tableName }, 'could not index a throttle'));
  const locked = <T>(key: string, work: () => Promise<T>) => {
    const db = mongoose.connection.db;
    if (!db) throw new Error('not connected to the database');
    return withWriteLock(db, `throttle:${keyPrefix}:${key}`, work);
  };

  return {
    /** Throws TooManyAttemptsError when the key has used up its points. */
    async check(key: string): Promise<void> {
      const res = await store.get(key);
      if (res && res.consumedPoints >= points) throw new TooManyAttemptsError(toRetryAfter(res));
    },
    /** Counts one attempt; throws TooManyAttemptsError when this one is over the limit. */
    async count(key: string): Promise<void> {
      try {
        await locked(key, () => store.consume(key));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw new TooManyAttemptsError(toRetryAfter(err));
        throw err;
      }
    },
    reset: (key: string) => locked(key, () => store.delete(key)).then(() => undefined),
  };
}

async function createIndexes(tableName: string) {
  const collection = mongoose.connection.collection(tableName);
  await collection.createIndex({ key: 1 }, { unique: true });
  // FerretDB has no TTL indexes: there expired counters stay until reused, which the limiter
  // handles (it reads their `expire`).
  await collection.createIndex({ expire: -1 }, { expireAfterSeconds: 0 }).catch(() => undefined);
}

export type Throttles = ReturnType<typeof createThrottles>;

export function createThrottles(config: Config, logger: Logger) {
  const hour = 60 * 60;
  return {
    /** Failed logins per account (the email, lower-cased): changing IP does not help. */
    loginByEmail: limiter('login_email', config.LOGIN_MAX_FAILURES, config.LOGIN_THROTTLE_WINDOW, logger),
    /** Failed logins per IP, whatever the email. */
    loginByIp: limiter('login_ip', config.LOGIN_MAX_FAILURES_PER_IP, config.LOGIN_THROTTLE_WINDOW, logger),
    signupByIp: limiter('signup_ip', config.SIGNUP_MAX_PER_HOUR, hour, logger),
    resetByIp: limiter('reset_ip', config.RESET_MAX_PER_HOUR, hour, logger),
  };
}
