import * as userSessions from './userSessions';
import { SessionStoreBase } from './store';

/**
 * The session store (store.ts) with what an account page needs: a user's sessions listed, ended
 * all but one, one by its handle, or beyond a cap; and the start-up cleanup of sessions it can
 * never find. Each is one query on the `session.user._id` index (userSessions.ts).
 */
export class MongoSessionStore extends SessionStoreBase {
  /** A user's live sessions, most recently active first. */
  sessionsOfUser(userId: string): Promise<userSessions.UserSession[]> {
    return userSessions.sessionsOfUser(this.sessions, this.lifetimes, userId);
  }

  /**
   * Ends a user's live sessions except the one whose (cookie) id is given; returns how many. Requests
   * of those sessions still in flight cannot write them back (see `set`).
   */
  async destroySessionsOfUser(userId: string, { except }: { except?: string } = {}): Promise<number> {
    if (except !== undefined && typeof except !== 'string') throw new TypeError('except must be a session id');
    const options = except === undefined ? {} : { except: this.ids.keyOf(except) };
    return userSessions.destroySessionsOfUser(this.sessions, this.lifetimes, userId, options);
  }

  /** Ends the user's live session of this handle (from `sessionsOfUser`); whether there was one. */
  destroySessionOfUser(userId: string, handle: string): Promise<boolean> {
    return userSessions.destroySessionOfUser(this.sessions, this.lifetimes, userId, handle);
  }

  /** Ends the user's least recently active live sessions beyond the `keep` most recent; returns how many. */
  endLeastRecentSessionsOfUser(userId: string, keep: number): Promise<number> {
    return userSessions.endLeastRecentSessions(this.sessions, this.lifetimes, userId, keep);
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
