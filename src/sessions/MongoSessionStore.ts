import type { Request } from 'express';
import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { Collection, Filter, MongoClientOptions } from 'mongodb';
import { hashSessionId, type Logger } from '../lib/logger';

const MongoDBStore = connectMongoDBSession(session);

type Callback = (err?: unknown) => void;

export const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
export const DEFAULT_ABSOLUTE_TTL_MS = 8 * 60 * 60 * 1000;

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

/** A driver message may quote the id too (a duplicate key error does): it is replaced by its hash. */
function withoutId(message: string, sid: string): string {
  return sid ? message.split(sid).join(hashSessionId(sid)) : message;
}

export function scrubStoreError(error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const match = STORE_MESSAGE.exec(message);
  if (match) {
    const [, operation = '', sid = '', cause = ''] = match;
    return new SessionStoreError(
      `could not ${VERBS[operation]} session ${hashSessionId(sid)}: ${withoutId(cause, sid)}`,
    );
  }
  if (/^Error (setting|finding|destroying) /.test(message)) {
    return new SessionStoreError('session store operation failed');
  }
  return new SessionStoreError(message);
}

/**
 * A document of the `sessions` collection. `createdAt` is written once, on insert; `lastModified`
 * on every write (set or touch); `expires` is the idle deadline, never later than the absolute one.
 */
export interface SessionDocument {
  _id: string;
  session: session.SessionData;
  expires: Date;
  createdAt: Date;
  lastModified: Date;
}

/** One of a user's live sessions, as `sessionsOfUser` lists them (for an "active sessions" page). */
export interface UserSession {
  id: string;
  createdAt: Date;
  /** The last write to the session: within one touch interval of the user's last request. */
  lastActive: Date;
  expires: Date;
  /** `session.userAgent`, when the app stored one at login. */
  userAgent?: string;
}

/**
 * What the store knows about a session it loaded (or has written) during this request: its creation
 * time and when it was last written. It rides on the session object under a symbol, set by `get`
 * and carried over by `createSession`, so express-session's change detection (a JSON hash), the
 * app's JSON and the stored data never see it.
 */
interface StoredState {
  createdAt: number;
  writtenAt: number;
}
const STORED = Symbol('session store state');

function storedState(data: object): StoredState | undefined {
  return (data as { [STORED]?: StoredState })[STORED];
}

function markStored(data: object, state: StoredState): void {
  Object.defineProperty(data, STORED, { value: state, configurable: true, writable: true, enumerable: false });
}

/** The session as stored: the cookie through its toJSON (the standard fields only), the rest as is. */
function serialize(data: session.SessionData): session.SessionData {
  const stored: Record<string, unknown> = {};
  for (const key in data) {
    const value: unknown = data[key as keyof session.SessionData];
    stored[key] =
      key === 'cookie' && value && typeof (value as { toJSON?: unknown }).toJSON === 'function'
        ? (value as { toJSON(): unknown }).toJSON()
        : value;
  }
  return stored as unknown as session.SessionData;
}

function requireUserId(userId: unknown): string {
  // An object such as { $ne: null } would match every user's sessions.
  if (typeof userId !== 'string' || userId === '') throw new TypeError('userId must be a non-empty string');
  return userId;
}

export interface MongoSessionStoreOptions extends connectMongoDBSession.MongoDBSessionOptions {
  /** An unmodified session's expiry is written at most once per this many ms (lazy touch). */
  touchIntervalMs?: number;
  /** However active, a session ends this many ms after it was created. */
  absoluteTtlMs?: number;
}

/**
 * connect-mongodb-session's MongoDBStore with what it lacks: a lazy `touch` (a rolling idle
 * timeout), an absolute lifetime, logouts that in-flight requests cannot undo, working `all` and
 * `length`, per-user listing and revocation, errors without session ids, and `close()`. It reuses the library's connection and TTL index only:
 * every read and write is its own.
 */
export class MongoSessionStore extends MongoDBStore {
  readonly touchIntervalMs: number;
  readonly absoluteTtlMs: number;
  /** Set by `openSessionStore`: stops whatever deletes expired sessions. */
  stopExpiring: () => void = () => undefined;

