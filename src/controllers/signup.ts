import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { afterResponse } from '../lib/afterResponse';
import { clientKey } from '../lib/clientAddress';
import { redirectWith } from '../middleware/flash';
import { registerOrNotify, verifyEmail } from '../services/signup';
import { fieldErrors, formValue, type FieldErrors } from '../validation';
import type { AuthDependencies } from './auth';
import { withinLimit } from './withinLimit';

const SIGNUP_REQUESTED =
  'Check your inbox: we have sent you a link to confirm your address (it works once, for 24 hours). Then log in here.';

function renderSignup(res: Response, status: number, email = '', errors: FieldErrors = {}) {
  res.status(status).render('auth/signup', { title: 'Create an account', email, errors });
}

export function signupController({ config, throttles, sendMail, logger }: AuthDependencies) {
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
    await redirectWith(req, res, '/login', { kind: 'info', text: SIGNUP_REQUESTED });
  };

  /**
   * @route GET /verify/:token — confirms on opening: the token is the only secret (a forged request
   * cannot know it), and all a confirmation does is let the owner log in with their own password.
   */
  const getVerify: RequestHandler = async (req, res) => {
    if (!(await verifyEmail(req.params.token))) {
      return res.status(410).render('auth/verify-invalid', { title: 'Link expired' });
    }
    await redirectWith(req, res, '/login', {
      kind: 'success',
      text: 'Your email address is confirmed. You can log in now.',
    });
  };

  return { getSignup, postSignup, getVerify };
}
