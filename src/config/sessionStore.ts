import type { Store } from 'express-session';
import type { MongoSessionStore } from '@fernhill/session-store';
import type { ListedSessionField } from './session';

/** The shop's MongoDB session store: its listings show the fields of config/session.ts. */
export type ShopMongoSessionStore = MongoSessionStore<ListedSessionField>;

/** What the account and admin pages need of the session store beyond express-session's Store. */
export type SessionControl = Pick<
  ShopMongoSessionStore,
  | 'sessionsOfUser'
  | 'countLiveSessionsOfUsers'
  | 'destroySessionsOfUser'
  | 'destroySessionOfUser'
  | 'endLeastRecentSessionsOfUser'
  | 'handleOf'
  | 'ping'
>;

export type ShopSessionStore = Store & SessionControl;
