import type { Collection, Filter } from 'mongodb';
import { liveFilter, type Lifetimes, type SessionDocument } from './documents';
import { SessionStoreError, messageOf, withoutId } from './errors';

/** One of a user's live sessions, as `sessionsOfUser` lists them (for an "active sessions" page). */
export interface UserSession {
  id: string;
  createdAt: Date;
  /** The last write to the session: within one touch interval of the user's last request. */
  lastActive: Date;
  expires: Date;
  /** `session.userAgent`, `session.place` and `session.signedInWith`, when the app stored them at login. */
  userAgent?: string;
  place?: string;
  signedInWith?: string;
}

/** The session fields, written by the app at login, that a list of a user's sessions shows. */
const LISTED_FIELDS = ['userAgent', 'place', 'signedInWith'] as const;

function requireUserId(userId: unknown): string {
  // An object such as { $ne: null } would match every user's sessions.
  if (typeof userId !== 'string' || userId === '') throw new TypeError('userId must be a non-empty string');
  return userId;
}

/** A user's live sessions, most recently active first (one query on the `session.user._id` index). */
export async function sessionsOfUser(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  userId: string,
): Promise<UserSession[]> {
  const filter = { 'session.user._id': requireUserId(userId), ...liveFilter(Date.now(), lifetimes) };
  let docs: SessionDocument[];
  try {
    docs = await sessions
      .find(filter, {
        projection: {
          createdAt: 1,
          lastModified: 1,
          expires: 1,
          ...Object.fromEntries(LISTED_FIELDS.map((field) => [`session.${field}`, 1])),
        },
      })
      .toArray();
  } catch (err) {
    throw new SessionStoreError(`could not list a user's sessions: ${messageOf(err)}`);
  }
  return docs
    .map((doc): UserSession => {
      // Whatever the app's session type says, a stored document holds what some version wrote.
      const session = doc.session as Partial<Record<(typeof LISTED_FIELDS)[number], unknown>> | undefined;
      const listed = LISTED_FIELDS.flatMap((field) => {
        const value = session?.[field];
        return typeof value === 'string' ? [[field, value]] : [];
      });
      return {
        id: doc._id,
        createdAt: doc.createdAt,
        lastActive: doc.lastModified ?? doc.createdAt,
        expires: doc.expires,
        ...(Object.fromEntries(listed) as Pick<UserSession, (typeof LISTED_FIELDS)[number]>),
      };
    })
    .sort((a, b) => b.lastActive.getTime() - a.lastActive.getTime());
}

/**
 * Ends a user's live sessions (sign-out everywhere, after a password change), except the one
 * given; returns how many. One query on the `session.user._id` index.
 */
export async function destroySessionsOfUser(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  userId: string,
  { except }: { except?: string } = {},
): Promise<number> {
  if (except !== undefined && typeof except !== 'string') throw new TypeError('except must be a session id');
  const filter: Filter<SessionDocument> = {
    'session.user._id': requireUserId(userId),
    ...liveFilter(Date.now(), lifetimes),
    ...(except === undefined ? {} : { _id: { $ne: except } }),
  };
  try {
    return (await sessions.deleteMany(filter)).deletedCount;
  } catch (err) {
    throw new SessionStoreError(`could not end a user's sessions: ${withoutId(messageOf(err), except)}`);
  }
}
