import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { checkSignInPassword, upgradePasswordHash, type PasswordCheck } from '../auth/password';
import { forgetSeries } from '../auth/rememberTokens';
import {
  continueAfterPassword,
  finishSecondStep,
  pendingSignInOf,
  type SecondStepDependencies,
} from '../auth/twoFactor/secondStep';
import { clearSessionCookie, cookieOptions } from '../config/session';
import type { SessionControl } from '../config/sessionStore';
import { redirectWith } from '../lib/flash';
import { contextOf } from '../lib/requestContext';
import { destroySession } from '../lib/requestSession';
import { reportSecurityEvent } from '../services/activity';
import { resendVerification } from '../services/signup';
import type { Throttles } from '../services/throttle';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { mailableAddress, withinLimit } from './withinLimit';

const LOGIN_FAILED = 'Invalid email or password.';
const VERIFY_FIRST = 'Confirm your email address first: open the link we mailed you when you signed up.';
const RESET_FIRST =
  'This password no longer signs in: someone said “this wasn’t me” about this account. Check your mail ' +
  'for a reset link and choose a new password (or ask for a new link on the reset page).';
const VERIFICATION_RESENT =
  'If that account still awaits confirmation, we have sent it a new link. It works once, for 24 hours.';

export interface AuthDependencies extends SecondStepDependencies {
  sessions: SessionControl;
  throttles: Throttles;
}

const SIGN_IN_AGAIN =
  'Your sign-in waited more than 5 minutes for its code, or was finished already. Please log in again.';
const WRONG_CODE = 'That code is not right. Enter the 6-digit code your app shows now, or an unused recovery code.';
/** Longer than any code or recovery code as typed (with spaces and dashes). */
const MAX_CODE_LENGTH = 40;

function renderSecondStep(res: Response, status: number, error?: string) {
  res.status(status).render('auth/two-factor', { title: 'Enter your code', error });
}

function renderLogin(res: Response, status: number, email = '', errors: FieldErrors = {}, unverified = false) {
  res.status(status).render('auth/login', { title: 'Log in', email, errors, unverified });
}

export function authController(deps: AuthDependencies) {
  const { config, throttles, sendMail } = deps;
  /** @route GET /login */
  const getLogin: RequestHandler = (_req, res) => renderLogin(res, 200);

  /** @route POST /login — fields `email`, `password`, and `remember` ("on" to stay signed in). */
  const postLogin: RequestHandler = async (req, res) => {
    const errors = fieldErrors(req);
    if (errors) {
      // Malformed input says what is wrong with it; it never reveals whether an account exists.
      return renderLogin(res, 422, formValue(req.body?.email), errors);
    }
    const { email, password } = matchedData<{ email: string; password: string }>(req);
    let check: PasswordCheck | undefined;
    const from = { ip: req.ip, deviceCookie: req.cookies?.[config.deviceCookieName] };
    const allowed = await withinLimit(
      res,
      async () => void (check = await checkSignInPassword(email, password, from, deps)),
      (status, errors) => renderLogin(res, status, email, errors),
    );
    if (!allowed || !check) return;
    switch (check.kind) {
      case 'wrong':
        if (check.user) {
          reportSecurityEvent(req.afterResponse, deps, check.user, 'sign-in-failed', { context: contextOf(req) });
        }
        return renderLogin(res, 422, email, { form: LOGIN_FAILED });
      // Both said only to whoever knows the password, which proves more than that the account exists.
      case 'blocked':
        return renderLogin(res, 403, email, { form: RESET_FIRST });
      case 'unverified':
        return renderLogin(res, 403, email, { form: VERIFY_FIRST }, true);
      case 'right': {
        const { user } = check;
        // Signed in, or sent to the second step (auth/twoFactor/secondStep.ts).
        const next = await continueAfterPassword(req, res, deps, user, req.body?.remember === 'on');
        // A hash in an older format is replaced now that the password is known, after the
        // response: the visitor does not wait for a second hash.
        req.afterResponse('could not upgrade a password hash', () =>
          upgradePasswordHash(user, password, config.BCRYPT_COST),
        );
        res.redirect(next);
      }
    }
  };

  /** @route GET /login/two-factor — the second step of a pending sign-in of this browser. */
  const getSecondStep: RequestHandler = async (req, res) => {
    if (!(await pendingSignInOf(req))) {
      delete req.session.pendingSignIn;
      return redirectWith(req, res, '/login', { kind: 'info', text: SIGN_IN_AGAIN });
    }
    renderSecondStep(res, 200);
  };

  /**
   * @route POST /login/two-factor — fields `code` (an authenticator code or a recovery code) and
   * `trust` ("on": skip the code in this browser for 30 days).
   */
  const postSecondStep: RequestHandler = async (req, res) => {
    const code: unknown = req.body?.code;
    if (typeof code !== 'string' || code.trim() === '' || code.length > MAX_CODE_LENGTH) {
      return renderSecondStep(res, 422, 'Enter the 6-digit code from your authenticator app, or a recovery code.');
    }
    let outcome: Awaited<ReturnType<typeof finishSecondStep>> | undefined;
    const allowed = await withinLimit(
      res,
      async () => void (outcome = await finishSecondStep(req, res, deps, { code, trust: req.body?.trust === 'on' })),
      (status, errors) => renderSecondStep(res, status, errors.form),
    );
    if (!allowed || !outcome) return;
    if (outcome.kind === 'expired') return redirectWith(req, res, '/login', { kind: 'info', text: SIGN_IN_AGAIN });
    if (outcome.kind === 'wrong-code') return renderSecondStep(res, 422, WRONG_CODE);
    res.redirect(outcome.next);
  };

  /** @route POST /verify/resend — the same answer whatever the address; the mail goes after it. */
  const postResendVerification: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const renderForm = (status: number, errors: FieldErrors) => renderLogin(res, status, typedEmail, errors);
    const email = await mailableAddress(req, res, { throttles, config }, 'verify', renderForm);
    if (email === undefined) return;
    req.afterResponse('could not resend a confirmation link', () => resendVerification(email, config, sendMail));
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

  return { getLogin, postLogin, getSecondStep, postSecondStep, postResendVerification, postLogout };
}
