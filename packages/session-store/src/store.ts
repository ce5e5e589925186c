/**
 * connect-mongodb-session's MongoDBStore, extended. The design keeps the library (its options and
 * their defaults, its TTL index on `expires`, `clear()`), and overrides what it gets wrong or lacks,
 * each for a reason:
 *
 * - constructor: also takes `(callback)` or nothing, as the base does, and refuses `idField` and
 *   `expiresKey` values other than the fields it uses instead of ignoring them. Given a `client`
 *   (the app's MongoClient or mongoose Connection), it runs on that one and makes none of its own
 *   (base.ts): one driver, one set of pools. Given a `uri`, it owns the client it makes, as the base does.
 * - on/once: the base registers listeners on a private emitter that `emit()` never reaches, so
 *   express-session's 'disconnect'/'connect' listeners never heard anything. The store is now its
 *   own single emitter.
 * - get: refuses a session past its absolute lifetime as well as its idle one, and hands its
 *   creation time to `set`/`touch` (createSession carries it onto req.session).
 * - set: the base upserts every write, so a request in flight brought a session back after a
 *   logout (docs/sessions.md, "A logout is final"); here a session is inserted once and later only updated while live.
 *   Its values are stored as JSON would keep them (not every server stores a NaN).
 * - touch: the base has none, so the idle timeout counted from the last change; here a lazy touch.
 * - every read and write of one session filters on `_id` alone, deciding liveness on the document
 *   it read: some servers narrow no other filter to their `_id` lookup and scan every session
 *   instead (docs/performance.md, "With many sessions stored").
 * - all/length: the base's `all` uses a callback API the driver dropped and has no `length`.
 * - ids: with an `idHashSecret`, documents are keyed by an HMAC of the id (ids.ts), so `byId` maps
 *   every read and write and `all` answers with those handles.
 * - errors: the base puts the session id and contents in its messages; ours carry its label (ids.ts).
 * - data at rest: with `encryptionKeys`, documents hold the session sealed (codec.ts, sealing.ts),
 *   and a touch seals it anew once after a key rotation.
 * Every write's callback is called, whatever the driver resolves to.
 */
import { EventEmitter } from 'node:events';
import type session from 'express-session';
import type { Collection } from 'mongodb';
import { MongoDBStoreBase } from './base';
import { plainCodec, sealedCodec, type SessionCodec } from './codec';
import { SECURITY_WRITE, SESSION_READ } from './durability';
import {
  expiryOf,
  isDuplicateKey,
  isLive,
  matched,
  newSessionDocument,
  serializeSession,
  withoutCookie,
} from './documents';
import type { Lifetimes, SessionDocument } from './documents';
import { settle } from './errors';
import { sessionIds, type SessionIds } from './ids';
import { countLiveSessions, liveSessions } from './listing';
import { storeArguments, type ConnectCallback, type MongoSessionStoreOptions } from './options';
import { sealer } from './sealing';
import { isLiveState, markStored, stateOf, storedState, type StoredState } from './storedState';

type Callback = (err?: unknown) => void;

/** The express-session Store contract; `MongoSessionStore` (perUser.ts) adds the per-user API. */
export class SessionStoreBase extends MongoDBStoreBase {
  readonly touchIntervalMs: number;
  readonly absoluteTtlMs: number;
  /** How sessions are named in documents and logs (ids.ts): hashed when an idHashSecret was given. */
  readonly ids: SessionIds;
  /** How session data lies in documents: as it is, or sealed (the `encryptionKeys` option, codec.ts). */
  protected readonly codec: SessionCodec;
  /** The session fields `sessionsOfUser` lists (the `listedFields` option). */
  protected readonly listedFields: readonly string[];
  /** Whether the store made its client (from a uri) and so closes it; never a client it was given. */
  readonly ownsClient: boolean;
  /** Set by `openSessionStore`: stops whatever deletes expired sessions. */
  stopExpiring: () => void = () => undefined;
  private closed = false;

