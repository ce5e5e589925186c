import type { Request } from 'express';
import session from 'express-session';
import connectMongoDBSession from 'connect-mongodb-session';
import type { Collection } from 'mongodb';
import { expiryOf, isLive, liveFilter, serializeSession, type Lifetimes, type SessionDocument } from './documents';
import { storeFailure } from './errors';
import { markStored, storedState } from './storedState';
import * as userSessions from './userSessions';

const MongoDBStore = connectMongoDBSession(session);

type Callback = (err?: unknown) => void;

export const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
export const DEFAULT_ABSOLUTE_TTL_MS = 8 * 60 * 60 * 1000;

export interface MongoSessionStoreOptions extends connectMongoDBSession.MongoDBSessionOptions {
  /** An unmodified session's expiry is written at most once per this many ms (lazy touch). */
  touchIntervalMs?: number;
  /** However active, a session ends this many ms after it was created. */
  absoluteTtlMs?: number;
}

/**
 * connect-mongodb-session's MongoDBStore with what it lacks: a lazy `touch` (a rolling idle
 * timeout), an absolute lifetime, logouts that in-flight requests cannot undo, working `all` and
 * `length`, per-user listing and revocation, errors without session ids, and `close()`. It reuses
 * the library's connection and TTL index only: every read and write is its own.
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

  private get lifetimes(): Lifetimes {
    return { defaultIdleMs: this.options.expires, absoluteTtlMs: this.absoluteTtlMs };
  }

  /** Reports a failure to the `error` listeners and the callback, without the session id. */
  private fail(operation: string, sid: string | undefined, error: unknown, callback?: Callback): void {
    const scrubbed = storeFailure(operation, sid, error);
    if (this._emitter.listeners('error').length > 0) this._emitter.emit('error', scrubbed);
    // Out of the promise chain, as the library does: what the callback throws is not ours to catch.
    process.nextTick(() => callback?.(scrubbed));
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const now = Date.now();
    this.sessions.findOne({ _id: sid }).then(
      (doc) => {
        if (doc && isLive(doc, now, this.lifetimes)) {
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
      session: serializeSession(data),
      expires: expiryOf(data, now, state?.createdAt ?? now, this.lifetimes),
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
    const cookie = serializeSession({ cookie: data.cookie } as session.SessionData).cookie;
    const fields = { expires: expiryOf(data, now, state?.createdAt, this.lifetimes), lastModified: new Date(now) };
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
      .find(liveFilter(Date.now(), this.lifetimes))
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
    this.sessions.countDocuments(liveFilter(Date.now(), this.lifetimes)).then(
      (count) => process.nextTick(() => callback(null, count)),
      (err: unknown) => this.fail('count', undefined, err, callback),
    );
  }

  /** A user's live sessions, most recently active first. */
  sessionsOfUser(userId: string): Promise<userSessions.UserSession[]> {
    return userSessions.sessionsOfUser(this.sessions, this.lifetimes, userId);
  }

  /**
   * Ends a user's live sessions except the one given; returns how many. Requests of those sessions
   * still in flight cannot write them back (see `set`).
   */
  destroySessionsOfUser(userId: string, options: { except?: string } = {}): Promise<number> {
    return userSessions.destroySessionsOfUser(this.sessions, this.lifetimes, userId, options);
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

  /** Stops the expiry of its documents (see `openSessionStore`) and closes its own MongoDB client. */
  async close(): Promise<void> {
    this.stopExpiring();
    await this.client.close();
  }
}
