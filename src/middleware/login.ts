import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { truncatedAddress } from '../lib/clientAddress';
import type { UserDocument } from '../models/User';
import { regenerateSession, saveSession } from '../sessions/lifecycle';
import { safeReturnTo } from './requireAuth';

/** How a session signed in, as /account shows it. */
export type SignInMethod = SessionData['signedInWith'];

/** The small plain copy of a user a session keeps: never the password hash, never the document. */
export function sessionUserOf(user: Pick<UserDocument, '_id' | 'email' | 'credentialEpoch'>, epoch?: number) {
  return { _id: user._id.toString(), email: user.email, epoch: epoch ?? user.credentialEpoch };
}

/**
 * Logs the visitor in under a new session id (against fixation) and resolves, with the page to go
 * to next, only once the login is stored in MongoDB: a redirect sent earlier could arrive at a page
 * that does not see the login yet. A password sign-in counts as a re-authentication; a remember-me
 * one does not.
 */
export async function logIn(req: Request, user: SessionData['user'], method: SignInMethod): Promise<string> {
  const returnTo = safeReturnTo(req.session.returnTo);
  await regenerateSession(req);
  req.session.isLoggedIn = true;
  req.session.user = user;
  req.session.userAgent = req.get('user-agent')?.slice(0, 300);
  req.session.place = truncatedAddress(req.ip);
  req.session.signedInWith = method;
  if (method === 'password') req.session.reauthenticatedAt = Date.now();
  await saveSession(req);
  return returnTo;
}