  constructor(options: MongoSessionStoreOptions, callback?: (error?: Error) => void) {
    const { touchIntervalMs = DEFAULT_TOUCH_INTERVAL_MS, absoluteTtlMs = DEFAULT_ABSOLUTE_TTL_MS, ...rest } = options;
    super(rest, callback);
    this.touchIntervalMs = touchIntervalMs;
    this.absoluteTtlMs = absoluteTtlMs;
  }

  private get sessions(): Collection<SessionDocument> {
    return this.collection as unknown as Collection<SessionDocument>;
  }

  /** Sessions that neither idled out nor outlived the absolute lifetime (documents we wrote). */
  private liveFilter(now: number): Filter<SessionDocument> {
    return { expires: { $gt: new Date(now) }, createdAt: { $gt: new Date(now - this.absoluteTtlMs) } };
  }

  private isLive(doc: SessionDocument, now: number): boolean {
    return (
      doc.session !== null &&
      typeof doc.session === 'object' &&
      doc.expires instanceof Date &&
      doc.expires.getTime() > now &&
      // A session without a creation time was written before the absolute lifetime existed: ended.
      doc.createdAt instanceof Date &&
      doc.createdAt.getTime() + this.absoluteTtlMs > now
    );
  }

  /** The idle deadline from the cookie (or the store's default), capped by the absolute one. */
  private expiryOf(data: session.SessionData, now: number, createdAt: number | undefined): Date {
    const cookieExpires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : NaN;
    const idle = Number.isNaN(cookieExpires) ? now + this.options.expires : cookieExpires;
    return new Date(createdAt === undefined ? idle : Math.min(idle, createdAt + this.absoluteTtlMs));
  }

  /** Reports a failure to the `error` listeners and the callback, without the session id. */
  private fail(operation: string, sid: string | undefined, error: unknown, callback?: Callback): void {
    const cause = error instanceof Error ? error.message : String(error);
    const what = sid === undefined ? 'sessions' : `session ${hashSessionId(sid)}`;
    const scrubbed = new SessionStoreError(`could not ${operation} ${what}: ${sid ? withoutId(cause, sid) : cause}`);
    if (this._emitter.listeners('error').length > 0) this._emitter.emit('error', scrubbed);
    // Out of the promise chain, as the library does: what the callback throws is not ours to catch.
    process.nextTick(() => callback?.(scrubbed));
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const now = Date.now();
    this.sessions.findOne({ _id: sid }).then(
      (doc) => {
        if (doc && this.isLive(doc, now)) {
          markStored(doc.session, { createdAt: doc.createdAt.getTime(), writtenAt: doc.lastModified?.getTime() ?? 0 });
          process.nextTick(() => callback(null, doc.session));
          return;
        }
        if (doc) {
          // Idle too long or past its absolute lifetime. The TTL index or the sweeper would delete
          // it later; this request already treats it as gone.
          this.sessions.deleteOne({ _id: sid }).catch((err: unknown) => this.fail('delete expired', sid, err));
        }
        process.nextTick(() => callback(null, null));
      },
      (err: unknown) => this.fail('load', sid, err, callback),
    );
  }

  /** express-session builds req.session here from what `get` returned: the store's state goes along. */
  override createSession(req: Request, data: session.SessionData): session.Session & session.SessionData {
    const state = storedState(data);
    const created = super.createSession(req, data);
    if (state) markStored(created, state);
    return created;
  }

