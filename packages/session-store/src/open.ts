import type { Collection } from 'mongodb';
import { SessionSecretsMismatchError, SessionStoreError, messageOf, scrubStoreError } from './errors';
import type { ClientSource } from './options';
import { MongoSessionStore } from './perUser';

/** What the store logs: warnings, with the (scrubbed) error. The app's pino logger fits. */
export interface SessionStoreLogger {
  warn(details: { err?: unknown }, message: string): void;
}

/**
 * How expired session documents get deleted (liveness never waits for it: a session past its
 * deadline is refused in code at once):
 * - `'ttl'` (the default): the TTL index on `expires`, with the grace of `ttlGraceSeconds`. For
 *   MongoDB and Atlas, whose TTL monitor deletes within about a minute.
 * - `{ sweepEveryMs }`: the store deletes them itself on that interval (`sweepExpired`), for servers
 *   without a TTL monitor (FerretDB, some test servers).
 * - a function: the app arranges it (its database module); resolves to a function that stops it.
 */
export type SessionExpiry =
  | 'ttl'
  | { sweepEveryMs: number }
  | ((collection: Collection, index: { field: 'expires'; afterSeconds: number }) => Promise<() => void>);

export interface SessionStoreOptions<Listed extends string = never> {
  /**
   * The app's MongoDB client, or mongoose's Connection (the store follows its current client). The
   * store runs every command on it, with its pool and timeouts, and never connects or closes it.
   */
  client: ClientSource;
  /** The collection's name: `sessions` unless given. */
  collection?: string;
  /** Idle timeout of a session whose cookie carries no expiry. */
  maxAgeMs: number;
  /** An unmodified session's expiry is written at most once per this interval (default 60 s). */
  touchIntervalMs?: number;
  /** A session ends this long after it was created, however active (default 8 hours). */
  absoluteTtlMs?: number;
  /** How expired documents are deleted (see SessionExpiry): the TTL index unless given. */
  expiry?: SessionExpiry;
  /** How long after its expiry a document is deleted (default 60 s): see DEFAULT_TTL_GRACE_SECONDS. */
  ttlGraceSeconds?: number;
  /** Where warnings go (a failed sweep, a store error). Silent unless given; pino's logger fits. */
  logger?: SessionStoreLogger;
  /** Keys documents by an HMAC of the session id (see ids.ts). */
  idHashSecret?: string;
  /** The dotted path of the user's id inside a session (default `userId`): the per-user queries' field. */
  userIdField?: string;
  /** Session fields that `sessionsOfUser` lists with each session (default none). */
  listedFields?: readonly Listed[];
  /** Encrypts the session data at rest; the first key encrypts, all decrypt (see MongoSessionStoreOptions). */
  encryptionKeys?: readonly string[];
}

/** The base library's complaint when the server refuses its TTL index (some servers take no `expireAfterSeconds`). */
const INDEX_FAILURE = /^Error creating index: /;

const SILENT: SessionStoreLogger = { warn() {} };

/** Sets up `expiry` (see SessionExpiry); resolves to what stops it. */
async function arrangeExpiry(
  store: MongoSessionStore<string>,
  expiry: SessionExpiry,
  logger: SessionStoreLogger,
): Promise<() => void> {
  const afterSeconds = store.options.expiresAfterSeconds;
  if (typeof expiry === 'function') return expiry(store.collection, { field: 'expires', afterSeconds });
  if (expiry === 'ttl') {
    // The base asked for it while connecting. One made with another grace (the setting changed) is
    // made anew; a server that refuses TTL indexes says so here.
    const ttl = (await store.collection.indexes()).find(({ key }) => Object.keys(key).join() === 'expires');
    if (ttl?.expireAfterSeconds !== afterSeconds) {
      if (ttl?.name) await store.collection.dropIndex(ttl.name);
      await store.collection.createIndex({ expires: 1 }, { expireAfterSeconds: afterSeconds }).catch((err: unknown) => {
        throw new Error(`${messageOf(err)} (for a server without TTL indexes, pass expiry: { sweepEveryMs })`);
      });
    }
    return () => undefined;
  }
  const { sweepEveryMs } = expiry;
  if (!Number.isInteger(sweepEveryMs) || sweepEveryMs < 1000) throw new TypeError('sweepEveryMs must be at least 1000');
  // The sweep's query needs an index on `expires` (a TTL index the server never acts on will do).
  await store.collection.createIndex({ expires: 1 }).catch(() => undefined);
  const timer = setInterval(() => {
    store
      .sweepExpired()
      .catch((err: unknown) => logger.warn({ err: scrubStoreError(err) }, 'could not sweep expired sessions'));
  }, sweepEveryMs);
  // A sweep is housekeeping: it never keeps the process alive.
  timer.unref();
  return () => clearInterval(timer);
}

