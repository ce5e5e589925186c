/**
 * @fernhill/session-store: connect-mongodb-session's MongoDBStore extended (store.ts), opened by
 * `openSessionStore` (open.ts) on the app's MongoDB client. Nothing here depends on the rest of the
 * app: the client, the logger, the expiry of documents, where a session keeps its user and what a
 * listing shows come in as options.
 */
export { MongoSessionStore } from './perUser';
export {
  DEFAULT_ABSOLUTE_TTL_MS,
  DEFAULT_TOUCH_INTERVAL_MS,
  DEFAULT_TTL_GRACE_SECONDS,
  DEFAULT_USER_ID_FIELD,
  type ClientSource,
  type MongoSessionStoreOptions,
} from './options';
export {
  openSessionStore,
  sessionStoreBeside,
  type SessionExpiry,
  type SessionStoreLogger,
  type SessionStoreOptions,
} from './open';
export { SessionSecretsMismatchError, SessionStoreError, scrubStoreError } from './errors';
export { hashSessionId, sessionIds, type SessionIds } from './ids';
export type { SessionDocument } from './documents';
export type { UserSession } from './userSessions';
