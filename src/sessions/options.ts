import type connectMongoDBSession from 'connect-mongodb-session';

export const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
export const DEFAULT_ABSOLUTE_TTL_MS = 8 * 60 * 60 * 1000;

export interface MongoSessionStoreOptions extends connectMongoDBSession.MongoDBSessionOptions {
  /** An unmodified session's expiry is written at most once per this many ms (lazy touch). */
  touchIntervalMs?: number;
  /** However active, a session ends this many ms after it was created. */
  absoluteTtlMs?: number;
  /**
   * Keys documents by HMAC-SHA-256(this secret, session id) instead of the id (see ids.ts). Keep it
   * apart from the cookie secrets; changing it ends every session. Without it, ids are stored as is.
   */
  idHashSecret?: string | Buffer;
}

export type ConnectCallback = (error?: Error) => void;

/**
 * The base options the store cannot honour with other values: its queries, its indexes (the
 * unique `_id` one above all) and the per-user listing are built on these fields.
 */
const FIXED_FIELDS = { idField: '_id', expiresKey: 'expires' } as const;

/**
 * The constructor's arguments taken apart as connect-mongodb-session takes them: `(options?,
 * callback?)` or `(callback)`. Refuses base options it would otherwise ignore.
 */
export function storeArguments(
  options: MongoSessionStoreOptions | ConnectCallback | undefined,
  callback?: ConnectCallback,
) {
  if (typeof options === 'function') return storeArguments(undefined, options);
  const {
    touchIntervalMs = DEFAULT_TOUCH_INTERVAL_MS,
    absoluteTtlMs = DEFAULT_ABSOLUTE_TTL_MS,
    idHashSecret,
    ...base
  } = options ?? {};
  for (const [name, field] of Object.entries(FIXED_FIELDS)) {
    const given = base[name as keyof typeof FIXED_FIELDS];
    if (given !== undefined && given !== field) {
      throw new TypeError(
        `MongoSessionStore: the ${name} option must be '${field}' (the store's queries and indexes use it), not '${given}'`,
      );
    }
  }
  return { base, callback, touchIntervalMs, absoluteTtlMs, idHashSecret };
}
