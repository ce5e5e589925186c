import type { MongoClient } from 'mongodb';
import type { MongoDBSessionOptions } from './baseTypes';

export const DEFAULT_TOUCH_INTERVAL_MS = 60_000;
export const DEFAULT_ABSOLUTE_TTL_MS = 8 * 60 * 60 * 1000;
/**
 * How long after its `expires` the TTL index (or the sweep) deletes a session document. Liveness is
 * decided in code at `expires` itself; the grace only keeps a deletion from landing between a
 * request's read of a live session and its touch (which would end a session that was in use). The
 * base's default is 0.
 */
export const DEFAULT_TTL_GRACE_SECONDS = 60;
/** Where a session keeps its user's id, unless told otherwise (`userIdField`). */
export const DEFAULT_USER_ID_FIELD = 'userId';

/**
 * The client a store runs on when it is given one: a MongoClient, or what holds one (a mongoose
 * Connection: its current client and its database's name). The store never connects or closes it.
 */
export type ClientSource = MongoClient | { getClient(): MongoClient; readonly name?: string };

export interface MongoSessionStoreOptions<Listed extends string = never> extends MongoDBSessionOptions {
  /**
   * Runs the store on this client (the app's) instead of one of its own made from `uri` and
   * `connectionOptions`, which it then refuses: one driver, one set of pools and timeouts.
   */
  client?: ClientSource;
  /** An unmodified session's expiry is written at most once per this many ms (lazy touch). */
  touchIntervalMs?: number;
  /** However active, a session ends this many ms after it was created. */
  absoluteTtlMs?: number;
  /**
   * Keys documents by HMAC-SHA-256(this secret, session id) instead of the id (see ids.ts). Keep it
   * apart from the cookie secrets; changing it ends every session. Without it, ids are stored as is.
   */
  idHashSecret?: string | Buffer;
  /**
   * The dotted path, inside the session data, of its user's id (a string): what the per-user
   * queries (perUser.ts) and their index use. `userId` unless given.
   */
  userIdField?: string;
  /** Session fields (strings) that `sessionsOfUser` lists with each session, e.g. a user agent. None unless given. */
  listedFields?: readonly Listed[];
  /**
   * Encrypts the session data at rest (AES-256-GCM, sealing.ts) with the first of these secrets (at
   * least 32 characters each); all of them decrypt, so that keys can rotate without ending
   * sessions. Without it, the data is stored as it is.
   */
  encryptionKeys?: readonly string[];
}

export type ConnectCallback = (error?: Error) => void;

/**
 * The base options the store cannot honour with other values: its queries, its indexes (the
 * unique `_id` one above all) and the per-user listing are built on these fields.
 */
const FIXED_FIELDS = { idField: '_id', expiresKey: 'expires' } as const;

/** What a session's listing always has (userSessions.ts): no listed field may take these names. */
const RESERVED_LISTED = new Set(['handle', 'createdAt', 'lastActive', 'expires']);

// Written into filters and projections: no operator, no empty segment; a listed field is a top-level one.
const FIELD_PATH = /^[^.$]+(\.[^.$]+)*$/;
const FIELD_NAME = /^[^.$]+$/;

function field(value: unknown, pattern: RegExp, option: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new TypeError(`MongoSessionStore: '${String(value)}' cannot be a field of the ${option} option`);
  }
  return value;
}

/**
 * The constructor's arguments taken apart as connect-mongodb-session takes them: `(options?,
 * callback?)` or `(callback)`. Refuses options it would otherwise ignore.
 */
export function storeArguments<Listed extends string>(
  options: MongoSessionStoreOptions<Listed> | ConnectCallback | undefined,
  callback?: ConnectCallback,
) {
  if (typeof options === 'function') return storeArguments<Listed>(undefined, options);
  const {
    client,
    touchIntervalMs = DEFAULT_TOUCH_INTERVAL_MS,
    absoluteTtlMs = DEFAULT_ABSOLUTE_TTL_MS,
    idHashSecret,
    userIdField = DEFAULT_USER_ID_FIELD,
    listedFields = [],
    expiresAfterSeconds = DEFAULT_TTL_GRACE_SECONDS,
    encryptionKeys,
    ...rest
  } = options ?? {};
  const base = { ...rest, expiresAfterSeconds };
  for (const [name, field] of Object.entries(FIXED_FIELDS)) {
    const given = base[name as keyof typeof FIXED_FIELDS];
    if (given !== undefined && given !== field) {
      throw new TypeError(
        `MongoSessionStore: the ${name} option must be '${field}' (the store's queries and indexes use it), not '${given}'`,
      );
    }
  }
  if (client && (base.uri !== undefined || base.connectionOptions !== undefined)) {
    throw new TypeError('MongoSessionStore: give either a client or a uri (and connectionOptions), not both');
  }
  for (const name of listedFields) {
    if (RESERVED_LISTED.has(field(name, FIELD_NAME, 'listedFields'))) {
      throw new TypeError(`MongoSessionStore: '${name}' cannot be a listed field (a listing has its own)`);
    }
  }
  return {
    base,
    client,
    callback,
    touchIntervalMs,
    absoluteTtlMs,
    idHashSecret,
    userIdField: field(userIdField, FIELD_PATH, 'userIdField'),
    listedFields: [...listedFields] as readonly string[],
    encryptionKeys,
  };
}
