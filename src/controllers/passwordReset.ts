import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { redirectWith } from '../lib/flash';
import { contextOf } from '../lib/requestContext';
import { reportSecurityEvent } from '../services/activity';
import { completeReset, findUsableReset, sendResetLink } from '../services/passwordReset';
import { markVerified } from '../services/signup';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { accountPasswordRule, type PasswordRule } from '../validation/auth';
import type { AuthDependencies } from './auth';
import { mailableAddress } from './withinLimit';

const RESET_REQUESTED =
  'If an account exists for that email, we have sent it a link to choose a new password. The link works once, for one hour.';

function renderReset(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/reset', { title: 'Reset your password', email, errors });
}

function renderNewPassword(
  res: Response,
  status: number,
  token: unknown,
  passwordRule: PasswordRule,
  errors: FieldErrors = {},
) {
  res.status(status).render('auth/new-password', { title: 'Choose a new password', token, errors, passwordRule });
}

const linkExpired = (res: Response) => res.status(410).render('auth/reset-invalid', { title: 'Link expired' });

export function passwordResetController(deps: AuthDependencies) {
  const { config, throttles, sendMail, sessions } = deps;
  /** @route GET /reset */
  const getReset: RequestHandler = (_req, res) => renderReset(res, 200);

  /**
   * @route POST /reset — the same answer, as fast, whether or not the email has an account: the
   * lookup and the mail happen after the response.
   */
  const postReset: RequestHandler = async (req, res) => {
    const typedEmail = formValue(req.body?.email);
    const renderForm = (status: number, errors: FieldErrors) => renderReset(res, status, typedEmail, errors);
    const email = await mailableAddress(req, res, { throttles, config }, 'reset', renderForm);
    if (email === undefined) return;
    req.afterResponse('could not send a reset link', () => sendResetLink(email, config, sendMail));
    await redirectWith(req, res, '/login', { kind: 'info', text: RESET_REQUESTED });
  };

  /** @route GET /reset/:token */
  const getNewPassword: RequestHandler = async (req, res) => {
    const usable = await findUsableReset(req.params.token);
    if (!usable) return linkExpired(res);
    renderNewPassword(res, 200, req.params.token, accountPasswordRule(usable.account));
  };

  /**
   * @route POST /new-password — before the field rules: an unusable link is answered here, and a
   * usable one's account decides the password rule (8 characters with a second factor, else 15).
   */
  const checkResetLink: RequestHandler = async (req, res, next) => {
    const usable = await findUsableReset(req.body?.passwordToken);
    if (!usable) return linkExpired(res);
    res.locals.passwordRule = accountPasswordRule(usable.account);
    next();
  };

  /** @route POST /new-password — after `checkResetLink` and the field rules. */
  const postNewPassword: RequestHandler = async (req, res) => {
    const token: unknown = req.body?.passwordToken;
    const errors = fieldErrors(req);
    if (errors) return renderNewPassword(res, 422, token, res.locals.passwordRule as PasswordRule, errors);

    const { password } = matchedData<{ password: string }>(req);
    const done = await completeReset(token, password, config.BCRYPT_COST);
    if (!done) return linkExpired(res);
    // Whoever knew the old password is signed out everywhere (the new credential epoch also ends
    // logins still in flight), and the owner is no longer locked out by anyone's failed guesses.
    const ended = await sessions.destroySessionsOfUser(done.userId);
    await throttles.loginByEmail.reset(done.email);
    // The link came by mail: an account that was never confirmed is now.
    await markVerified(done.userId);
    const account = { _id: done.userId, email: done.email };
    reportSecurityEvent(req.afterResponse, deps, account, 'password-reset', { context: contextOf(req) });
    if (ended > 0)
      reportSecurityEvent(req.afterResponse, deps, account, 'sessions-ended', { by: 'reset', count: ended });
    await redirectWith(req, res, '/login', {
      kind: 'success',
      text: 'Your password is changed. Please log in with the new one.',
    });
  };

  return { getReset, postReset, getNewPassword, checkResetLink, postNewPassword };
}
