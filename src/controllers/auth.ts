import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import type { Config } from '../config/env';
import { clearSessionCookie, cookieOptions, deviceCookieOptions, rememberCookieOptions } from '../config/session';
import { afterResponse } from '../lib/afterResponse';
import type { SendMail } from '../lib/mailer';
import type { Logger } from '../lib/logger';
import { clientKey } from '../lib/clientAddress';
import { MAX_PASSWORD_BYTES, spendComparisonTime, verifyPassword } from '../lib/passwords';
import { flash } from '../middleware/flash';
import { logIn, sessionUserOf } from '../middleware/login';
import { User } from '../models/User';
import { contextOf, sendSecurityMail } from '../services/securityMail';
import { isFirstSignIn } from '../services/signup';
import { recordEvent } from '../services/activity';
import { forgetSeries, issueRememberToken } from '../services/rememberMe';
import { mergeGuestCart } from '../services/cart';
import { issueDeviceCookie, trustedDevice } from '../services/deviceCookie';
import { markVerified, registerOrNotify, resendVerification, verifyEmail } from '../services/signup';
import { completeReset, findUsableReset, sendResetLink } from '../services/passwordReset';
import { TooManyAttemptsError, loginBudget, type Throttles } from '../services/throttle';
import type { SessionControl } from '../sessions/control';
import { destroySession, saveSession } from '../sessions/lifecycle';
import { fieldErrors, formValue, type FieldErrors } from '../validation';

const LOGIN_FAILED = 'Invalid email or password.';
const SIGNUP_REQUESTED =
  'Check your inbox: we have sent you a link to confirm your address (it works once, for 24 hours). Then log in here.';
const VERIFY_FIRST = 'Confirm your email address first: open the link we mailed you when you signed up.';
const VERIFICATION_RESENT =
  'If that account still awaits confirmation, we have sent it a new link. It works once, for 24 hours.';
const RESET_REQUESTED =
  'If an account exists for that email, we have sent it a link to choose a new password. The link works once, for one hour.';

export interface AuthDependencies {
  config: Config;
  throttles: Throttles;
  sendMail: SendMail;
  sessions: SessionControl;
  logger: Logger;
}

function renderSignup(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/signup', { title: 'Create an account', email, errors });
}

function renderLogin(res: Response, status: number, email = '', errors: FieldErrors = {}, unverified = false) {
  res.status(status).render('auth/login', { title: 'Log in', email, errors, unverified });
}

function renderReset(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/reset', { title: 'Reset your password', email, errors });
}

/**
 * Runs a throttle check. When it refuses, answers 429 on the form itself (with Retry-After and
 * when to try again) and resolves to false.
 */
async function withinLimit(
  res: Response,
  check: () => Promise<void>,
  renderForm: (status: number, errors: FieldErrors) => void,
): Promise<boolean> {
  try {
    await check();
    return true;
  } catch (err) {
    if (!(err instanceof TooManyAttemptsError)) throw err;
    res.set('Retry-After', String(err.retryAfterSeconds));
    renderForm(429, { form: err.message });
    return false;
  }
}

