import mongoose from 'mongoose';
import { RateLimiterMongo, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config/env';
import type { Logger } from '../lib/logger';
import { expireDocuments, serialized } from '../db';

/** Refused because of too many attempts; `retryAfterSeconds` says when to try again. */
export class TooManyAttemptsError extends Error {
  override name = 'TooManyAttemptsError';
  readonly status = 429;
  readonly userFacing = true;

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
 * Counts in MongoDB (rate-limiter-flexible's Mongo store, an atomic `$inc`), so limits hold across
 * every instance and concurrent attempts are all counted. `serialized` keeps the count exact on a
 * server whose updates are not atomic.
 */
function limiter(keyPrefix: string, points: number, durationSeconds: number, logger: Logger) {
  const tableName = `throttle_${keyPrefix}`;
  const store = new RateLimiterMongo({
    storeClient: mongoose.connection,
    keyPrefix,
    tableName,
    points,
    duration: durationSeconds,
    // The library would create a TTL index, which not every server has; the database module
    // expires the counters its own way. The unique index on `key` is essential.
    disableIndexesCreation: true,
  });
  void createIndexes(tableName).catch((err: unknown) => logger.warn({ err, tableName }, 'could not index a throttle'));
  const inTurn = <T>(key: string, work: () => Promise<T>) => serialized(`throttle:${keyPrefix}:${key}`, work);

  return {
    /**
     * Takes one attempt from the key's budget before the attempt is made; throws
     * TooManyAttemptsError, and the attempt must not be made, when the budget is spent. Taking
     * and checking are one atomic step, so simultaneous attempts cannot all pass.
     */
    async take(key: string): Promise<void> {
      try {
        await inTurn(key, () => store.consume(key));
      } catch (err) {
        if (err instanceof RateLimiterRes) throw new TooManyAttemptsError(toRetryAfter(err));
        throw err;
      }
    },
    /** Returns an attempt taken by `take` (it turned out to be a success). */
    giveBack: (key: string) => inTurn(key, () => store.reward(key, 1)).then(() => undefined),
    reset: (key: string) => inTurn(key, () => store.delete(key)).then(() => undefined),
  };
}

async function createIndexes(tableName: string) {
  const collection = mongoose.connection.collection(tableName);
  await collection.createIndex({ key: 1 }, { unique: true });
  // A counter's window ends at `expire`; the limiter ignores an ended one until it is deleted.
  await expireDocuments(collection, 'expire');
}

export type Throttles = ReturnType<typeof createThrottles>;

export function createThrottles(config: Config, logger: Logger) {
  const hour = 60 * 60;
  return {
    /**
     * Failed logins per account (the email, lower-cased) from browsers that never logged in to it:
     * changing IP does not help.
     */
    loginByEmail: limiter('login_email', config.LOGIN_MAX_FAILURES, config.LOGIN_THROTTLE_WINDOW, logger),
    /** Failed logins of one browser that has logged in to the account before (its device cookie). */
    loginByDevice: limiter('login_device', config.LOGIN_MAX_FAILURES, config.LOGIN_THROTTLE_WINDOW, logger),
    /** Failed logins per IP (IPv6: per /64, see clientKey), whatever the email. */
    loginByIp: limiter('login_ip', config.LOGIN_MAX_FAILURES_PER_IP, config.LOGIN_THROTTLE_WINDOW, logger),
    signupByIp: limiter('signup_ip', config.SIGNUP_MAX_PER_HOUR, hour, logger),
    /** New guest carts (each stores a session and a cart) per IP. */
    guestCartByIp: limiter('guest_cart_ip', config.GUEST_CARTS_PER_HOUR, hour, logger),
    resetByIp: limiter('reset_ip', config.RESET_MAX_PER_HOUR, hour, logger),
    /**
     * Mailed links (reset, new confirmation link, address change) per address (the email,
     * lower-cased) and kind, whether or not the address has an account, asked for by anyone but
     * the address's owner: nobody floods one mailbox from many IPs.
     */
    mailByAddress: limiter('mail_address', config.RESET_MAX_PER_ACCOUNT_PER_HOUR, hour, logger),
    /** The same, asked for by the address's owner (see mailBudget), which strangers cannot spend. */
    mailByOwner: limiter('mail_owner', config.RESET_MAX_PER_ACCOUNT_PER_HOUR, hour, logger),
  };
}

/** The kinds of link a form mails to a typed address, each counted apart (see mailBudget). */
export type MailedLink = 'reset' | 'verify' | 'email-change';

/**
 * The budget a request for a link mailed to `email` spends besides its IP's. The address's owner
 * (`fromOwner`: a session signed in to its account, or a browser holding its device cookie) has one
 * of their own, so strangers' requests cannot lock the owner out of a reset. Each kind of link
 * counts apart, so that a request that mails nothing (a confirmation link for a confirmed account,
 * an address change to a taken address) never spends a reset's: each reset request that spends an
 * address's budget mails its account a link, and the newest of those still works.
 */
export function mailBudget(throttles: Throttles, kind: MailedLink, email: string, fromOwner: boolean) {
  const limiter = fromOwner ? throttles.mailByOwner : throttles.mailByAddress;
  return { take: () => limiter.take(`${kind}:${email}`) };
}

/**
 * The budget a login attempt spends besides its IP's: its browser's own when it holds a device
 * cookie for this account (see deviceCookie.ts), else the account's shared one.
 */
export function loginBudget(throttles: Throttles, email: string, device: string | undefined) {
  const limiter = device ? throttles.loginByDevice : throttles.loginByEmail;
  const key = device ?? email;
  return { take: () => limiter.take(key), clear: () => limiter.reset(key) };
}

/**
 * What a password typed by someone who may not be signed in spends, as /login does: its IP's budget
 * and the account's (or its browser's, see loginBudget). A match clears the account's count and
 * gives the IP its attempt back.
 */
export function passwordAttemptBudget(throttles: Throttles, email: string, device: string | undefined, ip: string) {
  const account = loginBudget(throttles, email, device);
  return {
    take: async () => void (await Promise.all([throttles.loginByIp.take(ip), account.take()])),
    clear: async () => void (await Promise.all([account.clear(), throttles.loginByIp.giveBack(ip)])),
  };
}