  /**
   * Saves a session. A new session (one that this store did not load) is inserted, with its creation
   * time. A loaded one is only updated, and only while it is live: if it was destroyed (logout,
   * sign-out everywhere) or expired while the request was in flight, the write is dropped without
   * an error rather than bringing it back.
   */
  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const now = Date.now();
    const state = storedState(data);
    const fields = {
      session: serialize(data),
      expires: this.expiryOf(data, now, state?.createdAt ?? now),
      lastModified: new Date(now),
    };
    const write = state
      ? this.sessions.updateOne({ _id: sid, expires: { $gt: new Date(now) } }, { $set: fields })
      : this.sessions.updateOne(
          { _id: sid },
          { $set: fields, $setOnInsert: { createdAt: new Date(now) } },
          { upsert: true },
        );
    write.then(
      (result) => {
        if (result.matchedCount > 0 || result.upsertedCount > 0) {
          markStored(data, { createdAt: state?.createdAt ?? now, writtenAt: now });
        }
        process.nextTick(() => callback?.());
      },
      (err: unknown) => this.fail('save', sid, err, callback),
    );
  }

  /**
   * Called by express-session at the end of a request that did not modify the session. Moves the
   * session's expiry forward (a rolling idle timeout), but writes at most once per touch interval.
   */
  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const now = Date.now();
    const state = storedState(data);
    if (state && now - state.writtenAt < this.touchIntervalMs) {
      process.nextTick(() => callback?.());
      return;
    }
    const cookie = serialize({ cookie: data.cookie } as session.SessionData).cookie;
    const fields = { expires: this.expiryOf(data, now, state?.createdAt), lastModified: new Date(now) };
    this.sessions
      .updateOne({ _id: sid, expires: { $gt: new Date(now) } }, { $set: { ...fields, 'session.cookie': cookie } })
      .then(
        (result) => {
          if (state && result.matchedCount > 0) markStored(data, { createdAt: state.createdAt, writtenAt: now });
          process.nextTick(() => callback?.());
        },
        (err: unknown) => this.fail('touch', sid, err, callback),
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.sessions.deleteOne({ _id: sid }).then(
      () => process.nextTick(() => callback?.()),
      (err: unknown) => this.fail('destroy', sid, err, callback),
    );
  }

  /** Every live session, keyed by id (as express-session's MemoryStore answers). */
  override all(callback: (err: unknown, sessions?: Record<string, session.SessionData> | null) => void): void {
    this.sessions
      .find(this.liveFilter(Date.now()))
      .toArray()
      .then(
        (docs) => {
          const sessions: Record<string, session.SessionData> = {};
          for (const doc of docs) sessions[doc._id] = doc.session;
          process.nextTick(() => callback(null, sessions));
        },
        (err: unknown) => this.fail('list', undefined, err, callback),
      );
  }

  /** How many live sessions there are. */
  override length(callback: (err: unknown, length?: number) => void): void {
    this.sessions.countDocuments(this.liveFilter(Date.now())).then(
      (count) => process.nextTick(() => callback(null, count)),
      (err: unknown) => this.fail('count', undefined, err, callback),
    );
  }

  /** A user's live sessions, most recently active first (one query on the `session.user._id` index). */
  async sessionsOfUser(userId: string): Promise<UserSession[]> {
    const filter = { 'session.user._id': requireUserId(userId), ...this.liveFilter(Date.now()) };
    let docs: SessionDocument[];
    try {
      docs = await this.sessions
        .find(filter, { projection: { createdAt: 1, lastModified: 1, expires: 1, 'session.userAgent': 1 } })
        .toArray();
    } catch (err) {
      throw new SessionStoreError(`could not list a user's sessions: ${err instanceof Error ? err.message : err}`);
    }
    return docs
      .map((doc): UserSession => {
        const userAgent: unknown = (doc.session as { userAgent?: unknown } | undefined)?.userAgent;
        return {
          id: doc._id,
          createdAt: doc.createdAt,
          lastActive: doc.lastModified ?? doc.createdAt,
          expires: doc.expires,
          ...(typeof userAgent === 'string' ? { userAgent } : {}),
        };
      })
      .sort((a, b) => b.lastActive.getTime() - a.lastActive.getTime());
  }

  /**
   * Ends a user's live sessions (sign-out everywhere, after a password change), except the one
   * given; returns how many. Requests of those sessions still in flight cannot write them back
   * (see `set`). One query on the `session.user._id` index.
   */
  async destroySessionsOfUser(userId: string, { except }: { except?: string } = {}): Promise<number> {
    if (except !== undefined && typeof except !== 'string') throw new TypeError('except must be a session id');
    const filter: Filter<SessionDocument> = {
      'session.user._id': requireUserId(userId),
      ...this.liveFilter(Date.now()),
      ...(except === undefined ? {} : { _id: { $ne: except } }),
    };
    try {
      return (await this.sessions.deleteMany(filter)).deletedCount;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new SessionStoreError(`could not end a user's sessions: ${except ? withoutId(message, except) : message}`);
    }
  }

  /** Whether the store's own MongoDB client (not mongoose's) reaches the database right now. */
  async ping(): Promise<boolean> {
    try {
      await this.client.db().admin().ping();
      return true;
    } catch {
      return false;
    }
  }

  /** Stops the expiry of its documents (see SessionStoreOptions) and closes its own MongoDB client. */
  async close(): Promise<void> {
    this.stopExpiring();
    await this.client.close();
  }
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
  logger: Logger;
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
