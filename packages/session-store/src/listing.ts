import type { SessionData } from 'express-session';
import type { Collection } from 'mongodb';
import type { SessionCodec } from './codec';
import { liveFilter, type Lifetimes, type SessionDocument } from './documents';

/** Every live session, keyed by id (as express-session's MemoryStore answers `all`). */
export async function liveSessions(
  sessions: Collection<SessionDocument>,
  lifetimes: Lifetimes,
  codec: SessionCodec,
): Promise<Record<string, SessionData>> {
  const docs = await sessions.find(liveFilter(Date.now(), lifetimes)).toArray();
  return Object.fromEntries(
    docs.flatMap((doc) => {
      const data = codec.dataOf(doc);
      return data ? [[doc._id, data]] : [];
    }),
  );
}

/** How many live sessions there are (express-session's `length`). */
export function countLiveSessions(sessions: Collection<SessionDocument>, lifetimes: Lifetimes): Promise<number> {
  return sessions.countDocuments(liveFilter(Date.now(), lifetimes));
}
