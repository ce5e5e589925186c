import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { serialized } from '../db';
import type { Mail, SendMail } from '../lib/mailer';
import { User, isDuplicateKeyError } from '../models/User';
import { accountPasswordMatches, type AttemptBudget } from '../auth/password';
import { claimToken, endUnusedTokens, findUsableToken, issueToken } from './accountTokens';
import type { RequestContext } from '../lib/requestContext';
import { sendSecurityMail } from './securityMail';

export const EMAIL_CHANGE_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * The link that moves the account to `newEmail`, mailed to that address (proving it is the owner's).
 * Its page asks for the account's password, so that nobody can move their own account, with their
 * own password, to someone else's address by having its owner (or a mail scanner) open the link.
 */
export function emailChangeMail(
  newEmail: string,
  token: string,
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>,
): Mail {
  return {
    to: newEmail,
    subject: 'Confirm the new address of your Fernhill Goods account',
    text: [
      'You asked to use this address for your Fernhill Goods account. To confirm it, open this link and',
      'type the password of that account on its page:',
      '',
      `${config.APP_URL}/account/email/verify/${token}`,
      '',
      'The link works once, for 24 hours.',
      '',
      'Did not ask for this? Then someone typed your address for their account, by mistake or on purpose.',
      'Ignore this mail: opening the link changes nothing, and nothing changes unless the password of the',
      'account that asked is typed on its page. Your address stays free for an account of your own.',
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
  config: Pick<Config, 'APP_URL' | 'SHOP_TIME_ZONE'>,
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
  /** Not the account's password: nothing changed, and the link still works. */
  | { kind: 'wrong-password' }
  /** The account's address changed (or the account went) after the link was sent. */
  | { kind: 'outdated' }
  /** Another account took the new address after the link was sent. */
  | { kind: 'taken' };

/** What an address-change link would do. */
export interface PendingEmailChange {
  userId: string;
  oldEmail: string;
  newEmail: string;
}

/** The change a link asks for while it can still be made (unused, unexpired); reading it changes nothing. */
export async function pendingEmailChange(token: unknown): Promise<PendingEmailChange | null> {
  const found = await findUsableToken(token, 'email-change');
  if (!found?.newEmail || !found.oldEmail) return null;
  return { userId: found.userId.toString(), oldEmail: found.oldEmail, newEmail: found.newEmail };
}

/**
 * Completes an address change from its link's page, with the password of the account that asked:
 * the mailbox's owner alone proves nothing (they may not be the one who asked), and the account's
 * owner alone does not have the link. The password is checked first, counted on `budget` like a
 * login (TooManyAttemptsError over it); a wrong one changes nothing and the link stays usable. Then
 * the token is claimed (single use: of simultaneous uses one wins), and the address changes only if
 * it is still the one the change was asked from; the unique index on email refuses an address
 * another account took meanwhile.
 */
export async function confirmEmailChange(
  token: unknown,
  password: string,
  budget: AttemptBudget,
): Promise<EmailChangeOutcome> {
  const pending = await pendingEmailChange(token);
  if (!pending) return { kind: 'invalid' };
  if (!(await accountPasswordMatches(pending.userId, password, budget))) return { kind: 'wrong-password' };
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
