import type { RequestHandler } from 'express';
import { recordSecurityEvent, reportSecurityEvent } from '../services/activity';
import { findUsableToken } from '../services/accountTokens';
import { disownActivity } from '../services/notMe';
import { revokeRememberTokens } from '../auth/rememberTokens';
import { removeRecentPasskeys } from '../auth/passkeys/ceremonies';
import { sendResetLink } from '../services/passwordReset';
import type { AccountDependencies } from './account';

export function notMeController(deps: AccountDependencies) {
  const { config, sessions, sendMail } = deps;
  const expired = (res: Parameters<RequestHandler>[1]) =>
    res.status(410).render('account/not-me-invalid', { title: 'Link expired' });

  /** @route GET /account/not-me/:token — asks first: opening a link (a mail scanner does) changes nothing. */
  const getNotMe: RequestHandler = async (req, res) => {
    if (!(await findUsableToken(req.params.token, 'not-me'))) return expired(res);
    res.render('account/not-me', { title: 'This wasn’t me', token: req.params.token });
  };

  /** @route POST /account/not-me — field `token` */
  const postNotMe: RequestHandler = async (req, res) => {
    const done = await disownActivity(req.body?.token);
    if (!done) return expired(res);
    // The new epoch already stops them; deleted too, so that /account lists none.
    await revokeRememberTokens(done.userId);
    // A passkey signs in without the password: one added lately may be the intruder's.
    const passkeysRemoved = await removeRecentPasskeys(done.userId);
    if (passkeysRemoved > 0) {
      // Logged, not mailed: the owner is on this page, and the reset mail follows.
      req.afterResponse('could not record the removed passkeys', () =>
        recordSecurityEvent(done.userId, 'passkey-removed', { by: 'not-me', count: passkeysRemoved }),
      );
    }
    const ended = await sessions.destroySessionsOfUser(done.userId);
    reportSecurityEvent(req.afterResponse, deps, { _id: done.userId }, 'sessions-ended', {
      by: 'not-me',
      count: ended,
    });
    req.afterResponse('could not send a reset link after "this wasn\'t me"', () =>
      sendResetLink(done.email, config, sendMail, { recovery: true }),
    );
    // Rendered, not redirected with a message: this browser's session may have been one of those ended.
    res.render('account/not-me-done', { title: 'Your account is secured' });
  };

  return { getNotMe, postNotMe };
}
