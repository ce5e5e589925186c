import type { Store } from 'express-session';
import type { MongoSessionStore } from '../sessions';

/** What the account pages need of the session store beyond express-session's Store. */
export type SessionControl = Pick<
  MongoSessionStore,
  | 'sessionsOfUser'
  | 'destroySessionsOfUser'
  | 'destroySessionOfUser'
  | 'endLeastRecentSessionsOfUser'
  | 'handleOf'
  | 'ping'
>;

export type ShopSessionStore = Store & SessionControl;
