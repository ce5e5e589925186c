import type { RequestHandler } from 'express';
import type { Config } from '../config/env';
import { cookieOptions, rememberCookieOptions } from '../config/session';
import { afterResponse } from '../lib/afterResponse';
import type { Logger } from '../lib/logger';
import type { SendMail } from '../lib/mailer';
import { User } from '../models/User';
import { recordEvent } from '../services/activity';
import { useRememberToken } from '../services/rememberMe';
import { contextOf, sendSecurityMail } from '../services/securityMail';
import type { SessionControl } from '../config/sessionStore';
import { logIn, sessionUserOf } from './login';

interface RememberDependencies {
  config: Config;
  logger: Logger;
  sendMail: SendMail;
  sessions: SessionControl;
}

/**
 * A browser whose session has ended but which holds a remember-me cookie is logged back in, under a
 * new session id, and gets the token's replacement. Its session counts as not recently
 * authenticated (no `reauthenticatedAt`). Logged-in requests read nothing here.
 */
export function restoreRememberedLogin({ config, logger, sendMail, sessions }: RememberDependencies): RequestHandler {
  const name = config.rememberCookieName;
  return async (req, res, next) => {
    const cookie: unknown = req.cookies?.[name];
    if (req.session.isLoggedIn || cookie === undefined) return next();
    const outcome = await useRememberToken(cookie, config.REMEMBER_ME_DAYS, req.get('user-agent'));
    if (outcome.kind === 'restored') {
      const { user } = outcome;
      await logIn(req, res, sessionUserOf(user), 'remember-me', {
        sessions,
        maxSessionsPerUser: config.MAX_SESSIONS_PER_USER,
        logger,
      });
      res.cookie(name, outcome.cookie, rememberCookieOptions(config));
      recordEvent(res, logger, user._id, 'sign-in', { method: 'remember-me', context: contextOf(req) });
      return next();
    }
    res.clearCookie(name, cookieOptions(config));
    if (outcome.kind === 'stolen') {
      // Their epoch already ends them; deleted too, so that /account lists none.
      const ended = await sessions.destroySessionsOfUser(outcome.userId.toString());
      const context = contextOf(req);
      recordEvent(res, logger, outcome.userId, 'sessions-ended', { by: 'remember-me-reuse', count: ended });
      recordEvent(res, logger, outcome.userId, 'remember-me-reuse', { context });
      afterResponse(res, logger, 'could not send a stolen-token mail', async () => {
        const user = await User.findById(outcome.userId);
        if (user) await sendSecurityMail(user, 'remember-me-reuse', context, config, sendMail);
      });
    }
    next();
  };
}