  constructor(callback: ConnectCallback);
  constructor(options?: MongoSessionStoreOptions<string>, callback?: ConnectCallback);
  constructor(options?: MongoSessionStoreOptions<string> | ConnectCallback, callback?: ConnectCallback) {
    const args = storeArguments(options, callback);
    super(args.base, args.client, args.callback);
    this.touchIntervalMs = args.touchIntervalMs;
    this.absoluteTtlMs = args.absoluteTtlMs;
    this.ids = sessionIds(args.idHashSecret);
    this.codec = args.encryptionKeys
      ? sealedCodec(args.userIdField, sealer(args.encryptionKeys), this.ids)
      : plainCodec(args.userIdField);
    this.listedFields = args.listedFields;
    this.ownsClient = !args.client;
    // The base emits 'connected' and 'error' on _emitter, and only later (after connecting).
    this._emitter = this;
  }

  /**
   * The document path of a session's user id (`session.` + the `userIdField` option, or `user` when
   * the data is sealed): the per-user queries' index.
   */
  get userPath(): string {
    return this.codec.userPath;
  }

  protected get sessions(): Collection<SessionDocument> {
    return this.collection as unknown as Collection<SessionDocument>;
  }

  /** The session's handle: its document's `_id`, as `sessionsOfUser` lists it (the HMAC when hashed). */
  handleOf(sid: string): string {
    return this.ids.keyOf(sid);
  }

  /** The filter of one session's document: every read and write goes through it, so none uses the raw id. */
  private byId(sid: string): { _id: string } {
    return { _id: this.handleOf(sid) };
  }

  protected get lifetimes(): Lifetimes {
    return { defaultIdleMs: this.options.expires, absoluteTtlMs: this.absoluteTtlMs };
  }

  /** Calls back with what `work` resolves to, or with its failure reported without the session id. */
  private settle<T>(
    operation: string,
    sid: string | undefined,
    work: Promise<T>,
    callback?: (err: unknown, value?: T) => void,
  ) {
    settle(this, this.ids.labelOf, [operation, sid], work, callback);
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.settle('load', sid, this.read(sid), callback);
  }

  private async read(sid: string): Promise<session.SessionData | null> {
    const now = Date.now();
    const doc = await this.sessions.findOne(this.byId(sid), SESSION_READ);
    const live = doc !== null && isLive(doc, now, this.lifetimes);
    const data = live ? this.codec.dataOf(doc) : undefined;
    if (doc && data) {
      markStored(data, stateOf(doc, this.codec.needsNewSeal(doc)));
      return data;
    }
    // Live but unreadable (sealed under a key no longer listed): no session, and the document stays
    // until it expires, in case the key comes back.
    if (doc && !live) {
      // Idle too long or past its absolute lifetime. The TTL index or the sweeper would delete it
      // later; this request already treats it as gone.
      this.settle('delete expired', sid, this.sessions.deleteOne(this.byId(sid), SECURITY_WRITE));
    }
    return null;
  }

  /** express-session builds req.session here from what `get` returned: the store's state goes along. */
  override createSession(
    req: Parameters<session.Store['createSession']>[0],
    data: session.SessionData,
  ): session.Session & session.SessionData {
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
    this.settle('save', sid, this.save(sid, data), callback);
  }

  private async save(sid: string, data: session.SessionData): Promise<void> {
    const now = Date.now();
    const state = storedState(data);
    const stored = serializeSession(data);
    if (!state) return this.insert(sid, data, stored, now);
    if (!isLiveState(state, now, this.absoluteTtlMs)) return;
    const written = withoutCookie(stored);
    // What this request has just written, again (express-session saves a regenerated session once
    // more at the end of the request): only its expiry would move, so it is a touch.
    if (state.written === written && now - state.writtenAt < this.touchIntervalMs) return;
    await this.update(sid, data, state, this.codec.fieldsOf(this.handleOf(sid), stored), now, written);
  }

