import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { clientKey } from '../lib/clientAddress';
import { TooManyAttemptsError, type Throttles } from '../services/throttle';
import { fieldErrors, type FieldErrors } from '../validation';

/**
 * Runs a throttle check. When it refuses, answers 429 on the form itself (with Retry-After and
 * when to try again) and resolves to false.
 */
export async function withinLimit(
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

/**
 * The checks of a form that mails a link to a typed address (a reset, a new confirmation link): the
 * per-IP budget, the field rules, then the per-address budget that every mailed link shares, whether
 * or not the address has an account (the answer must not tell), so that nobody floods one mailbox
 * from many IPs. Resolves to the address, or to undefined once the form has been answered (429, 422).
 */
export async function mailableAddress(
  req: Request,
  res: Response,
  throttles: Pick<Throttles, 'resetByIp' | 'resetByEmail'>,
  renderForm: (status: number, errors: FieldErrors) => void,
): Promise<string | undefined> {
  if (!(await withinLimit(res, () => throttles.resetByIp.take(clientKey(req.ip)), renderForm))) return undefined;
  const errors = fieldErrors(req);
  if (errors) return void renderForm(422, errors);
  const { email } = matchedData<{ email: string }>(req);
  if (!(await withinLimit(res, () => throttles.resetByEmail.take(email), renderForm))) return undefined;
  return email;
}
