import type { RequestHandler } from 'express';
import type { Config } from '../config/env';
import { clientKey } from '../lib/clientAddress';

/** How many password checks may wait for each one a network may run at once. */
export const WAITING_PER_RUNNING = 4;

/** More password checks from one network than may wait: "try again in a moment" (429). */
export class TooManyPasswordChecksError extends Error {
  override name = 'TooManyPasswordChecksError';
  readonly status = 429;
  readonly userFacing = true;
  readonly retryAfterSeconds = 2;
  constructor() {
    super('Too many sign-ins from your network at once. Please try again in a moment.');
  }
}

interface NetworkShare {
  running: number;
  waiting: Array<() => void>;
}

/** One share per network for each app, whichever of its routes the password work comes through. */
const sharesOf = new WeakMap<Config, Map<string, NetworkShare>>();

/**
 * Password checks are the shop's dearest work (bcrypt, on a pool of about one core), so one
 * network gets a fair share of it, not all: PASSWORD_CHECKS_PER_NETWORK of its requests to a
 * route that checks or hashes a password run at once, four times as many more wait their turn,
 * the rest get 429 at once. Twenty logins from one network then keep two workers busy, not the
 * pool, and everyone else's logins go on. Per process: each instance shares out its own pool. A
 * network is an IPv4 address or an IPv6 /64 (lib/clientAddress.ts).
 */
export function sharePasswordChecks(config: Config): RequestHandler {
  const atOnce = config.PASSWORD_CHECKS_PER_NETWORK;
  const mayWait = atOnce * WAITING_PER_RUNNING;
  const shares = sharesOf.get(config) ?? new Map<string, NetworkShare>();
  sharesOf.set(config, shares);
  return (req, res, next) => {
    const key = clientKey(req.ip);
    const share = shares.get(key) ?? { running: 0, waiting: [] };
    shares.set(key, share);
    const release = () => {
      const nextInLine = share.waiting.shift();
      if (nextInLine) return nextInLine();
      share.running -= 1;
      if (share.running === 0) shares.delete(key);
    };
    const start = () => {
      // 'close' comes once the response is sent, or the client went away: either way the turn is over.
      res.once('close', release);
      next();
    };
    if (share.running < atOnce) {
      share.running += 1;
      return start();
    }
    if (share.waiting.length >= mayWait) return next(new TooManyPasswordChecksError());
    share.waiting.push(start);
    // A client that leaves while waiting gives its place up.
    res.once('close', () => {
      const place = share.waiting.indexOf(start);
      if (place >= 0) share.waiting.splice(place, 1);
    });
  };
}