export function authController({ config, throttles, sendMail, sessions, logger }: AuthDependencies) {
  /** @route GET /signup */
  const getSignup: RequestHandler = (_req, res) => renderSignup(res, 200);

  /** @route POST /signup */
  const postSignup: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const allowed = await withinLimit(
      res,
      () => throttles.signupByIp.take(clientKey(req.ip)),
      (status, errors) => renderSignup(res, status, typedEmail, errors),
    );
    if (!allowed) return;
    const errors = fieldErrors(req);
    if (errors) return renderSignup(res, 422, typedEmail, errors);

    const { email, password } = matchedData<{ email: string; password: string }>(req);
    // The same answer, as fast, for a new and an existing address: the work happens after it.
    afterResponse(res, logger, 'could not complete a signup', () =>
      registerOrNotify(email, password, config, sendMail),
    );
    flash(req, 'info', SIGNUP_REQUESTED);
    await saveSession(req);
    res.redirect('/login');
  };

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

  /**
   * @route GET /verify/:token — confirms on opening: the token is the only secret (a forged request
   * cannot know it), and all a confirmation does is let the owner log in with their own password.
   */
  const getVerify: RequestHandler = async (req, res) => {
    if (!(await verifyEmail(req.params.token))) {
      return res.status(410).render('auth/verify-invalid', { title: 'Link expired' });
    }
    flash(req, 'success', 'Your email address is confirmed. You can log in now.');
    await saveSession(req);
    res.redirect('/login');
  };

  /** @route POST /verify/resend — the same answer whatever the address; the mail goes after it. */
  const postResendVerification: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const renderForm = (status: number, errors: FieldErrors) => renderLogin(res, status, typedEmail, errors);
    if (!(await withinLimit(res, () => throttles.resetByIp.take(clientKey(req.ip)), renderForm))) return;
    const errors = fieldErrors(req);
    if (errors) return renderLogin(res, 422, typedEmail, errors);
    const { email } = matchedData<{ email: string }>(req);
    // Shares the per-address budget of reset links: nobody floods one mailbox through either.
    if (!(await withinLimit(res, () => throttles.resetByEmail.take(email), renderForm))) return;
    afterResponse(res, logger, 'could not resend a confirmation link', () =>
      resendVerification(email, config, sendMail),
    );
    flash(req, 'info', VERIFICATION_RESENT);
    await saveSession(req);
    res.redirect('/login');
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

  /** @route GET /reset */
  const getReset: RequestHandler = (_req, res) => renderReset(res, 200);

  /**
   * @route POST /reset — the same answer, as fast, whether or not the email has an account: the
   * lookup and the mail happen after the response.
   */
  const postReset: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const renderForm = (status: number, errors: FieldErrors) => renderReset(res, status, typedEmail, errors);
    if (!(await withinLimit(res, () => throttles.resetByIp.take(clientKey(req.ip)), renderForm))) return;
    const errors = fieldErrors(req);
    if (errors) return renderReset(res, 422, typedEmail, errors);

    const { email } = matchedData<{ email: string }>(req);
    // Per address too, whether or not it has an account (the answer must not tell), so that
    // nobody can flood one mailbox with links from many IPs.
    if (!(await withinLimit(res, () => throttles.resetByEmail.take(email), renderForm))) return;
    sendResetLink(email, config, sendMail).catch((err: unknown) =>
      logger.error({ err }, 'could not send a reset link'),
    );
    flash(req, 'info', RESET_REQUESTED);
    await saveSession(req);
    res.redirect('/login');
  };

  /** @route GET /reset/:token */
  const getNewPassword: RequestHandler = async (req, res) => {
    const reset = await findUsableReset(req.params.token);
    if (!reset) return res.status(410).render('auth/reset-invalid', { title: 'Link expired' });
    res.render('auth/new-password', { title: 'Choose a new password', token: req.params.token, errors: {} });
  };

  /** @route POST /new-password */
  const postNewPassword: RequestHandler = async (req, res) => {
    const token: unknown = req.body?.passwordToken;
    if (!(await findUsableReset(token))) return res.status(410).render('auth/reset-invalid', { title: 'Link expired' });
    const errors = fieldErrors(req);
    if (errors) return res.status(422).render('auth/new-password', { title: 'Choose a new password', token, errors });

    const { password } = matchedData<{ password: string }>(req);
    const done = await completeReset(token, password, config.BCRYPT_COST);
    if (!done) return res.status(410).render('auth/reset-invalid', { title: 'Link expired' });
    // Whoever knew the old password is signed out everywhere (the new credential epoch also ends
    // logins still in flight), and the owner is no longer locked out by anyone's failed guesses.
    const ended = await sessions.destroySessionsOfUser(done.userId);
    await throttles.loginByEmail.reset(done.email);
    // The link came by mail: an account that was never confirmed is now.
    await markVerified(done.userId);
    const context = contextOf(req);
    recordEvent(res, logger, done.userId, 'password-reset', { context });
    if (ended > 0) recordEvent(res, logger, done.userId, 'sessions-ended', { by: 'reset', count: ended });
    afterResponse(res, logger, 'could not send a password-changed mail', () =>
      sendSecurityMail({ _id: done.userId, email: done.email }, 'password-reset', context, config, sendMail),
    );
    flash(req, 'success', 'Your password is changed. Please log in with the new one.');
    await saveSession(req);
    res.redirect('/login');
  };

  return {
    getSignup,
    postSignup,
    getLogin,
    postLogin,
    getVerify,
    postResendVerification,
    postLogout,
    getReset,
    postReset,
    getNewPassword,
    postNewPassword,
  };
}
