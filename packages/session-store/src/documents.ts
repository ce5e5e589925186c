import type { SessionData } from 'express-session';
import type { Filter } from 'mongodb';

/**
 * A document of the `sessions` collection. `createdAt` is written once, on insert; `lastModified`
 * on every write (set or touch); `expires` is the idle deadline, never later than the absolute one.
 */
export interface SessionDocument {
  _id: string;
  /** The session's data, or only its cookie when the data is sealed (codec.ts). */
  session: SessionData;
  /** The rest of the session's data, encrypted (the `encryptionKeys` option, sealing.ts). */
  sealed?: string;
  /** With sealed data: the user's id (or its HMAC when ids are hashed), for the per-user queries. */
  user?: string | null;
  expires: Date;
  createdAt: Date;
  lastModified: Date;
  /** Which id secret keyed `_id` (ids.ts `keyId`); absent when ids are stored as they are. */
  idKey?: string;
}

/** A new session's document, created now; `idKey` names the secret that keyed `_id`, if any. */
export function newSessionDocument(
  _id: string,
  fields: Partial<SessionDocument> & Pick<SessionDocument, 'session'>,
  expires: Date,
  now: number,
  idKey?: string,
): SessionDocument {
  const created = new Date(now);
  const doc: SessionDocument = { _id, ...fields, expires, createdAt: created, lastModified: created };
  return idKey ? { ...doc, idKey } : doc;
}

/** How long sessions last: the idle timeout of a cookie without expiry, and the absolute lifetime. */
export interface Lifetimes {
  defaultIdleMs: number;
  absoluteTtlMs: number;
}

/**
 * What JSON (and so express-session's MemoryStore) makes of a value that not every server stores:
 * NaN, ±Infinity and an invalid Date become null (the offline test server drops the connection on
 * a NaN and refuses infinities). Plain objects and arrays are copied; anything else (an ObjectId, a
 * Date) is left to the driver.
 */
function storable(value: unknown, path: Set<object>): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (value === null || typeof value !== 'object' || path.has(value)) return value;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
  path.add(value);
  const copy = Array.isArray(value)
    ? value.map((item: unknown) => storable(item, path))
    : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, storable(item, path)]));
  path.delete(value);
  return copy;
}

/** The session as stored: the cookie through its toJSON (the standard fields only), values as JSON keeps them. */
export function serializeSession(data: SessionData): SessionData {
  const stored: Record<string, unknown> = {};
  for (const key in data) {
    const value: unknown = data[key as keyof SessionData];
    const plain =
      key === 'cookie' && value && typeof (value as { toJSON?: unknown }).toJSON === 'function'
        ? (value as { toJSON(): unknown }).toJSON()
        : value;
    stored[key] = storable(plain, new Set());
  }
  return stored as unknown as SessionData;
}

/** Sessions that neither idled out nor outlived the absolute lifetime (documents we wrote). */
export function liveFilter(now: number, { absoluteTtlMs }: Lifetimes): Filter<SessionDocument> {
  return { expires: { $gt: new Date(now) }, createdAt: { $gt: new Date(now - absoluteTtlMs) } };
}

export function isLive(doc: SessionDocument, now: number, { absoluteTtlMs }: Lifetimes): boolean {
  return (
    doc.session !== null &&
    typeof doc.session === 'object' &&
    doc.expires instanceof Date &&
    doc.expires.getTime() > now &&
    // A session without a creation time was written before the absolute lifetime existed: ended.
    doc.createdAt instanceof Date &&
    doc.createdAt.getTime() + absoluteTtlMs > now
  );
}

/** The idle deadline from the cookie (or the default), capped by the absolute one. */
export function expiryOf(data: SessionData, now: number, createdAt: number | undefined, lifetimes: Lifetimes): Date {
  const cookieExpires = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : NaN;
  const idle = Number.isNaN(cookieExpires) ? now + lifetimes.defaultIdleMs : cookieExpires;
  return new Date(createdAt === undefined ? idle : Math.min(idle, createdAt + lifetimes.absoluteTtlMs));
}

/** The session data as express-session compares it: without the cookie, which every request renews. */
export const withoutCookie = (stored: SessionData) => JSON.stringify({ ...stored, cookie: undefined });

/** Whether an update's result says that it found the document (anything unexpected says no). */
export const matched = (result: { matchedCount?: unknown } | null | undefined) =>
  typeof result?.matchedCount === 'number' && result.matchedCount > 0;

export const isDuplicateKey = (err: unknown) => (err as { code?: unknown } | null)?.code === 11000;
