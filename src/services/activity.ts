import { trusted, type Types } from 'mongoose';
import type { Config } from '../config/env';
import type { AfterResponse } from '../lib/afterResponse';
import type { SendMail } from '../lib/mailer';
import type { RequestContext } from '../lib/requestContext';
import { User } from '../models/User';
import { EVENT_RETENTION_SECONDS, SecurityEvent, type EventDetails, type EventKind } from '../models/SecurityEvent';
import { sendSecurityMail, type SecurityMailKind } from './securityMail';

export const EVENTS_PER_PAGE = 20;

/** The events its owner is mailed about (with a "this wasn't me" link), besides the activity log. */
const MAILED: Partial<Record<EventKind, SecurityMailKind>> = {
  'new-device': 'new-device',
  'password-changed': 'password-changed',
  'password-reset': 'password-reset',
  'remember-me-reuse': 'remember-me-reuse',
  'email-changed': 'email-changed',
  'two-factor-enabled': 'two-factor-enabled',
  'two-factor-disabled': 'two-factor-disabled',
  'recovery-codes-replaced': 'recovery-codes-replaced',
  'recovery-code-used': 'recovery-code-used',
  'browser-trusted': 'browser-trusted',
  'passkey-added': 'passkey-added',
  'passkey-removed': 'passkey-removed',
};

export interface SecurityEventDependencies {
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>;
  sendMail: SendMail;
}

/**
 * One security event, in one call: recorded in the account's activity log and, for the kinds in
 * MAILED, mailed to its owner (to `account.email`, else the account's current address; an address
 * change names `newEmail`). Both happen after the response: they never slow the action they report,
 * and their failure is only logged.
 */
export function reportSecurityEvent(
  later: AfterResponse,
  { config, sendMail }: SecurityEventDependencies,
  account: { _id: Types.ObjectId | string; email?: string },
  kind: EventKind,
  details: EventDetails & { context?: RequestContext; newEmail?: string } = {},
): void {
  const { context, newEmail, ...rest } = details;
  const at = context?.when ?? new Date();
  const where = context ? { browser: context.browser, place: context.place } : {};
  later(`could not record a ${kind} event`, () => recordSecurityEvent(account._id, kind, { ...where, ...rest }, at));
  const mail = MAILED[kind];
  if (!mail) return;
  later(`could not send a ${kind} mail`, async () => {
    const email = account.email ?? (await User.findById(account._id).select('email'))?.email;
    if (!email) return;
    const about = { _id: account._id, email };
    await sendSecurityMail(
      about,
      mail,
      context ?? { when: at, browser: 'unknown', place: 'unknown' },
      config,
      sendMail,
      newEmail,
    );
  });
}

/**
 * Records one event in the account's activity log now, mailing nobody: for an action whose caller
 * waits for the record (an admin's, which has no response to come after on the command line).
 */
export async function recordSecurityEvent(
  userId: Types.ObjectId | string,
  kind: EventKind,
  details: EventDetails,
  at = new Date(),
): Promise<void> {
  await SecurityEvent.create({ userId, kind, at, details });
}

/** One page of the account's events of the last 90 days, newest first. */
export async function activityPage(userId: Types.ObjectId, page: number) {
  const since = new Date(Date.now() - EVENT_RETENTION_SECONDS * 1000);
  const filter = { userId, at: trusted({ $gte: since }) };
  const [events, total] = await Promise.all([
    SecurityEvent.find(filter)
      .sort({ at: -1, _id: -1 })
      .skip((page - 1) * EVENTS_PER_PAGE)
      .limit(EVENTS_PER_PAGE)
      .lean(),
    SecurityEvent.countDocuments(filter),
  ]);
  return { events, page, pageCount: Math.max(1, Math.ceil(total / EVENTS_PER_PAGE)) };
}
