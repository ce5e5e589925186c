/**
 * The one way in. Every sign-in (a password at /login, a remember-me cookie, and later a second
 * factor or a passkey) ends in `signIn`, so that each gets the same new session id, the same
 * session fields, the same cap on sessions per account, the same activity log entry and the same
 * "new browser" mail.
 */
import type { Request, Response } from 'express';
import type { SessionData, SignInMethod } from 'express-session';
import type { Config } from '../config/env';
import { deviceCookieOptions, rememberCookieOptions } from '../config/session';
import type { SessionControl } from '../config/sessionStore';
import { truncatedAddress } from '../lib/clientAddress';
import type { Logger } from '../lib/logger';
import type { SendMail } from '../lib/mailer';
import { contextOf } from '../lib/requestContext';
import { regenerateSession, saveSession } from '../lib/requestSession';
import type { UserDocument } from '../models/User';
import { reportSecurityEvent } from '../services/activity';
import { mergeGuestCart } from '../services/cart';
import { isFirstSignIn } from '../services/signup';
import { safeReturnTo } from './access';
import { issueDeviceCookie, trustedDevice } from './deviceCookie';
import { issueRememberToken } from './rememberTokens';

export type { SignInMethod };

/** How the session of `req` signed in (a session older than the methods' field: by its one method). */
export function signInMethodsOf(req: Request): SignInMethod[] {
  const { signInMethods, signedInWith } = req.session;
  if (signInMethods) return signInMethods.split('+') as SignInMethod[];
  return signedInWith ? [signedInWith] : [];
}

/** The small plain copy of a user a session keeps: never the password hash, never the document. */
export function sessionUserOf(user: Pick<UserDocument, '_id' | 'email' | 'credentialEpoch'>, epoch?: number) {
  return { _id: user._id.toString(), email: user.email, epoch: epoch ?? user.credentialEpoch };
}

export interface SignInDependencies {
  config: Config;
  sessions: Pick<SessionControl, 'endLeastRecentSessionsOfUser'>;
  sendMail: SendMail;
  logger: Logger;
}

/**
 * Starts a signed-in session for `user` under a new id (against fixation), and resolves once it is
 * stored in MongoDB: a redirect sent earlier could arrive at a page that does not see the login
 * yet. Methods that prove the user is present (anything but remember-me) count as a
 * re-authentication. Also used alone when the session is renewed (a password change).
 */
export async function startSession(
  req: Request,
  user: NonNullable<SessionData['user']>,
  methods: SignInMethod[],
): Promise<void> {
  await regenerateSession(req);
  req.session.isLoggedIn = true;
  req.session.user = user;
  req.session.userAgent = req.get('user-agent')?.slice(0, 300);
  req.session.place = truncatedAddress(req.ip);
  req.session.signInMethods = methods.join('+');
  if (!methods.includes('remember-me')) req.session.reauthenticatedAt = Date.now();
  await saveSession(req);
}

/**
 * Signs `user` in, by `methods` (the password and a second factor, say), once every check of them
 * has passed, and resolves to the page to go to next. In order:
 * 1. a guest cart of this browser joins the account's (it is keyed by the old session id);
 * 2. the session starts under a new id (`startSession`);
 * 3. the account's least recently active sessions beyond MAX_SESSIONS_PER_USER end;
 * 4. the sign-in is logged; a browser that proved itself (not remember-me) gets the device cookie
 *    and, with `remember`, a remember-me token; one that never signed in to this account before
 *    is mailed about, unless this is the account's very first sign-in.
 */
export async function signIn(
  req: Request,
  res: Response,
  { config, sessions, sendMail, logger }: SignInDependencies,
  user: UserDocument,
  { methods, remember = false }: { methods: SignInMethod[]; remember?: boolean },
): Promise<string> {
  const returnTo = safeReturnTo(req.session.returnTo);
  if (req.session.hasGuestCart) await mergeGuestCart(req.sessionID, user);
  // Read before the cookie is replaced below: did this browser sign in to the account before?
  const knownBrowser = trustedDevice(req.cookies?.[config.deviceCookieName], user.email, config.SESSION_SECRET);
  // The epoch read with the user, before the checks: a reset that finished meanwhile ends this login.
  await startSession(req, sessionUserOf(user), methods);
  await endSessionsOverCap(req, user._id.toString(), { config, sessions, sendMail, logger });

  const context = contextOf(req);
  const events = { config, sendMail };
  reportSecurityEvent(req.afterResponse, events, user, 'sign-in', { method: methods.join('+'), context });
  if (methods.includes('remember-me')) return returnTo;
  res.cookie(
    config.deviceCookieName,
    issueDeviceCookie(user.email, config.SESSION_SECRET),
    deviceCookieOptions(config),
  );
  if (remember) {
    const token = await issueRememberToken(user, config.REMEMBER_ME_DAYS, req.get('user-agent'));
    res.cookie(config.rememberCookieName, token, rememberCookieOptions(config));
  }
  // One user write, only for a browser the account has not seen.
  if (!knownBrowser && !(await isFirstSignIn(user._id))) {
    reportSecurityEvent(req.afterResponse, events, user, 'new-device', { context });
  }
  return returnTo;
}

/**
 * Ends the account's least recently active sessions beyond the cap, once the new one is stored (so
 * that it counts, and parallel logins each see themselves: see the store's
 * `endLeastRecentSessionsOfUser`). One read, and one delete only when over the cap. A failure is
 * logged: the login stands, and the next one caps again.
 */
async function endSessionsOverCap(req: Request, userId: string, deps: SignInDependencies) {
  try {
    const ended = await deps.sessions.endLeastRecentSessionsOfUser(userId, deps.config.MAX_SESSIONS_PER_USER);
    if (ended > 0)
      reportSecurityEvent(req.afterResponse, deps, { _id: userId }, 'sessions-ended', { by: 'cap', count: ended });
  } catch (err) {
    deps.logger.warn({ err }, 'could not end the sessions over MAX_SESSIONS_PER_USER');
  }
}
