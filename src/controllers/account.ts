import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Config } from '../config/env';
import { describeUserAgent } from '../lib/userAgent';
import { afterResponse } from '../lib/afterResponse';
import type { SendMail } from '../lib/mailer';
import type { Logger } from '../lib/logger';
import { hashPassword, verifyPassword } from '../lib/passwords';
import { flash } from '../middleware/flash';
import { logIn, sessionUserOf } from '../middleware/login';
import { signedInUser } from '../middleware/requireAuth';
import { User } from '../models/User';
import { contextOf, sendSecurityMail } from '../services/securityMail';
import { deleteAccount } from '../services/accounts';
import { recordEvent } from '../services/activity';
import { changeCredentials } from '../services/credentials';
import type { SessionControl } from '../sessions/control';
import { regenerateSession, saveSession } from '../sessions/lifecycle';
import { fieldErrors, type FieldErrors } from '../validation';

export interface AccountDependencies {
  config: Config;
  sessions: SessionControl;
  sendMail: SendMail;
  logger: Logger;
}

const CHANGED_ELSEWHERE = 'Your password or sign-in was changed from another device meanwhile. Please log in again.';

export function accountController({ config, sessions, sendMail, logger }: AccountDependencies) {
  /**
   * Another change to the credentials came first (the epoch moved on after this request began):
   * this session is out of date, so it ends here rather than on the next page.
   */
  async function endOutdatedSession(req: Request, res: Response) {
    await regenerateSession(req);
    flash(req, 'error', CHANGED_ELSEWHERE);
    await saveSession(req);
    res.redirect('/login');
  }

  /** The user's live sessions for the page, named by their handle (the stored HMAC), never by their id. */
  async function sessionList(req: Request) {
    const list = await sessions.sessionsOfUser(signedInUser(req)._id.toString());
    const current = sessions.handleOf(req.sessionID);
    return list.map((s) => ({
      handle: s.handle,
      current: s.handle === current,
      device: describeUserAgent(s.userAgent),
      place: s.place,
      signedInWith: s.signedInWith,
      createdAt: s.createdAt,
      lastActive: s.lastActive,
    }));
  }

  async function render(
    req: Request,
    res: Response,
    status = 200,
    errors: { password?: FieldErrors; delete?: FieldErrors } = {},
  ) {
    res.status(status).render('account/index', {
      title: 'Your account',
      user: req.user,
      sessions: await sessionList(req),
      passwordErrors: errors.password ?? {},
      deleteErrors: errors.delete ?? {},
    });
  }

  async function currentPasswordMatches(req: Request, password: string) {
    const user = await User.findById(signedInUser(req)._id).select('+password');
    return Boolean(user && (await verifyPassword(password, user.password)));
  }

  /** @route GET /account */
  const getAccount: RequestHandler = (req, res) => render(req, res);

  /** @route POST /account/password — ends every other session and renews this one's id. */
  const postChangePassword: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return render(req, res, 422, { password: errors });
    const { currentPassword, newPassword } = matchedData<{ currentPassword: string; newPassword: string }>(req);
    if (!(await currentPasswordMatches(req, currentPassword))) {
      return render(req, res, 422, { password: { currentPassword: 'That is not your current password.' } });
    }
    const user = signedInUser(req);
    const hash = await hashPassword(newPassword, config.BCRYPT_COST);
    // The new epoch ends every other session, logins still in flight, and every reset link.
    const epoch = await changeCredentials(user._id, user.credentialEpoch, { password: hash });
    if (epoch === null) return endOutdatedSession(req, res);
    const ended = await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    // No cap: every other session has just ended.
    await logIn(req, res, sessionUserOf(user, epoch), 'password', null);
    const context = contextOf(req);
    recordEvent(res, logger, user._id, 'password-changed', { context });
    if (ended > 0) recordEvent(res, logger, user._id, 'sessions-ended', { by: 'password-change', count: ended });
    afterResponse(res, logger, 'could not send a password-changed mail', () =>
      sendSecurityMail(user, 'password-changed', context, config, sendMail),
    );
    flash(req, 'success', 'Your password is changed. Every other device is signed out.');
    await saveSession(req);
    res.redirect('/account');
  };

  /**
   * @route POST /account/sessions/revoke — signs out one other device, by the handle the page showed.
   * One delete, conditional on the handle belonging to this user and not being this session.
   */
  const postRevokeSession: RequestHandler = async (req, res) => {
    const handle: unknown = req.body?.session;
    const ended =
      typeof handle === 'string' &&
      /^[0-9a-f]{64}$/.test(handle) &&
      handle !== sessions.handleOf(req.sessionID) &&
      (await sessions.destroySessionOfUser(signedInUser(req)._id.toString(), handle));
    if (ended) {
      recordEvent(res, logger, signedInUser(req)._id, 'sessions-ended', { by: 'user', count: 1 });
      flash(req, 'success', 'That device is signed out.');
    } else {
      flash(req, 'error', 'That session had already ended.');
    }
    await saveSession(req);
    res.redirect('/account');
  };

  /** @route POST /account/sessions/revoke-others — also ends logins still in flight (a new epoch). */
  const postRevokeOtherSessions: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const epoch = await changeCredentials(user._id, user.credentialEpoch);
    if (epoch === null) return endOutdatedSession(req, res);
    req.session.user = sessionUserOf(user, epoch);
    await saveSession(req);
    const ended = await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    recordEvent(res, logger, user._id, 'sessions-ended', { by: 'user', count: ended });
    flash(req, 'success', ended === 1 ? 'Signed out 1 other device.' : `Signed out ${ended} other devices.`);
    await saveSession(req);
    res.redirect('/account');
  };

  /** @route POST /account/delete — the password confirms it. */
  const postDeleteAccount: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) return render(req, res, 422, { delete: errors });
    const { password } = matchedData<{ password: string }>(req);
    if (!(await currentPasswordMatches(req, password))) {
      return render(req, res, 422, { delete: { password: 'That is not your password.' } });
    }
    const user = signedInUser(req);
    await deleteAccount(user);
    await sessions.destroySessionsOfUser(user._id.toString(), { except: req.sessionID });
    // Ends this session too; the new, empty one only carries the goodbye message.
    await regenerateSession(req);
    flash(req, 'info', 'Your account is deleted. Your past orders are kept for our records, without your details.');
    await saveSession(req);
    res.redirect('/');
  };

  return { getAccount, postChangePassword, postRevokeSession, postRevokeOtherSessions, postDeleteAccount };
}
