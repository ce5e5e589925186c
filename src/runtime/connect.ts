import mongoose from 'mongoose';
import type { Config } from '../config/env';
import { sessionStoreOptions } from '../config/session';
import type { ShopMongoSessionStore } from '../config/sessionStore';
import { connectMongoose } from '../db';
import type { Logger } from '../lib/logger';
import { openSessionStore } from '@fernhill/session-store';
import { messageOf } from '../lib/messageOf';

const FIRST_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Connects mongoose, then opens the session store on mongoose's connection (one client, one pool),
 * retrying each with backoff (0.5 s doubling to 10 s) until MongoDB answers. Resolves to undefined
 * if `signal` aborts first.
 */
export async function connectWithRetry(
  uri: string,
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<ShopMongoSessionStore | undefined> {
  let delay = FIRST_RETRY_DELAY_MS;
  const waitBeforeRetrying = async (what: string, err: unknown) => {
    logger.warn({ reason: messageOf(err), retryInMs: delay }, `${what} is not reachable yet`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
  };
  while (!signal.aborted) {
    try {
      await connectMongoose(uri, config);
      break;
    } catch (err) {
      await mongoose.disconnect().catch(() => {});
      await waitBeforeRetrying('MongoDB', err);
    }
  }
  while (!signal.aborted) {
    try {
      return await openSessionStore(sessionStoreOptions(config, mongoose.connection, logger));
    } catch (err) {
      await waitBeforeRetrying('the session store', err);
    }
  }
  return undefined;
}
