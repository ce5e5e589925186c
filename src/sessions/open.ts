import type { Collection, MongoClientOptions } from 'mongodb';
import { SessionStoreError, scrubStoreError } from './errors';
import { MongoSessionStore } from './store';

/** What the store logs: warnings, with the (scrubbed) error. The app's pino logger fits. */
export interface SessionStoreLogger {
  warn(details: { err: unknown }, message: string): void;
}

export interface SessionStoreOptions {
  uri: string;
  /** Idle timeout of a session whose cookie carries no expiry (SESSION_MAX_AGE). */
  maxAgeMs: number;
  /** An unmodified session's expiry is written at most once per this interval (SESSION_TOUCH_INTERVAL). */
  touchIntervalMs: number;
  /** A session ends this long after it was created, however active (SESSION_ABSOLUTE_TTL). */
  absoluteTtlMs: number;
  connectionOptions: MongoClientOptions;
  /**
   * Has the collection's documents deleted once their `expires` has passed, however the server
   * allows (the app's database module); resolves to a function that stops it.
   */
  expireSessions: (collection: Collection) => Promise<() => void>;
  logger: SessionStoreLogger;
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
      touchIntervalMs: options.touchIntervalMs,
      absoluteTtlMs: options.absoluteTtlMs,
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

  // The library made a TTL index on `expires`; not every server acts on one.
  store.stopExpiring = await options.expireSessions(store.collection);
  return store;
}
