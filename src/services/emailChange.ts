import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { serialized } from '../db';
import type { Mail, SendMail } from '../lib/mailer';
import { User, isDuplicateKeyError } from '../models/User';
import { claimToken, endUnusedTokens, issueToken } from './accountTokens';
import { sendSecurityMail, type RequestContext } from './securityMail';

export const EMAIL_CHANGE_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** The link that moves the account to `newEmail`, mailed to that address (proving it is the owner's). */
export function emailChangeMail(newEmail: string, token: string, config: Pick<Config, 'APP_URL'>): Mail {
  return {
    to: newEmail,
    subject: 'Confirm the new address of your Fernhill Goods account',
    text: [
      'You asked to use this address for your Fernhill Goods account. Open this link to confirm it:',
      '',
      `${config.APP_URL}/account/email/verify/${token}`,
      '',
      'The link works once, for 24 hours. If you did not ask for this, ignore this mail: nothing changes without it.',
    ].join('\n'),
  };
}

/**
 * An address change the signed-in owner asked for (their password checked), done after the response
 * so that the answer is the same, as fast, whether or not `newEmail` has an account. Earlier links
 * end; a free address gets a new link; an address taken by another account gets nothing (its owner
 * did not ask). The account's current address is told either way, with a "this wasn't me" link.
 */
export async function requestEmailChange(
  user: { _id: Types.ObjectId; email: string },
  newEmail: string,
  context: RequestContext,
  config: Pick<Config, 'APP_URL'>,
  sendMail: SendMail,
): Promise<void> {
  await endUnusedTokens(user._id, 'email-change');
  if (!(await User.exists({ email: newEmail }))) {
    const token = await issueToken(user._id, 'email-change', EMAIL_CHANGE_LINK_LIFETIME_MS, {
      newEmail,
      oldEmail: user.email,
    });
    await sendMail(emailChangeMail(newEmail, token, config));
  }
  await sendSecurityMail(user, 'email-change-requested', context, config, sendMail, newEmail);
}

export type EmailChangeOutcome =
  | { kind: 'changed'; userId: string; oldEmail: string; newEmail: string }
  /** Unknown, used or expired link. */
  | { kind: 'invalid' }
  /** The account's address changed (or the account went) after the link was sent. */
  | { kind: 'outdated' }
  /** Another account took the new address after the link was sent. */
  | { kind: 'taken' };

/**
 * Opens an address-change link: the token is claimed first (single use: of simultaneous openings
 * one wins), then the address changes only if it is still the one the change was asked from; the
 * unique index on email refuses an address another account took meanwhile.
 */
export async function confirmEmailChange(token: unknown): Promise<EmailChangeOutcome> {
  const claimed = await claimToken(token, 'email-change');
  if (!claimed?.newEmail || !claimed.oldEmail) return { kind: 'invalid' };
  const { newEmail, oldEmail } = claimed;
  const userId = claimed.userId.toString();
  try {
    const result = await serialized(`email:${userId}`, () =>
      User.updateOne({ _id: userId, email: oldEmail }, { $set: { email: newEmail } }),
    );
    if (result.modifiedCount !== 1) return { kind: 'outdated' };
  } catch (err) {
    if (isDuplicateKeyError(err)) return { kind: 'taken' };
    throw err;
  }
  return { kind: 'changed', userId, oldEmail, newEmail };
}

/**
 * "This wasn't me" on a mail about an address change: a pending change ends, and an account moved
 * away from `restoreEmail` gets it back (if nobody took it meanwhile). Resolves to the account's
 * address afterwards.
 */
export async function undoEmailChange(userId: string, currentEmail: string, restoreEmail: string): Promise<string> {
  await endUnusedTokens(userId, 'email-change');
  if (currentEmail === restoreEmail) return currentEmail;
  try {
    const result = await serialized(`email:${userId}`, () =>
      User.updateOne({ _id: userId, email: currentEmail }, { $set: { email: restoreEmail } }),
    );
    return result.modifiedCount === 1 ? restoreEmail : currentEmail;
  } catch (err) {
    if (isDuplicateKeyError(err)) return currentEmail;
    throw err;
  }
}
