import type { RequestHandler } from 'express';
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
      await signIn(req, res, deps, outcome.user, { method: 'remember-me' });
      res.cookie(name, outcome.cookie, rememberCookieOptions(config));
      return next();
    }
    res.clearCookie(name, cookieOptions(config));
    if (outcome.kind === 'stolen') {
      // Their epoch already ends them; deleted too, so that /account lists none.
      const ended = await deps.sessions.destroySessionsOfUser(outcome.userId.toString());
      const account = { _id: outcome.userId };
      reportSecurityEvent(req.afterResponse, deps, account, 'sessions-ended', {
        by: 'remember-me-reuse',
        count: ended,
      });
      reportSecurityEvent(req.afterResponse, deps, account, 'remember-me-reuse', { context: contextOf(req) });
    }
    next();
  };
}
