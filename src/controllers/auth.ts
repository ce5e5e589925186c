import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Config } from '../config/env';
import { clearSessionCookie, cookieOptions, deviceCookieOptions, rememberCookieOptions } from '../config/session';
import { afterResponse } from '../lib/afterResponse';
import type { SendMail } from '../lib/mailer';
import type { Logger } from '../lib/logger';
import { clientKey } from '../lib/clientAddress';
import { MAX_PASSWORD_BYTES, spendComparisonTime, verifyPassword } from '../lib/passwords';
import { redirectWith } from '../middleware/flash';
import { logIn, sessionUserOf } from '../middleware/login';
import { User } from '../models/User';
import { contextOf, sendSecurityMail } from '../services/securityMail';
import { recordEvent } from '../services/activity';
import { forgetSeries, issueRememberToken } from '../services/rememberMe';
import { mergeGuestCart } from '../services/cart';
import { issueDeviceCookie, trustedDevice } from '../services/deviceCookie';
import { isFirstSignIn, resendVerification } from '../services/signup';
import { loginBudget, type Throttles } from '../services/throttle';
import type { SessionControl } from '../config/sessionStore';
import { destroySession } from '../lib/requestSession';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { mailableAddress, withinLimit } from './withinLimit';

const LOGIN_FAILED = 'Invalid email or password.';
const VERIFY_FIRST = 'Confirm your email address first: open the link we mailed you when you signed up.';
const RESET_FIRST =
  'This password no longer signs in: someone said “this wasn’t me” about this account. Check your mail ' +
  'for a reset link and choose a new password (or ask for a new link on the reset page).';
const VERIFICATION_RESENT =
  'If that account still awaits confirmation, we have sent it a new link. It works once, for 24 hours.';

export interface AuthDependencies {
  config: Config;
  throttles: Throttles;
  sendMail: SendMail;
  sessions: SessionControl;
  logger: Logger;
}

function renderLogin(res: Response, status: number, email = '', errors: FieldErrors = {}, unverified = false) {
  res.status(status).render('auth/login', { title: 'Log in', email, errors, unverified });
}

export function authController({ config, throttles, sendMail, sessions, logger }: AuthDependencies) {
  /** @route GET /login */
  const getLogin: RequestHandler = (_req, res) => renderLogin(res, 200);

  /** @route POST /login */
  const postLogin: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) {
      // Malformed input says what is wrong with it; it never reveals whether an account exists.
      return renderLogin(res, 422, formValue(req.body?.email), errors);
    }
    const { email, password } = matchedData<{ email: string; password: string }>(req);
    const ip = clientKey(req.ip);
    // A browser that logged in to this account before spends its own budget, so that a stranger's
    // failures cannot lock the owner out; every other browser shares the account's.
    const device = trustedDevice(req.cookies?.[config.deviceCookieName], email, config.SESSION_SECRET);
    const accountBudget = loginBudget(throttles, email, device);
    // Every attempt is counted before the password is compared, so that simultaneous guesses
    // cannot all be evaluated; a success returns its attempt and clears its budget's count.
    const allowed = await withinLimit(
      res,
      async () => void (await Promise.all([throttles.loginByIp.take(ip), accountBudget.take()])),
      (status, errors) => renderLogin(res, status, email, errors),
    );
    if (!allowed) return;

    const user = await User.findOne({ email }).select('+password');
    // bcrypt reads 72 bytes: a longer password would match any other with the same start.
    const comparable = Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
    const valid =
      user && comparable
        ? await verifyPassword(password, user.password)
        : await spendComparisonTime(password, config.BCRYPT_COST).then(() => false);
    if (!user || !valid) {
      if (user) recordEvent(res, logger, user._id, 'sign-in-failed', { context: contextOf(req) });
      return renderLogin(res, 422, email, { form: LOGIN_FAILED });
    }
    // Said only to whoever knows the password, and the attempt stays counted: it may be the intruder.
    if (user.passwordBlockedAt) return renderLogin(res, 403, email, { form: RESET_FIRST });
    await Promise.all([accountBudget.clear(), throttles.loginByIp.giveBack(ip)]);
    // Said only to whoever knows the password, which proves more than that the account exists.
    if (!user.emailVerifiedAt) return renderLogin(res, 403, email, { form: VERIFY_FIRST }, true);
    res.cookie(config.deviceCookieName, issueDeviceCookie(email, config.SESSION_SECRET), deviceCookieOptions(config));

    // The guest cart is keyed by the pre-login session id, which logIn replaces.
    if (req.session.hasGuestCart) await mergeGuestCart(req.sessionID, user);
    // The epoch read with the hash, before the comparison: a reset that finished meanwhile ends this login.
    const returnTo = await logIn(req, res, sessionUserOf(user), 'password', {
      sessions,
      maxSessionsPerUser: config.MAX_SESSIONS_PER_USER,
      logger,
    });
    // A browser without this account's device cookie: tell the owner, unless this is the account's
    // very first sign-in (there is no known browser to compare with yet). One user write, only here.
    // "Remember me": a token that logs this browser back in once the session has ended.
    if (req.body?.remember === 'on') {
      const token = await issueRememberToken(user, config.REMEMBER_ME_DAYS, req.get('user-agent'));
      res.cookie(config.rememberCookieName, token, rememberCookieOptions(config));
    }
    const context = contextOf(req);
    recordEvent(res, logger, user._id, 'sign-in', { method: 'password', context });
    if (!device && !(await isFirstSignIn(user._id))) {
      recordEvent(res, logger, user._id, 'new-device', { context });
      afterResponse(res, logger, 'could not send a new-sign-in mail', () =>
        sendSecurityMail(user, 'new-device', context, config, sendMail),
      );
    }
    res.redirect(returnTo);
  };

  /** @route POST /verify/resend — the same answer whatever the address; the mail goes after it. */
  const postResendVerification: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const renderForm = (status: number, errors: FieldErrors) => renderLogin(res, status, typedEmail, errors);
    const email = await mailableAddress(req, res, { throttles, config }, 'verify', renderForm);
    if (email === undefined) return;
    afterResponse(res, logger, 'could not resend a confirmation link', () =>
      resendVerification(email, config, sendMail),
    );
    await redirectWith(req, res, '/login', { kind: 'info', text: VERIFICATION_RESENT });
  };

  /** @route POST /logout */
  const postLogout: RequestHandler = async (req, res) => {
    // Cleared first: the browser forgets the session even when the store fails to delete it (the
    // error page that follows then carries this header too).
    clearSessionCookie(res, config);
    res.clearCookie(config.rememberCookieName, cookieOptions(config));
    await forgetSeries(req.cookies?.[config.rememberCookieName], req.user?._id);
    await destroySession(req);
    res.redirect('/');
  };

  return { getLogin, postLogin, postResendVerification, postLogout };
}