/** The store on the app's client, as `openSessionStore` and `sessionStoreBeside` make it. */
function newStore<Listed extends string>(options: SessionStoreOptions<Listed>): MongoSessionStore<Listed> {
  // With a uri (not here) the base rethrows a failed first connect unless a callback is given; on
  // a given client it never does. Failures reach the caller through `initialConnectionPromise`.
  return new MongoSessionStore<Listed>(
    {
      client: options.client,
      collection: options.collection ?? 'sessions',
      expires: options.maxAgeMs,
      expiresAfterSeconds: options.ttlGraceSeconds,
      touchIntervalMs: options.touchIntervalMs,
      absoluteTtlMs: options.absoluteTtlMs,
      idHashSecret: options.idHashSecret,
      userIdField: options.userIdField,
      listedFields: options.listedFields,
      encryptionKeys: options.encryptionKeys,
    },
    () => {},
  );
}

/**
 * A store on the client of a tool that runs beside the app (the admin command line), for its
 * per-user API only: it leaves to the app's own store the indexes, the expiry of documents and the
 * clean-up of other id keys (which, under another configuration, would end every session). Only
 * the base's own TTL index on `expires` is asked for, as by every store. Rejects when MongoDB does
 * not answer through the client, and when the live sessions stored are keyed or sealed with other
 * secrets (the tool would find none of them).
 */
export async function sessionStoreBeside<const Listed extends string = never>(
  options: Omit<SessionStoreOptions<Listed>, 'expiry' | 'logger'>,
): Promise<MongoSessionStore<Listed>> {
  const store = newStore(options);
  if (!(await store.initialConnectionPromise)) throw new SessionStoreError('could not connect to the session store');
  if (!(await store.readsStoredSessions())) {
    throw new SessionSecretsMismatchError(
      "the stored sessions are keyed or sealed with other secrets than this tool's: give it the app's idHashSecret and encryptionKeys",
    );
  }
  return store;
}

/**
 * Opens a store on the app's client. Resolves once MongoDB answered through it (and the indexes and
 * the expiry are arranged); rejects when it did not, so the caller can retry with a new store. The
 * client stays open either way: it is the caller's.
 */
export async function openSessionStore<const Listed extends string = never>(
  options: SessionStoreOptions<Listed>,
): Promise<MongoSessionStore<Listed>> {
  const { logger = SILENT, expiry = 'ttl' } = options;
  const store = newStore(options);
  // While connecting, the library creates its TTL index on `expires`. A server that refuses it is
  // expected unless the TTL index is the expiry asked for: a sweep or the app's own arrangement
  // deletes expired sessions there. Every other error is logged.
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
    .createIndex({ [store.userPath]: 1 })
    .catch((err: unknown) => logger.warn({ err }, 'could not create the sessions-by-user index'));

  let ended: number;
  try {
    store.stopExpiring = await arrangeExpiry(store, expiry, logger).catch((err: unknown) => {
      const refused = indexFailure ? ` (${indexFailure})` : '';
      throw new SessionStoreError(`could not arrange the deletion of expired sessions: ${messageOf(err)}${refused}`);
    });
    ended = await store.endSessionsOfOtherIdKeys();
  } catch (err) {
    // A half-opened store would keep the sweeper alive: the caller retries with a new one.
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
