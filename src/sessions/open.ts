import type { Collection, MongoClientOptions } from 'mongodb';
import { SessionStoreError, messageOf, scrubStoreError } from './errors';
import { MongoSessionStore } from './perUser';

/** What the store logs: warnings, with the (scrubbed) error. The app's pino logger fits. */
export interface SessionStoreLogger {
  warn(details: { err?: unknown }, message: string): void;
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
  /** Keys documents by an HMAC of the session id (see ids.ts): SESSION_ID_HASH_SECRET. */
  idHashSecret?: string;
}

/** The base library's complaint when the server refuses its TTL index (some servers take no `expireAfterSeconds`). */
const INDEX_FAILURE = /^Error creating index: /;

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
      idHashSecret: options.idHashSecret,
    },
    () => {},
  );
  // While connecting, the library creates its TTL index on `expires`. A server that refuses it is
  // expected: `expireSessions` below makes the index (or the sweeper) that deletes expired sessions,
  // and says so if it cannot. Every other error is logged.
  let indexFailure: string | undefined;
  let connecting = true;
  store.on('error', (err: unknown) => {
    if (connecting && INDEX_FAILURE.test(messageOf(err))) indexFailure = messageOf(err);
    else logger.warn({ err: scrubStoreError(err) }, 'session store error');
  });

  const client = await store.initialConnectionPromise;
  connecting = false;
  if (!client) {
    await store.close().catch(() => {});
    throw new SessionStoreError('could not connect to the session store');
  }

  // Finds a user's sessions with one indexed query (sign-out everywhere, revocation).
  await store.collection
    .createIndex({ 'session.user._id': 1 })
    .catch((err: unknown) => logger.warn({ err }, 'could not create the sessions-by-user index'));

  let ended: number;
  try {
    store.stopExpiring = await options.expireSessions(store.collection).catch((err: unknown) => {
      const refused = indexFailure ? ` (${indexFailure})` : '';
      throw new SessionStoreError(`could not arrange the deletion of expired sessions: ${messageOf(err)}${refused}`);
    });
    ended = await store.endSessionsOfOtherIdKeys();
  } catch (err) {
    // A half-opened store would keep its client (and the sweeper) alive: the caller retries with a new one.
    await store.close().catch(() => {});
    throw err;
  }
  if (ended > 0) {
    logger.warn(
      {},
      `ended ${ended} stored sessions keyed by another session id secret or stored before ids were hashed: their users log in again`,
    );
  }
  return store;
}
