import type { Collection, Filter } from 'mongodb';
import type { SessionCodec } from './codec';
import { liveFilter, type Lifetimes, type SessionDocument } from './documents';
import { SECURITY_WRITE, SESSION_READ } from './durability';
import { SessionStoreError, messageOf } from './errors';

/** One of a user's live sessions, as `sessionsOfUser` lists them (for an "active sessions" page). */
export type UserSession<Listed extends string = never> = {
  /** The document's `_id`: the HMAC of the session id when the store hashes ids (see ids.ts). */
  handle: string;
  createdAt: Date;
  /** The last write to the session: within one touch interval of the user's last request. */
  lastActive: Date;
  expires: Date;
} & {
  /** The store's listed fields (the `listedFields` option), those that the session holds as strings. */
  [field in Listed]?: string;
};

/** Where the per-user queries find a session's user, and what a listing shows of it (the store's options). */
export interface UserFields {
  /** Where a document names its user (`userPath`, e.g. `session.userId`) and how it holds its data. */
  codec: SessionCodec;
  /** Top-level session fields listed with each session when they hold a string. */
  listedFields: readonly string[];
}

/** What the documents of this user's sessions hold at `codec.userPath`. */
function userKey(codec: SessionCodec, userId: unknown): string {
  // An object such as { $ne: null } would match every user's sessions.
  if (typeof userId !== 'string' || userId === '') throw new TypeError('userId must be a non-empty string');
  return codec.userKeyOf(userId);
}

/** Most recently active first; ties (logins in the same millisecond) in one fixed order, so that every caller ranks alike. */
function mostRecentFirst(a: SessionDocument, b: SessionDocument): number {
  const active = (doc: SessionDocument) => (doc.lastModified ?? doc.createdAt).getTime();
  return active(b) - active(a) || b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? -1 : 1);
}

/** A user's live sessions, most recently active first (one query on the index of `userPath`). */
export async function sessionsOfUser<Listed extends string>(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  { codec, listedFields }: UserFields,
  userId: string,
): Promise<UserSession<Listed>[]> {
  const filter = { [codec.userPath]: userKey(codec, userId), ...liveFilter(Date.now(), lifetimes) };
  let docs: SessionDocument[];
  try {
    docs = await sessions
      .find(filter, {
        ...SESSION_READ,
        projection: {
          createdAt: 1,
          lastModified: 1,
          expires: 1,
          ...codec.projectionOf(listedFields),
        },
      })
      .toArray();
  } catch (err) {
    throw new SessionStoreError(`could not list a user's sessions: ${messageOf(err)}`);
  }
  return docs.sort(mostRecentFirst).map((doc): UserSession<Listed> => {
    // Whatever the app's session type says, a stored document holds what some version wrote.
    const session = codec.dataOf(doc) as unknown as Partial<Record<string, unknown>> | undefined;
    const listed = listedFields.flatMap((field) => {
      const value = session?.[field];
      return typeof value === 'string' ? [[field, value]] : [];
    });
    return {
      handle: doc._id,
      createdAt: doc.createdAt,
      lastActive: doc.lastModified ?? doc.createdAt,
      expires: doc.expires,
      ...(Object.fromEntries(listed) as { [field in Listed]?: string }),
    };
  });
}

/**
 * How many live sessions each of these users has (a user without any is absent), for a list of
 * accounts: one aggregation on the index of `userPath`, however many users are asked about.
 */
export async function countLiveSessionsOfUsers(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  { codec }: UserFields,
  userIds: readonly string[],
): Promise<Map<string, number>> {
  const { userPath } = codec;
  // The documents' keys of these users, back to their ids (the same unless hashed).
  const idOfKey = new Map(userIds.map((userId) => [userKey(codec, userId), userId]));
  const counts = new Map<string, number>();
  if (idOfKey.size === 0) return counts;
  try {
    const groups = await sessions
      .aggregate<{ _id: unknown; count: number }>([
        { $match: { [userPath]: { $in: [...idOfKey.keys()] }, ...liveFilter(Date.now(), lifetimes) } },
        { $group: { _id: `$${userPath}`, count: { $sum: 1 } } },
      ])
      .toArray();
    for (const { _id, count } of groups) {
      const userId = typeof _id === 'string' ? idOfKey.get(_id) : undefined;
      if (userId !== undefined) counts.set(userId, count);
    }
  } catch (err) {
    throw new SessionStoreError(`could not count users' sessions: ${messageOf(err)}`);
  }
  return counts;
}

/**
 * Ends a user's live sessions (sign-out everywhere, after a password change), except the one
 * given; returns how many. One query on the index of `userPath`.
 */
export async function destroySessionsOfUser(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  { codec }: UserFields,
  userId: string,
  { except }: { except?: string } = {},
): Promise<number> {
  if (except !== undefined && typeof except !== 'string') throw new TypeError('except must be a session handle');
  const filter: Filter<SessionDocument> = {
    [codec.userPath]: userKey(codec, userId),
    ...liveFilter(Date.now(), lifetimes),
    ...(except === undefined ? {} : { _id: { $ne: except } }),
  };
  try {
    return (await sessions.deleteMany(filter, SECURITY_WRITE)).deletedCount;
  } catch (err) {
    throw new SessionStoreError(`could not end a user's sessions: ${messageOf(err)}`);
  }
}

/** Ends one live session of a user by its handle (revoking one device); whether it did. */
export async function destroySessionOfUser(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  { codec }: UserFields,
  userId: string,
  handle: string,
): Promise<boolean> {
  if (typeof handle !== 'string' || handle === '') throw new TypeError('handle must be a non-empty string');
  // The user in the filter: a handle of another account's session ends nothing.
  const filter = { _id: handle, [codec.userPath]: userKey(codec, userId), ...liveFilter(Date.now(), lifetimes) };
  try {
    return (await sessions.deleteOne(filter, SECURITY_WRITE)).deletedCount === 1;
  } catch (err) {
    throw new SessionStoreError(`could not end a user's session: ${messageOf(err)}`);
  }
}

/**
 * Ends a user's least recently active live sessions beyond the `keep` most recent; returns how
 * many. One read of the user's sessions, then at most one delete. Logins of one user at the same
 * moment each call it after storing their session: whichever reads last sees every one of them and
 * leaves `keep`, and an earlier, partial read never ends a session that ranks among the `keep` most
 * recent of all (it ranks at least as high among fewer). Deleting twice is harmless.
 */
export async function endLeastRecentSessions(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  { codec }: UserFields,
  userId: string,
  keep: number,
): Promise<number> {
  if (!Number.isInteger(keep) || keep < 1) throw new TypeError('keep must be a positive integer');
  const { userPath } = codec;
  const user = userKey(codec, userId);
  try {
    const docs = await sessions
      .find(
        { [userPath]: user, ...liveFilter(Date.now(), lifetimes) },
        { projection: { createdAt: 1, lastModified: 1 }, ...SESSION_READ },
      )
      .toArray();
    if (docs.length <= keep) return 0;
    const excess = docs
      .sort(mostRecentFirst)
      .slice(keep)
      .map((doc) => doc._id);
    return (await sessions.deleteMany({ _id: { $in: excess }, [userPath]: user }, SECURITY_WRITE)).deletedCount;
  } catch (err) {
    throw new SessionStoreError(`could not end a user's oldest sessions: ${messageOf(err)}`);
  }
}
