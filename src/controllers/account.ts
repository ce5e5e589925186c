import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Config } from '../config/env';
import { cookieOptions } from '../config/session';
import type { SendMail } from '../lib/mailer';
import type { Logger } from '../lib/logger';
import { hashPassword } from '../lib/passwords';
import { redirectWith } from '../lib/flash';
import { sessionUserOf, signInMethodsOf, startSession } from '../auth/signIn';
import { currentPasswordMatches } from '../auth/reauth';
import { signedInUser } from '../auth/access';
import { contextOf } from '../lib/requestContext';
import { deleteAccount } from '../services/accounts';
import { reportSecurityEvent } from '../services/activity';
import { changeCredentials } from '../auth/credentials';
import type { Throttles } from '../services/throttle';
import { forgetDevice, seriesOf } from '../auth/rememberTokens';
import type { SessionControl } from '../config/sessionStore';
import { regenerateSession, saveSession } from '../lib/requestSession';
import { fieldErrors } from '../validation';
import { renderAccountPage, type AccountForms } from './accountPage';

export interface AccountDependencies {
  config: Config;
  sessions: SessionControl;
  sendMail: SendMail;
  logger: Logger;
  /** The login budgets, which also count the current-password checks of the account's forms. */
  throttles: Throttles;
}

const CHANGED_ELSEWHERE = 'Your password or sign-in was changed from another device meanwhile. Please log in again.';

export function accountController(deps: AccountDependencies) {
  const { config, sessions } = deps;
  const render = (req: Request, res: Response, status = 200, forms: AccountForms = {}) =>
    renderAccountPage(req, res, deps, status, forms);

  /**
   * Another change to the credentials came first (the epoch moved on after this request began):
   * this session is out of date, so it ends here rather than on the next page.
   */
  async function endOutdatedSession(req: Request, res: Response) {
    await regenerateSession(req);
    await redirectWith(req, res, '/login', { kind: 'error', text: CHANGED_ELSEWHERE });
  }

  /** @route GET /account */
  const getAccount: RequestHandler = (req, res) => render(req, res);

  /** @route POST /account/password — ends every other session and renews this one's id. */
  const postChangePassword: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return render(req, res, 422, { password: errors });
    const { currentPassword, newPassword } = matchedData<{ currentPassword: string; newPassword: string }>(req);
    if (!(await currentPasswordMatches(req, currentPassword, deps))) {
      return render(req, res, 422, { password: { currentPassword: 'That is not your current password.' } });
    }
    const user = signedInUser(req);
    const hash = await hashPassword(newPassword, config.BCRYPT_COST);
    // The new epoch ends every other session, logins still in flight, and every reset link.
    const epoch = await changeCredentials(user._id, user.credentialEpoch, { password: hash });
    if (epoch === null) return endOutdatedSession(req, res);
    const ended = await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    // A new id for this session too; no cap: every other session has just ended. The password
    // was just typed (and is fresh: a change needs a recent one), whatever restored the session.
    const methods = signInMethodsOf(req).filter((method) => method !== 'remember-me' && method !== 'password');
    await startSession(req, sessionUserOf(user, epoch), ['password', ...methods]);
    reportSecurityEvent(req.afterResponse, deps, user, 'password-changed', { context: contextOf(req) });
    if (ended > 0)
      reportSecurityEvent(req.afterResponse, deps, user, 'sessions-ended', { by: 'password-change', count: ended });
    await redirectWith(req, res, '/account', {
      kind: 'success',
      text: 'Your password is changed. Every other device is signed out.',
    });
  };

  /**
   * @route POST /account/sessions/revoke — signs out one other device, by the handle the page showed.
   * One delete, conditional on the handle belonging to this user and not being this session.
   */
  const postRevokeSession: RequestHandler = async (req, res) => {
    const handle: unknown = req.body?.session;
    const user = signedInUser(req);
    const ended =
      typeof handle === 'string' &&
      /^[0-9a-f]{64}$/.test(handle) &&
      handle !== sessions.handleOf(req.sessionID) &&
      (await sessions.destroySessionOfUser(user._id.toString(), handle));
    if (!ended) return redirectWith(req, res, '/account', { kind: 'error', text: 'That session had already ended.' });
    reportSecurityEvent(req.afterResponse, deps, user, 'sessions-ended', { by: 'user', count: 1 });
    await redirectWith(req, res, '/account', { kind: 'success', text: 'That device is signed out.' });
  };

  /** @route POST /account/sessions/revoke-others — also ends logins still in flight (a new epoch). */
  const postRevokeOtherSessions: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const epoch = await changeCredentials(user._id, user.credentialEpoch);
    if (epoch === null) return endOutdatedSession(req, res);
    // Stored with the new epoch before the others are deleted, so that this session is not one of them.
    req.session.user = sessionUserOf(user, epoch);
    await saveSession(req);
    const ended = await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    reportSecurityEvent(req.afterResponse, deps, user, 'sessions-ended', { by: 'user', count: ended });
    const text = ended === 1 ? 'Signed out 1 other device.' : `Signed out ${ended} other devices.`;
    await redirectWith(req, res, '/account', { kind: 'success', text });
  };

  /**
   * @route POST /account/devices/remove — field `device` (a handle from the page): "remember me"
   * no longer logs that browser back in. Its sessions signed in already go on until they end.
   */
  const postRemoveDevice: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const series = await forgetDevice(user._id, req.body?.device);
    if (!series) {
      return redirectWith(req, res, '/account', { kind: 'info', text: 'That browser was no longer remembered.' });
    }
    if (series === seriesOf(req.cookies?.[config.rememberCookieName])) {
      res.clearCookie(config.rememberCookieName, cookieOptions(config));
    }
    reportSecurityEvent(req.afterResponse, deps, user, 'remembered-browser-removed', { context: contextOf(req) });
    await redirectWith(req, res, '/account', { kind: 'success', text: 'That browser is no longer remembered.' });
  };

  /** @route POST /account/delete — the password confirms it. */
  const postDeleteAccount: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return render(req, res, 422, { delete: errors });
    const { password } = matchedData<{ password: string }>(req);
    if (!(await currentPasswordMatches(req, password, deps))) {
      return render(req, res, 422, { delete: { password: 'That is not your password.' } });
    }
    const user = signedInUser(req);
    await deleteAccount(user);
    await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    // Ends this session too; the new, empty one only carries the goodbye message.
    await regenerateSession(req);
    await redirectWith(req, res, '/', {
      kind: 'info',
      text: 'Your account is deleted. Your past orders are kept for our records, without your details.',
    });
  };

  return {
    getAccount,
    postChangePassword,
    postRevokeSession,
    postRevokeOtherSessions,
    postRemoveDevice,
    postDeleteAccount,
  };
}
