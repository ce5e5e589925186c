import type { SessionData } from 'express-session';
import type { SessionDocument } from './documents';
import type { SessionIds } from './ids';
import type { Sealer } from './sealing';

/**
 * How a session's data lies in its document, and where the per-user queries find its user.
 *
 * - As it is (the base library's layout): `session` holds the data, and the user's id is read at
 *   `session.<userIdField>`.
 * - Sealed (the `encryptionKeys` option, sealing.ts): `session` holds only the cookie (its expiry,
 *   which a touch moves without a new seal), `sealed` the rest as encrypted JSON, and `user` the
 *   user's id, or its HMAC when ids are hashed, for the per-user index. A document then tells
 *   nothing of the session but its lifetimes. Data stored before sealing was turned on is still
 *   read, and sealed at its next write.
 */
export interface SessionCodec {
  /** The document path of a session's user: the per-user queries' field and index. */
  readonly userPath: string;
  /** What that path holds for a user's id. */
  userKeyOf(userId: string): string;
  /** The fields that a full write of the session sets. */
  fieldsOf(handle: string, stored: SessionData): Pick<SessionDocument, 'session' | 'sealed' | 'user'>;
  /** The session data of a document; undefined when this store cannot read it (sealed under a key it lacks). */
  dataOf(doc: Pick<SessionDocument, '_id' | 'session' | 'sealed'>): SessionData | undefined;
  /** The document should be written again (sealed, or sealed under the newest key) at its next touch. */
  needsNewSeal(doc: Pick<SessionDocument, 'sealed'>): boolean;
  /** What a listing must read of a document for `dataOf` to give these session fields. */
  projectionOf(fields: readonly string[]): Record<string, 1>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The value at a dotted path of the session data. */
function valueAt(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (isObject(value) ? value[key] : undefined), data);
}

export function plainCodec(userIdField: string): SessionCodec {
  return {
    userPath: `session.${userIdField}`,
    userKeyOf: (userId) => userId,
    fieldsOf: (_handle, stored) => ({ session: stored }),
    // A sealed document (written with encryptionKeys) is nothing this store can read.
    dataOf: (doc) => (doc.sealed === undefined && isObject(doc.session) ? doc.session : undefined),
    needsNewSeal: () => false,
    projectionOf: (fields) => Object.fromEntries(fields.map((field) => [`session.${field}`, 1])),
  };
}

export function sealedCodec(userIdField: string, sealer: Sealer, ids: SessionIds): SessionCodec {
  const userKeyOf = (userId: string) => ids.userKeyOf(userId);
  return {
    userPath: 'user',
    userKeyOf,
    fieldsOf(handle, stored) {
      const { cookie, ...data } = stored;
      const user = valueAt(data, userIdField);
      return {
        session: { cookie } as SessionData,
        sealed: sealer.seal(JSON.stringify(data), handle),
        user: typeof user === 'string' ? userKeyOf(user) : null,
      };
    },
    dataOf(doc) {
      if (!isObject(doc.session)) return undefined;
      if (typeof doc.sealed !== 'string') return doc.session;
      try {
        const data = JSON.parse(sealer.open(doc.sealed, doc._id)) as SessionData;
        return { ...data, cookie: doc.session.cookie };
      } catch {
        return undefined;
      }
    },
    needsNewSeal: (doc) => typeof doc.sealed !== 'string' || sealer.isStale(doc.sealed),
    projectionOf: () => ({ session: 1, sealed: 1 }),
  };
}
