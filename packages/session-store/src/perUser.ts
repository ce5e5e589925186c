import { liveFilter } from './documents';
import { SESSION_READ } from './durability';
import * as userSessions from './userSessions';
import type { ConnectCallback, MongoSessionStoreOptions } from './options';
import { SessionStoreBase } from './store';

/**
 * The session store (store.ts) with what an account page needs: a user's sessions listed, counted
 * (for a list of accounts), ended all but one, one by its handle, or beyond a cap; and the start-up cleanup of sessions it can
 * never find. Each is one query on the index of the user's id (`userPath`, userSessions.ts).
 * `Listed` names the session fields that a listing shows (the `listedFields` option).
 */
class PerUserSessionStore<Listed extends string = never> extends SessionStoreBase {
  constructor(callback: ConnectCallback);
  constructor(options?: MongoSessionStoreOptions<Listed>, callback?: ConnectCallback);
  constructor(options?: MongoSessionStoreOptions<Listed> | ConnectCallback, callback?: ConnectCallback) {
    super(options as MongoSessionStoreOptions<string>, callback);
  }

  private get fields(): userSessions.UserFields {
    return { codec: this.codec, listedFields: this.listedFields };
  }

  /** A user's live sessions, most recently active first. */
  sessionsOfUser(userId: string): Promise<userSessions.UserSession<Listed>[]> {
    return userSessions.sessionsOfUser(this.sessions, this.lifetimes, this.fields, userId);
  }

  /** How many live sessions each of these users has (absent: none), in one query. */
  countLiveSessionsOfUsers(userIds: readonly string[]): Promise<Map<string, number>> {
    return userSessions.countLiveSessionsOfUsers(this.sessions, this.lifetimes, this.fields, userIds);
  }

  /**
   * Ends a user's live sessions except the one whose (cookie) id is given; returns how many. Requests
   * of those sessions still in flight cannot write them back (see `set`).
   */
  async destroySessionsOfUser(userId: string, { except }: { except?: string } = {}): Promise<number> {
    if (except !== undefined && typeof except !== 'string') throw new TypeError('except must be a session id');
    const options = except === undefined ? {} : { except: this.ids.keyOf(except) };
    return userSessions.destroySessionsOfUser(this.sessions, this.lifetimes, this.fields, userId, options);
  }

  /** Ends the user's live session of this handle (from `sessionsOfUser`); whether there was one. */
  destroySessionOfUser(userId: string, handle: string): Promise<boolean> {
    return userSessions.destroySessionOfUser(this.sessions, this.lifetimes, this.fields, userId, handle);
  }

  /** Ends the user's least recently active live sessions beyond the `keep` most recent; returns how many. */
  endLeastRecentSessionsOfUser(userId: string, keep: number): Promise<number> {
    return userSessions.endLeastRecentSessions(this.sessions, this.lifetimes, this.fields, userId, keep);
  }

  /**
   * Whether this store reads what the collection holds: a live session (any one) keyed by its
   * idHashSecret and readable with its encryptionKeys, or none at all. A tool beside the app
   * configured with other secrets finds none of the app's sessions (their ids and users are HMACs
   * under the app's secret), and would end nothing while saying it did.
   */
  async readsStoredSessions(): Promise<boolean> {
    const doc = await this.sessions.findOne(liveFilter(Date.now(), this.lifetimes), SESSION_READ);
    return doc === null || (doc.idKey === this.ids.keyId && this.codec.dataOf(doc) !== undefined);
  }

  /**
   * Deletes the sessions that this store can never find: those keyed by another id secret, or
   * stored before ids were hashed (their users log in again). Nothing without an idHashSecret.
   */
  async endSessionsOfOtherIdKeys(): Promise<number> {
    if (!this.ids.keyId) return 0;
    return (await this.sessions.deleteMany({ idKey: { $ne: this.ids.keyId } })).deletedCount;
  }
}

/** The constructor's forms, each also callable without `new`, as connect-mongodb-session's is. */
interface MongoSessionStoreConstructor {
  new (callback: ConnectCallback): PerUserSessionStore;
  new <Listed extends string = never>(
    options?: MongoSessionStoreOptions<Listed>,
    callback?: ConnectCallback,
  ): PerUserSessionStore<Listed>;
  (callback: ConnectCallback): PerUserSessionStore;
  <Listed extends string = never>(
    options?: MongoSessionStoreOptions<Listed>,
    callback?: ConnectCallback,
  ): PerUserSessionStore<Listed>;
  readonly prototype: PerUserSessionStore<string>;
}

/**
 * The store. A class is not callable without `new`; the base is (`MongoDBStore(options)`), so the
 * class is wrapped: a call constructs, and everything else (new, instanceof, extends, statics)
 * reaches the class itself.
 */
export const MongoSessionStore = new Proxy(PerUserSessionStore, {
  apply: (Store, _this, args: ConstructorParameters<typeof PerUserSessionStore>) => new Store(...args),
}) as unknown as MongoSessionStoreConstructor;
export type MongoSessionStore<Listed extends string = never> = PerUserSessionStore<Listed>;
