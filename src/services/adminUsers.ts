import { isObjectIdOrHexString, trusted, type Types } from 'mongoose';
import { endEverySession } from '../auth/credentials';
import { revokeRememberTokens } from '../auth/rememberTokens';
import { turnOffTwoFactor } from '../auth/twoFactor/factor';
import type { Config } from '../config/env';
import type { SendMail } from '../lib/mailer';
import type { SessionControl } from '../config/sessionStore';
import { notFound } from '../lib/HttpError';
import { User, hasSecondFactor, type UserDocument } from '../models/User';
import { recordSecurityEvent } from './activity';
import { sendSecurityMail } from './securityMail';
import type { Page } from './products';

/** The longest search the accounts list takes (like the shop's search field). */
export const MAX_SEARCH_LENGTH = 100;

/** A search typed by an admin, as a pattern that matches it literally: `a.b*` is no regular expression. */
export const literalPattern = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The account of an id from a path; 404 for a malformed or unknown id (never a CastError 500). */
export async function findAccount(id: unknown): Promise<UserDocument> {
  if (typeof id !== 'string' || !isObjectIdOrHexString(id)) throw notFound('Account');
  const user = await User.findById(id);
  if (!user) throw notFound('Account');
  return user;
}

export interface AccountEntry {
  id: string;
  email: string;
  role: UserDocument['role'];
  joinedAt: Date;
  liveSessions: number;
  /** Whether the account signs in with a second factor. */
  secondFactor: boolean;
}

/**
 * One page of accounts, newest first: all of them, or those whose email contains `search` (any
 * case). Each with its number of live sessions, counted for the whole page in one query. Three
 * commands whatever the page holds: the count, the page, the sessions.
 */
export async function accountPage(
  search: string,
  page: number,
  perPage: number,
  sessions: Pick<SessionControl, 'countLiveSessionsOfUsers'>,
): Promise<Page<AccountEntry>> {
  // Emails are stored lower-cased; the pattern ignores case anyway.
  const filter = search ? { email: trusted({ $regex: literalPattern(search.toLowerCase()), $options: 'i' }) } : {};
  const [total, users] = await Promise.all([
    User.countDocuments(filter),
    User.find(filter)
      .select('email role createdAt twoFactor.enabledAt')
      .sort({ createdAt: -1, _id: -1 })
      .skip((page - 1) * perPage)
      .limit(perPage)
      .lean(),
  ]);
  const counts = await sessions.countLiveSessionsOfUsers(users.map((user) => user._id.toString()));
  return {
    page,
    pageCount: Math.max(1, Math.ceil(total / perPage)),
    items: users.map((user) => ({
      id: user._id.toString(),
      email: user.email,
      role: user.role,
      joinedAt: user.createdAt,
      liveSessions: counts.get(user._id.toString()) ?? 0,
      secondFactor: hasSecondFactor(user),
    })),
  };
}

/**
 * Ends every session of the account for the shop's staff (ASVS 7.4.5), from /admin/users or the
 * admin CLI: the credential epoch moves on first (which also ends logins still in flight and the
 * sessions a remembered browser restores meanwhile), then every remember-me token goes (a
 * remembered browser would sign straight back in) and the stored sessions are deleted. Recorded in
 * the account's activity log. Resolves to how many live sessions were deleted, or null when the
 * account is gone.
 */
export async function endSessionsOfAccount(
  userId: Types.ObjectId | string,
  sessions: Pick<SessionControl, 'destroySessionsOfUser'>,
): Promise<number | null> {
  if (!(await endEverySession(userId))) return null;
  await revokeRememberTokens(userId);
  const ended = await sessions.destroySessionsOfUser(userId.toString());
  await recordSecurityEvent(userId, 'sessions-ended', { by: 'admin', count: ended });
  return ended;
}

/**
 * Turns off the second factor of someone who lost both their phone and their recovery codes, once
 * the shop has checked out of band that they are the owner (docs/security.md): the factor and every
 * trusted browser go, the event is recorded, and the owner is mailed (so that a reset they did not
 * ask for does not go unnoticed). The password still signs in, and nothing else changes. Resolves
 * to false when the factor was off.
 */
export async function resetTwoFactorOfAccount(
  user: { _id: Types.ObjectId; email: string },
  { config, sendMail }: { config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>; sendMail: SendMail },
): Promise<boolean> {
  if (!(await turnOffTwoFactor(user._id))) return false;
  const at = new Date();
  await recordSecurityEvent(user._id, 'two-factor-reset', { by: 'admin' }, at);
  await sendSecurityMail(
    user,
    'two-factor-reset',
    { when: at, browser: 'the shop’s staff', place: 'the shop' },
    config,
    sendMail,
  );
  return true;
}

/** "1 session", "3 sessions". */
export const sessionCount = (n: number) => (n === 1 ? '1 session' : `${n} sessions`);