  /** A session this store did not load: normally a new one; else updated like a loaded one. */
  private async insert(sid: string, data: session.SessionData, stored: session.SessionData, now: number) {
    const expires = expiryOf(data, now, now, this.lifetimes);
    const written = withoutCookie(stored);
    try {
      const handle = this.handleOf(sid);
      const doc = newSessionDocument(handle, this.codec.fieldsOf(handle, stored), expires, now, this.ids.keyId);
      const result = await this.sessions.insertOne(doc, SECURITY_WRITE);
      if (result?.acknowledged) markStored(data, { ...stateOf(doc), written });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const state = await this.liveState(sid, now);
    if (state) await this.update(sid, data, state, this.codec.fieldsOf(this.handleOf(sid), stored), now, written);
  }

  /**
   * Writes a live session's fields and its new expiry (capped by its creation time), by `_id` alone:
   * liveness was decided on what the store read (see storedState.ts), and `{ _id }` is the one
   * filter that every server answers from its `_id` lookup (see the header). `unchangedSince`
   * narrows it to a document nobody wrote since (a compare-and-set on `lastModified`).
   */
  private async update(
    sid: string,
    data: session.SessionData,
    state: StoredState,
    fields: Record<string, unknown>,
    now: number,
    written = state.written,
    unchangedSince?: number,
  ): Promise<void> {
    const expires = expiryOf(data, now, state.createdAt, this.lifetimes);
    const filter =
      unchangedSince === undefined ? this.byId(sid) : { ...this.byId(sid), lastModified: new Date(unchangedSince) };
    const result = await this.sessions.updateOne(filter, {
      $set: { ...fields, expires, lastModified: new Date(now) },
    });
    if (!matched(result)) return;
    markStored(data, { createdAt: state.createdAt, expiresAt: expires.getTime(), writtenAt: now, written });
  }

  /** The state of a session from its document, if it is live (for writes of sessions not loaded). */
  private async liveState(sid: string, now: number): Promise<StoredState | undefined> {
    const doc = await this.sessions.findOne(this.byId(sid), SESSION_READ);
    return doc && isLive(doc, now, this.lifetimes) ? stateOf(doc, this.codec.needsNewSeal(doc)) : undefined;
  }

  /**
   * Called by express-session at the end of a request that did not modify the session. Moves the
   * session's expiry forward (a rolling idle timeout), but writes at most once per touch interval.
   */
  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.settle('touch', sid, this.touchSession(sid, data), callback);
  }

  private async touchSession(sid: string, data: session.SessionData): Promise<void> {
    const now = Date.now();
    const loaded = storedState(data);
    if (loaded && now - loaded.writtenAt < this.touchIntervalMs) return;
    // Without what get() read, the creation time (and so the absolute deadline) comes from the document.
    const state = loaded ?? (await this.liveState(sid, now));
    if (!state || !isLiveState(state, now, this.absoluteTtlMs)) return;
    if (state.needsNewSeal) {
      // Once after sealing was turned on or a new key was put first: the session written whole,
      // sealed under the newest key, and only if no other request wrote it since this one read it
      // (this request's copy is then what is stored). Otherwise that write already sealed it anew.
      const fields = this.codec.fieldsOf(this.handleOf(sid), serializeSession(data));
      return this.update(sid, data, state, fields, now, state.written, state.writtenAt);
    }
    const cookie = serializeSession({ cookie: data.cookie } as session.SessionData).cookie;
    await this.update(sid, data, state, { 'session.cookie': cookie }, now);
  }

  override destroy(sid: string, callback?: Callback): void {
    this.settle(
      'destroy',
      sid,
      this.sessions.deleteOne(this.byId(sid), SECURITY_WRITE).then(() => undefined),
      callback,
    );
  }

  override all(callback: (err: unknown, sessions?: Record<string, session.SessionData> | null) => void): void {
    this.settle('list', undefined, liveSessions(this.sessions, this.lifetimes, this.codec), callback);
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.settle('count', undefined, countLiveSessions(this.sessions, this.lifetimes), callback);
  }

  /**
   * Deletes the sessions whose `expires` passed more than the grace (`expiresAfterSeconds`) ago:
   * what the TTL index does on a server whose TTL monitor deletes, for the servers that do not
   * (openSessionStore's `expiry: { sweepEveryMs }` calls it). Returns how many.
   */
  async sweepExpired(now = Date.now()): Promise<number> {
    const before = new Date(now - this.options.expiresAfterSeconds * 1000);
    return (await this.sessions.deleteMany({ expires: { $lt: before } })).deletedCount;
  }

  /** Whether the store, open, reaches its database through its client right now. */
  async ping(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.db.command({ ping: 1 });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stops the expiry of its documents (see `openSessionStore`) and closes the client it made; a
   * client it was given stays open for its owner.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopExpiring();
    if (this.ownsClient) await this.client.close();
  }
}

// One emitter: listeners registered with on()/once() hear what emit() sends (see the header).
Object.assign(SessionStoreBase.prototype, { on: EventEmitter.prototype.on, once: EventEmitter.prototype.once });
