import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { MongoClientOptions } from 'mongodb';
import { hashSessionId, type Logger } from '../lib/logger';

const MongoDBStore = connectMongoDBSession(session);

type Callback = (err?: unknown) => void;

/**
 * A failure of the session store, with the session id and session contents taken out of the
 * message (connect-mongodb-session puts both in its errors). The app answers it with 503.
 */
export class SessionStoreError extends Error {
  override name = 'SessionStoreError';
  readonly status = 503;
}

// connect-mongodb-session's messages: "Error finding <sid>: <driver message>",
// "Error destroying <sid>: …" and "Error setting <sid> to <util.inspect(session)>: …".
// Only the driver's message (after the last ": " of the last line) is kept.
const STORE_MESSAGE = /^Error (setting|finding|destroying) (\S+)(?: to [\s\S]*)?: (.*)$/;
const VERBS: Record<string, string> = { setting: 'save', finding: 'load', destroying: 'destroy' };

export function scrubStoreError(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const match = STORE_MESSAGE.exec(message);
  if (match) {
    const [, operation = '', sid = '', cause = ''] = match;
    const scrubbed = new SessionStoreError(`could not ${VERBS[operation]} session ${hashSessionId(sid)}: ${cause}`);
    return scrubbed;
  }
  if (/^Error (setting|finding|destroying) /.test(message)) {
    return new SessionStoreError('session store operation failed');
  }
  return new SessionStoreError(message);
}

export interface SessionStoreOptions {
  uri: string;
  /** Lifetime of a session whose cookie carries no expiry. */
  maxAgeMs: number;
  connectionOptions: MongoClientOptions;
  /** How often expired sessions are deleted where the database has no TTL index (FerretDB). */
  sweepIntervalMs: number;
  logger: Logger;
}

/**
 * connect-mongodb-session's MongoDBStore with what it lacks: errors without session ids, an
 * index on the session's user, sweeping where TTL indexes are missing, and `close()`.
 */
export class MongoSessionStore extends MongoDBStore {
  private sweepTimer: NodeJS.Timeout | undefined;

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    super.get(sid, (err, data) => (err ? callback(scrubStoreError(err)) : callback(null, data)));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    super.set(sid, data, (err) => callback?.(err ? scrubStoreError(err) : undefined));
  }

  override destroy(sid: string, callback?: Callback): void {
    super.destroy(sid, (err) => callback?.(err ? scrubStoreError(err) : undefined));
  }

  /** Whether the collection has an index that expires sessions (MongoDB: yes; FerretDB 1.x: no). */
  async hasTtlIndex(): Promise<boolean> {
    try {
      const indexes = await this.collection.indexes();
      return indexes.some((index) => typeof index.expireAfterSeconds === 'number');
    } catch {
      return false;
    }
  }

  /** Deletes sessions whose expiry has passed; returns how many. */
  async sweepExpired(now = new Date()): Promise<number> {
    const result = await this.collection.deleteMany({ [this.options.expiresKey]: { $lt: now } });
    return result.deletedCount;
  }

  startSweeping(intervalMs: number, logger: Logger): void {
    this.stopSweeping();
    this.sweepTimer = setInterval(() => {
      this.sweepExpired().catch((err: unknown) =>
        logger.warn({ err: scrubStoreError(err) }, 'could not sweep expired sessions'),
      );
    }, intervalMs);
    this.sweepTimer.unref();
  }

  stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Stops sweeping and closes the store's own MongoDB client. */
  async close(): Promise<void> {
    this.stopSweeping();
    await this.client.close();
  }
}

/**
 * Connects a store. Resolves once MongoDB answered; rejects (with the client closed) when it did
 * not, so the caller can retry with a new store: a MongoDBStore whose first connect failed stays
 * closed for good.
 */
export async function openSessionStore(options: SessionStoreOptions): Promise<MongoSessionStore> {
  const { logger } = options;
  // The constructor callback must be given: without it a failed first connect is rethrown as an
  // unhandled rejection that kills the process. Failures reach us through the promise below.
  const store = new MongoSessionStore(
    {
      uri: options.uri,
      collection: 'sessions',
      expires: options.maxAgeMs,
      connectionOptions: options.connectionOptions,
    },
    () => {},
  );
  store.on('error', (err: unknown) => logger.warn({ err: scrubStoreError(err) }, 'session store error'));

  const client = await store.initialConnectionPromise;
  if (!client) {
    await store.close().catch(() => {});
    throw new SessionStoreError('could not connect to the session store');
  }

  // Finds a user's sessions with one indexed query (sign-out everywhere, revocation).
  await store.collection
    .createIndex({ 'session.user._id': 1 })
    .catch((err: unknown) => logger.warn({ err }, 'could not create the sessions-by-user index'));

  if (!(await store.hasTtlIndex())) {
    logger.warn(
      { everyMs: options.sweepIntervalMs },
      'the database has no TTL index for sessions (FerretDB?): the app sweeps expired sessions itself',
    );
    store.startSweeping(options.sweepIntervalMs, logger);
  }
  return store;
}
