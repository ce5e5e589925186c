import type { Request, RequestHandler } from 'express';
import type { Types } from 'mongoose';
import { cookieOptions, rememberCookieOptions } from '../config/session';
import { contextOf } from '../lib/requestContext';
import { reportSecurityEvent } from '../services/activity';
import { useRememberToken } from './rememberTokens';
import { signIn, type SignInDependencies } from './signIn';
import type { SessionControl } from '../config/sessionStore';

/**
 * A browser whose session has ended but which holds a remember-me cookie is signed back in, under a
 * new session id, and gets the token's replacement. Its session counts as not recently
 * authenticated (no `reauthenticatedAt`). Logged-in requests read nothing here.
 */
export function restoreRememberedLogin(
  deps: SignInDependencies & {
    sessions: Pick<SessionControl, 'endLeastRecentSessionsOfUser' | 'destroySessionsOfUser'>;
  },
): RequestHandler {
  const { config } = deps;
  const name = config.rememberCookieName;
  return async (req, res, next) => {
    const cookie: unknown = req.cookies?.[name];
    if (req.session.isLoggedIn || cookie === undefined) return next();
    const outcome = await useRememberToken(cookie, config.REMEMBER_ME_DAYS, req.get('user-agent'));
    if (outcome.kind === 'restored') {
      await signIn(req, res, deps, outcome.user, { methods: ['remember-me'] });
      res.cookie(name, outcome.cookie, rememberCookieOptions(config));
      return next();
    }
    res.clearCookie(name, cookieOptions(config));
    if (outcome.kind === 'stolen') await reportStolenToken(req, deps, outcome.userId);
    next();
  };
}

/**
 * A replaced device token (remember-me, or a trusted browser's) was used again: its account's
 * sessions ended with the epoch already (see useRememberToken); they are deleted too, so that
 * /account lists none, and the owner is told.
 */
export async function reportStolenToken(
  req: Request,
  deps: Pick<SignInDependencies, 'config' | 'sendMail'> & { sessions: Pick<SessionControl, 'destroySessionsOfUser'> },
  userId: Types.ObjectId,
): Promise<void> {
  const ended = await deps.sessions.destroySessionsOfUser(userId.toString());
  const account = { _id: userId };
  reportSecurityEvent(req.afterResponse, deps, account, 'sessions-ended', { by: 'remember-me-reuse', count: ended });
  reportSecurityEvent(req.afterResponse, deps, account, 'remember-me-reuse', { context: contextOf(req) });
}
