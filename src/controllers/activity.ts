import type { RequestHandler } from 'express';
import { notFound } from '../lib/HttpError';
import { signedInUser } from '../auth/access';
import type { EndedBy, EventKind } from '../models/SecurityEvent';
import { activityPage } from '../services/activity';
import { describeSignInMethods } from './accountPage';

const DESCRIPTIONS: Record<EventKind, string> = {
  'sign-in': 'Signed in',
  'sign-in-failed': 'Failed sign-in (wrong password)',
  'new-device': 'Signed in from a new browser',
  'password-changed': 'Password changed',
  'password-reset': 'Password reset with a mailed link',
  'sessions-ended': 'Sessions ended',
  'remember-me-reuse': 'An old “remember me” token was used again: every remembered browser was signed out',
  'email-changed': 'Email address changed',
  'remembered-browser-removed': 'A remembered browser was removed',
  'second-factor-failed': 'Failed sign-in (right password, wrong code)',
  'two-factor-enabled': 'Two-step sign-in turned on (authenticator app)',
  'two-factor-disabled': 'Two-step sign-in turned off',
  'two-factor-reset': 'Two-step sign-in turned off by the shop’s staff (lost phone and recovery codes)',
  'recovery-codes-replaced': 'New recovery codes made (the old ones no longer work)',
  'recovery-code-used': 'A recovery code was used to sign in',
  'browser-trusted': 'A browser was trusted to skip the code for 30 days',
  'passkey-added': 'A passkey was added',
  'passkey-removed': 'A passkey was removed',
  'passkey-refused': 'A passkey sign-in was refused (a replayed, expired or foreign answer)',
};

const ENDED_BY: Record<EndedBy, string> = {
  user: 'by you',
  reset: 'by a password reset',
  'password-change': 'by a password change',
  'not-me': 'by “This wasn’t me”',
  'remember-me-reuse': 'because a stolen “remember me” token was used',
  cap: 'by a new sign-in (the least recently used, over the limit of signed-in devices)',
  admin: 'by the shop’s staff',
};

/** @route GET /account/activity?page=N — the account's security events of the last 90 days, newest first. */
export const getActivity: RequestHandler = async (req, res) => {
  const raw = req.query.page;
  const page = raw === undefined ? 1 : typeof raw === 'string' && /^[1-9]\d{0,3}$/.test(raw) ? Number(raw) : NaN;
  if (Number.isNaN(page)) throw notFound();
  const result = await activityPage(signedInUser(req)._id, page);
  if (page > result.pageCount) throw notFound();
  res.render('account/activity', {
    title: 'Account activity',
    events: result.events.map((event) => ({
      at: event.at,
      what: DESCRIPTIONS[event.kind],
      method: event.details?.method ? describeSignInMethods(event.details.method.split('+')) : undefined,
      browser: event.details?.browser,
      place: event.details?.place,
      by: event.details?.by ? ENDED_BY[event.details.by] : undefined,
      count: event.details?.count,
      passkey: event.details?.passkey,
    })),
    pagination: result,
    pageHref: (n: number) => `/account/activity?page=${n}`,
  });
};
