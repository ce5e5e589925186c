import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { hashPassword } from '../lib/passwords';
import type { SendMail } from '../lib/mailer';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';
import { signupAttemptMail, verifyMail } from './accountMail';
import { claimToken, issueToken } from './accountTokens';

export const VERIFY_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

async function sendVerificationLink(user: UserDocument, config: Config, sendMail: SendMail): Promise<void> {
  const token = await issueToken(user._id, 'verify', VERIFY_LINK_LIFETIME_MS);
  await sendMail(verifyMail(user.email, token, config));
}

/**
 * A signup, done after the response so that it takes as long whether or not the address has an
 * account: a new address gets an unverified account and a link to confirm it; an existing one a
 * mail telling its owner (with links to log in and to reset the password).
 */
export async function registerOrNotify(email: string, password: string, config: Config, sendMail: SendMail) {
  if (await User.exists({ email })) return sendMail(signupAttemptMail(email, config));
  const hash = await hashPassword(password, config.BCRYPT_COST);
  let user: UserDocument;
  try {
    user = await User.create({ email, password: hash, emailVerifiedAt: null });
  } catch (err) {
    // Two signups with one address at the same moment: the second is told like any other.
    if (!isDuplicateKeyError(err)) throw err;
    return sendMail(signupAttemptMail(email, config));
  }
  await sendVerificationLink(user, config, sendMail);
}

/** Mails a new confirmation link if this address has an account that is not confirmed yet. */
export async function resendVerification(email: string, config: Config, sendMail: SendMail): Promise<void> {
  const user = await User.findOne({ email });
  if (user && !user.emailVerifiedAt) await sendVerificationLink(user, config, sendMail);
}

/**
 * Confirms the account of a verification link; false when the link is unknown, used or expired.
 * The token is claimed first (single use); confirming an already confirmed account changes nothing.
 */
export async function verifyEmail(token: unknown): Promise<boolean> {
  const claimed = await claimToken(token, 'verify');
  if (!claimed) return false;
  await markVerified(claimed.userId.toString());
  return true;
}

/** Any link we mailed and the owner opened proves the address (a reset link too). */
export async function markVerified(userId: string): Promise<void> {
  await User.updateOne({ _id: userId, emailVerifiedAt: null }, { $set: { emailVerifiedAt: new Date() } });
}

/**
 * Records the account's first sign-in; true only for that one (a conditional update, so of two
 * simultaneous first sign-ins one is first).
 */
export async function isFirstSignIn(userId: Types.ObjectId): Promise<boolean> {
  const result = await User.updateOne({ _id: userId, firstSignInAt: null }, { $set: { firstSignInAt: new Date() } });
  return result.modifiedCount === 1;
}
