import type { RequestHandler, Response } from 'express';
import type { Config } from '../config/env';
import { currentPasswordMatches } from '../auth/reauth';
import { safeReturnTo } from '../auth/access';
import { TooManyAttemptsError, type Throttles } from '../services/throttle';
import { renewSessionId, saveSession } from '../lib/requestSession';

export interface ReauthDependencies {
  config: Config;
  throttles: Throttles;
}

function renderConfirm(res: Response, status: number, error?: string) {
  res.status(status).render('account/confirm', { title: 'Confirm your password', error });
}

export function reauthController({ config, throttles }: ReauthDependencies) {
  /** @route GET /account/confirm */
  const getConfirm: RequestHandler = (_req, res) => renderConfirm(res, 200);

  /**
   * @route POST /account/confirm — field `password`. Counted like a login (the same budgets), so a
   * stolen session cannot be used to guess the password.
   */
  const postConfirm: RequestHandler = async (req, res) => {
    const password: unknown = req.body?.password;
    if (typeof password !== 'string' || password === '') return renderConfirm(res, 422, 'Enter your password.');
    let matches: boolean;
    try {
      matches = await currentPasswordMatches(req, password, { config, throttles });
    } catch (err) {
      if (!(err instanceof TooManyAttemptsError)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      return renderConfirm(res, 429, err.message);
    }
    if (!matches) return renderConfirm(res, 422, 'That is not your password.');

    // A new session id for the proven session: whoever copied the old one is left behind.
    await renewSessionId(req);
    req.session.reauthenticatedAt = Date.now();
    const pending = req.session.pendingForm;
    delete req.session.pendingForm;
    await saveSession(req);
    const action = pending ? safeReturnTo(pending.action) : '/';
    if (!pending || action === '/') return res.redirect('/account');
    // The form as it was filled in, to send again (a click: nothing is done without the user).
    res.render('account/resubmit', {
      title: 'Continue',
      action,
      // As the form's route declared it (routes/account.ts).
      label: pending.label ?? 'Continue',
      fields: Object.entries(pending.fields),
      passwordFields: pending.passwordFields ?? [],
      errors: {},
    });
  };

  return { getConfirm, postConfirm };
}
