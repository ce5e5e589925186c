import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { clientKey } from '../lib/clientAddress';
import { redirectWith } from '../lib/flash';
import { isTokenShaped } from '../services/accountTokens';
import { awaitsConfirmation, confirmAddress, registerOrNotify } from '../services/signup';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import { NEW_ACCOUNT_PASSWORD } from '../validation/auth';
import type { AuthDependencies } from './auth';
import { withinLimit } from './withinLimit';

const SIGNUP_REQUESTED =
  'Check your inbox: we have sent you a link to confirm your address (it works once, for 24 hours). Then log in here.';

function renderSignup(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res
    .status(status)
    .render('auth/signup', { title: 'Create an account', email, errors, passwordRule: NEW_ACCOUNT_PASSWORD });
}

function renderConfirm(res: Response, status: number, token: string, errors: FieldErrors = {}) {
  res.status(status).render('auth/verify', {
    title: 'Confirm your address',
    token,
    errors,
    passwordRule: NEW_ACCOUNT_PASSWORD,
  });
}

const linkExpired = (res: Response) => res.status(410).render('auth/verify-invalid', { title: 'Link expired' });

export function signupController({ config, throttles, sendMail }: AuthDependencies) {
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
    req.afterResponse('could not complete a signup', () => registerOrNotify(email, password, config, sendMail));
    await redirectWith(req, res, '/login', { kind: 'info', text: SIGNUP_REQUESTED });
  };

  /**
   * @route GET /verify/:token — asks first: opening the link changes nothing (mail scanners open
   * links by themselves), its page's form confirms.
   */
  const getVerify: RequestHandler = async (req, res) => {
    const { token } = req.params;
    if (!isTokenShaped(token) || !(await awaitsConfirmation(token))) return linkExpired(res);
    renderConfirm(res, 200, token);
  };

  /**
   * @route POST /verify — fields `token`, `password`, `confirmPassword`. The password typed here
   * becomes the account's, whatever was typed at signup: whoever signed up may not own the address.
   */
  const postVerify: RequestHandler = async (req, res) => {
    const token: unknown = req.body?.token;
    if (!isTokenShaped(token) || !(await awaitsConfirmation(token))) return linkExpired(res);
    const errors = fieldErrors(req);
    if (errors) return renderConfirm(res, 422, token, errors);

    const { password } = matchedData<{ password: string }>(req);
    const email = await confirmAddress(token, password, config.BCRYPT_COST);
    if (!email) return linkExpired(res);
    // Failed guesses at the password typed at signup are no reason to keep the owner out.
    await throttles.loginByEmail.reset(email);
    await redirectWith(req, res, '/login', {
      kind: 'success',
      text: 'Your email address is confirmed. You can log in now.',
    });
  };

  return { getSignup, postSignup, getVerify, postVerify };
}
