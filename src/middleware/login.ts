import type { Request, Response } from 'express';
import type { SessionData } from 'express-session';
import { truncatedAddress } from '../lib/clientAddress';
import type { Logger } from '../lib/logger';
import type { UserDocument } from '../models/User';
import { recordEvent } from '../services/activity';
import type { SessionControl } from '../config/sessionStore';
import { regenerateSession, saveSession } from '../lib/requestSession';
import { safeReturnTo } from './requireAuth';

/** How a session signed in, as /account shows it. */
export type SignInMethod = SessionData['signedInWith'];

/** The small plain copy of a user a session keeps: never the password hash, never the document. */
export function sessionUserOf(user: Pick<UserDocument, '_id' | 'email' | 'credentialEpoch'>, epoch?: number) {
  return { _id: user._id.toString(), email: user.email, epoch: epoch ?? user.credentialEpoch };
}

/** What a login needs to keep the account within MAX_SESSIONS_PER_USER live sessions. */
export interface SessionCap {
  sessions: Pick<SessionControl, 'endLeastRecentSessionsOfUser'>;
  maxSessionsPerUser: number;
  logger: Logger;
}

/**
 * Ends the account's least recently active sessions beyond the cap, once the new one is stored (so
 * that it counts, and parallel logins each see themselves: see the store's
 * `endLeastRecentSessionsOfUser`). One read, and one delete only when over the cap. A failure is
 * logged: the login stands, and the next one caps again.
 */
async function endSessionsOverCap(res: Response, userId: string, { sessions, maxSessionsPerUser, logger }: SessionCap) {
  try {
    const ended = await sessions.endLeastRecentSessionsOfUser(userId, maxSessionsPerUser);
    if (ended > 0) recordEvent(res, logger, userId, 'sessions-ended', { by: 'cap', count: ended });
  } catch (err) {
    logger.warn({ err }, 'could not end the sessions over MAX_SESSIONS_PER_USER');
  }
}

/**
 * Logs the visitor in under a new session id (against fixation) and resolves, with the page to go
 * to next, only once the login is stored in MongoDB: a redirect sent earlier could arrive at a page
 * that does not see the login yet. A password sign-in counts as a re-authentication; a remember-me
 * one does not.
 * With a `cap`, the account's least recently active sessions beyond it end; `null` only where no
 * session is added (a password change, which has just ended every other one).
 */
export async function logIn(
  req: Request,
  res: Response,
  user: NonNullable<SessionData['user']>,
  method: SignInMethod,
  cap: SessionCap | null,
): Promise<string> {
  const returnTo = safeReturnTo(req.session.returnTo);
  await regenerateSession(req);
  req.session.isLoggedIn = true;
  req.session.user = user;
  req.session.userAgent = req.get('user-agent')?.slice(0, 300);
  req.session.place = truncatedAddress(req.ip);
  req.session.signedInWith = method;
  if (method === 'password') req.session.reauthenticatedAt = Date.now();
  await saveSession(req);
  if (cap) await endSessionsOverCap(res, user._id, cap);
  return returnTo;
}
