import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config/env';
import { currentPasswordMatches } from '../auth/reauth';
import { safeReturnTo, signedInUser } from '../auth/access';
import { trustedDevice } from '../auth/deviceCookie';
import { checkSecondFactor } from '../auth/twoFactor/factor';
import { secretBoxOf } from '../lib/secretBox';
import { hasSecondFactor } from '../models/User';
import { Passkey } from '../models/Passkey';
import { TooManyAttemptsError, loginBudget, type Throttles } from '../services/throttle';
import { renewSessionId, saveSession } from '../lib/requestSession';
import { accountPasswordRule } from '../validation/auth';

export interface ReauthDependencies {
  config: Config;
  throttles: Throttles;
}

async function renderConfirm(req: Request, res: Response, status: number, error?: string) {
  const user = signedInUser(req);
  const hasPasskeys = (await Passkey.exists({ userId: user._id })) !== null;
  res
    .status(status)
    .render('account/confirm', { title: 'Confirm it is you', error, needsCode: hasSecondFactor(user), hasPasskeys });
}

/**
 * After a confirmation: back to the page that asked for it, or the form that asked, as it was
 * filled in, to send again (a click: nothing is done without the user), or else /account.
 */
export async function resubmitPage(req: Request, res: Response): Promise<void> {
  const pending = req.session.pendingForm;
  delete req.session.pendingForm;
  await saveSession(req);
  const action = pending ? safeReturnTo(pending.action) : '/';
  if (!pending || action === '/') return res.redirect('/account');
  if (pending.page) return res.redirect(action);
  const user = signedInUser(req);
  res.render('account/resubmit', {
    title: 'Continue',
    action,
    // As the form's route declared it (routes/account.ts).
    label: pending.label ?? 'Continue',
    fields: Object.entries(pending.fields),
    passwordFields: (pending.passwordFields ?? []).map((field) =>
      field.newPasswordOfAccount
        ? { ...field, label: `${field.label} (at least ${accountPasswordRule(user).minimum} characters)` }
        : field,
    ),
    errors: {},
  });
}

export function reauthController({ config, throttles }: ReauthDependencies) {
  /** @route GET /account/confirm */
  const getConfirm: RequestHandler = (req, res) => renderConfirm(req, res, 200);

  /**
   * @route POST /account/confirm — fields `password` and, when the account has a second factor,
   * `code` (an authenticator code or a recovery code; a trusted browser skips only the sign-in's
   * prompt, never this). Each is counted like a login (the same budgets), so a stolen session
   * cannot be used to guess them.
   */
  const postConfirm: RequestHandler = async (req, res) => {
    const user = signedInUser(req);
    const needsCode = hasSecondFactor(user);
    const password: unknown = req.body?.password;
    const code: unknown = req.body?.code;
    const refuse = (status: number, error: string) => renderConfirm(req, res, status, error);
    if (typeof password !== 'string' || password === '') return refuse(422, 'Enter your password.');
    if (needsCode && (typeof code !== 'string' || code.trim() === '' || code.length > 40)) {
      return refuse(422, 'Enter the code from your authenticator app, or a recovery code.');
    }
    try {
      if (!(await currentPasswordMatches(req, password, { config, throttles }))) {
        return refuse(422, 'That is not your password.');
      }
      if (needsCode) {
        const device = trustedDevice(req.cookies?.[config.deviceCookieName], user.email, config.SESSION_SECRET);
        const budget = loginBudget(throttles, user.email, device);
        const method = await checkSecondFactor(user._id, String(code), { box: secretBoxOf(config), budget });
        if (!method) return refuse(422, 'That code is not right.');
      }
    } catch (err) {
      if (!(err instanceof TooManyAttemptsError)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      return refuse(429, err.message);
    }

    // A new session id for the proven session: whoever copied the old one is left behind.
    await renewSessionId(req);
    req.session.reauthenticatedAt = Date.now();
    await resubmitPage(req, res);
  };

  return { getConfirm, postConfirm };
}
