import { createHash, createHmac } from 'node:crypto';

/** Session ids appear in logs and pages only as a short hash: enough to correlate, useless to hijack. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 12);
}

/**
 * How the store names a session. With a secret, the `_id` of a document is HMAC-SHA-256(secret,
 * cookie id): a copy of the collection (a backup, a dump) holds no id that a cookie could carry,
 * and without the secret nobody can tell which document a known cookie id belongs to. Without a
 * secret the `_id` is the id itself, as connect-mongodb-session stores it.
 */
export interface SessionIds {
  /** The document's `_id`, which is also the session's handle on pages (never the cookie id when hashed). */
  keyOf(sid: string): string;
  /** A short name for logs and error messages: the first 12 hex digits of the handle (or of a SHA-256 without a secret). */
  labelOf(sid: string): string;
  /** Names the secret (an HMAC of a constant, not the secret): written on each document, to find those of other secrets. */
  keyId?: string;
  /** How a sealed document names its user (codec.ts): an HMAC of the user's id with the secret, else the id. */
  userKeyOf(userId: string): string;
}

export function sessionIds(secret?: string | Buffer): SessionIds {
  if (secret === undefined) return { keyOf: (sid) => sid, labelOf: hashSessionId, userKeyOf: (userId) => userId };
  if (secret.length === 0) throw new TypeError('MongoSessionStore: idHashSecret must not be empty');
  const keyOf = (sid: string) => createHmac('sha256', secret).update(sid, 'utf8').digest('hex');
  return {
    keyOf,
    labelOf: (sid) => keyOf(sid).slice(0, 12),
    keyId: createHmac('sha256', secret).update('session id key').digest('hex').slice(0, 16),
    userKeyOf: (userId) => createHmac('sha256', secret).update(`user:${userId}`, 'utf8').digest('hex'),
  };
}
