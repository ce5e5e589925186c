import type { RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { clientKey } from '../lib/clientAddress';
import { redirectWith } from '../lib/flash';
import { signedInUser } from '../auth/access';
import { contextOf } from '../lib/requestContext';
import { reportSecurityEvent } from '../services/activity';
import { isTokenShaped } from '../services/accountTokens';
import { trustedDevice } from '../auth/deviceCookie';
import {
  confirmEmailChange,
  pendingEmailChange,
  requestEmailChange,
  type EmailChangeOutcome,
} from '../services/emailChange';
import { TooManyAttemptsError, mailBudget, passwordAttemptBudget } from '../services/throttle';
import { fieldErrors, formValue } from '../validation';
import type { AccountDependencies } from './account';
import { currentPasswordMatches } from '../auth/reauth';
import { renderAccountPage } from './accountPage';

const NOT_CHANGED = {
  invalid: { status: 410, message: 'Address-change links work once, for 24 hours. You can ask for a new one.' },
  outdated: {
    status: 409,
    message: 'The account’s address changed after this link was sent, so it no longer applies. Ask for a new one.',
  },
  taken: {
    status: 409,
    message: 'That address now belongs to another account, so your address was not changed.',
  },
} as const;

// On the link's page, read by whoever opened the link: perhaps not the account's owner.
const ENTER_PASSWORD = 'Enter the password of the account that asked for this.';
const NOT_THE_PASSWORD = 'That is not the password of the account that asked for this.';

export function emailChangeController(deps: AccountDependencies) {
  const { config, throttles, sendMail } = deps;

  /**
   * @route POST /account/email — fields `email` (the new address) and `password`. The same answer
   * whether or not the new address has an account: what happens next is in the mails.
   */
  const postChangeEmail: RequestHandler = async (req, res) => {
    const newEmail = formValue(req.body?.email);
    const refuse = (status: number, email: Record<string, string>) =>
      renderAccountPage(req, res, deps, status, { email, newEmail });
    const errors = fieldErrors(req);
    if (errors) return refuse(422, errors);
    const { email, password } = matchedData<{ email: string; password: string }>(req);
    if (!(await currentPasswordMatches(req, password, deps)))
      return refuse(422, { password: 'That is not your password.' });
    const user = signedInUser(req);
    if (email === user.email) return refuse(422, { email: 'That is already your address.' });
    try {
      // The per-address budget of mailed links: nobody floods a stranger's mailbox from here.
      await mailBudget(throttles, 'email-change', email, false).take();
    } catch (err) {
      if (!(err instanceof TooManyAttemptsError)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      return refuse(429, { email: err.message });
    }
    const context = contextOf(req);
    req.afterResponse('could not ask for an address change', () =>
      requestEmailChange(user, email, context, config, sendMail),
    );
    await redirectWith(req, res, '/account', {
      kind: 'info',
      text: `Check your inbox at ${email}: we have sent a link to confirm it (it works once, for 24 hours). Your address changes once you open it and type your password on its page.`,
    });
  };

  const notChanged = (res: Response, kind: keyof typeof NOT_CHANGED) =>
    res.status(NOT_CHANGED[kind].status).render('account/email-not-changed', {
      title: 'Address not changed',
      message: NOT_CHANGED[kind].message,
    });

  const askPassword = (res: Response, status: number, token: string, newEmail: string, error?: string) =>
    res.status(status).render('account/email-confirm', {
      title: 'Confirm the new address',
      token,
      newEmail,
      errors: error ? { password: error } : {},
    });

  /**
   * @route GET /account/email/verify/:token — asks first: opening the link changes nothing (mail
   * scanners open links by themselves, and the mailbox's owner may not be the one who asked). Open
   * to any browser (the mail may be read on another device).
   */
  const getConfirmEmail: RequestHandler = async (req, res) => {
    const { token } = req.params;
    const pending = await pendingEmailChange(token);
    if (!pending || !isTokenShaped(token)) return notChanged(res, 'invalid');
    askPassword(res, 200, token, pending.newEmail);
  };

  /**
   * @route POST /account/email/verify — fields `token` and `password`, the current password of the
   * account that asked for the change. Checked like a login (the same budgets), so that whoever
   * merely holds the link cannot guess it.
   */
  const postConfirmEmail: RequestHandler = async (req, res) => {
    const token: unknown = req.body?.token;
    const pending = await pendingEmailChange(token);
    if (!pending || !isTokenShaped(token)) return notChanged(res, 'invalid');
    const password: unknown = req.body?.password;
    if (typeof password !== 'string' || password === '')
      return askPassword(res, 422, token, pending.newEmail, ENTER_PASSWORD);
    // A browser that has signed in to the account spends its own budget (see deviceCookie.ts).
    const device = trustedDevice(req.cookies?.[config.deviceCookieName], pending.oldEmail, config.SESSION_SECRET);
    const budget = passwordAttemptBudget(throttles, pending.oldEmail, device, clientKey(req.ip));
    let outcome: EmailChangeOutcome;
    try {
      outcome = await confirmEmailChange(token, password, budget);
    } catch (err) {
      if (!(err instanceof TooManyAttemptsError)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      return askPassword(res, 429, token, pending.newEmail, err.message);
    }
    if (outcome.kind === 'wrong-password') return askPassword(res, 422, token, pending.newEmail, NOT_THE_PASSWORD);
    if (outcome.kind !== 'changed') return notChanged(res, outcome.kind);
    const { userId, oldEmail, newEmail } = outcome;
    const context = contextOf(req);
    // Mailed to the old address, naming the new one: its "this wasn't me" gives the old one back.
    reportSecurityEvent(req.afterResponse, deps, { _id: userId, email: oldEmail }, 'email-changed', {
      context,
      newEmail,
    });
    const text = `Your account’s address is now ${newEmail}.`;
    // This browser's copy; other sessions get theirs from the per-request user re-fetch.
    if (req.user?._id.toString() === userId && req.session.user) {
      req.session.user = { ...req.session.user, email: newEmail };
      return redirectWith(req, res, '/account', { kind: 'success', text });
    }
    await redirectWith(req, res, '/login', { kind: 'success', text: `${text} Log in with it.` });
  };

  return { postChangeEmail, getConfirmEmail, postConfirmEmail };
}
