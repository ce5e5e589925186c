import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { clientKey } from '../lib/clientAddress';
import type { Config } from '../config/env';
import { trustedDevice } from '../auth/deviceCookie';
import { TooManyAttemptsError, mailBudget, type MailedLink, type Throttles } from '../services/throttle';
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
 * Whether the request comes from the owner of `email`: a session signed in to the account with
 * that address, or a browser holding the account's device cookie (it has signed in to it before).
 */
function fromOwnerOf(req: Request, email: string, config: Pick<Config, 'deviceCookieName' | 'SESSION_SECRET'>) {
  if (req.user?.email === email) return true;
  return trustedDevice(req.cookies?.[config.deviceCookieName], email, config.SESSION_SECRET) !== undefined;
}

/** Said with a per-address refusal: the links that spent the budget went to the address's inbox. */
const NEWEST_LINK_WORKS =
  'If this address has an account, the newest link we mailed it still works: look in its inbox.';

/**
 * The checks of a form that mails a link to a typed address (a reset, a new confirmation link): the
 * per-IP budget, the field rules, then the per-address budget of this kind of link (see
 * `mailBudget`), spent whether or not the address has an account (the answer must not tell), so
 * that nobody floods one mailbox from many IPs; its owner's own requests have a budget of their
 * own. Resolves to the address, or to undefined once the form has been answered (429, 422).
 */
export async function mailableAddress(
  req: Request,
  res: Response,
  { throttles, config }: { throttles: Throttles; config: Pick<Config, 'deviceCookieName' | 'SESSION_SECRET'> },
  kind: MailedLink,
  renderForm: (status: number, errors: FieldErrors) => void,
): Promise<string | undefined> {
  if (!(await withinLimit(res, () => throttles.resetByIp.take(clientKey(req.ip)), renderForm))) return undefined;
  const errors = fieldErrors(req);
  if (errors) return void renderForm(422, errors);
  const { email } = matchedData<{ email: string }>(req);
  const budget = mailBudget(throttles, kind, email, fromOwnerOf(req, email, config));
  const refuse = (status: number, { form }: FieldErrors) =>
    renderForm(status, { form: `${form} ${NEWEST_LINK_WORKS}` });
  if (!(await withinLimit(res, budget.take, refuse))) return undefined;
  return email;
}
