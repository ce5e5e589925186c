import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { serialized } from '../db';
import { hashPassword } from '../lib/passwords';
import type { SendMail } from '../lib/mailer';
import { AccountToken } from '../models/AccountToken';
import { User, isDuplicateKeyError, type UserDocument } from '../models/User';
import { signupAttemptMail, verifyMail } from './accountMail';
import { claimToken, findUsableToken, isTokenShaped, issueToken } from './accountTokens';

export const VERIFY_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

async function sendVerificationLink(user: UserDocument, config: Config, sendMail: SendMail): Promise<void> {
  const token = await issueToken(user._id, 'verify', VERIFY_LINK_LIFETIME_MS);
  await sendMail(verifyMail(user.email, token, config));
}

/**
 * A signup, done after the response so that it takes as long whether or not the address has an
 * account: a new address gets an unverified account and a link to confirm it; a confirmed one a
 * mail telling its owner (with links to log in and to reset the password). An address still
 * awaiting confirmation gets a new link: the earlier signup may have been someone else's, and the
 * link's page sets the password (confirmAddress). The pending password is left alone: replaced
 * here, it could land between a reset's new password and the confirmation that follows it.
 */
export async function registerOrNotify(email: string, password: string, config: Config, sendMail: SendMail) {
  const existing = await User.findOne({ email }).select('email emailVerifiedAt');
  if (existing?.emailVerifiedAt) return sendMail(signupAttemptMail(email, config));
  if (existing) return sendVerificationLink(existing, config, sendMail);
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
 * Whether a confirmation link can still confirm its account: unused, unexpired, and the account
 * not confirmed otherwise meanwhile (a reset). Reading it changes nothing.
 */
export async function awaitsConfirmation(token: string): Promise<boolean> {
  const found = await findUsableToken(token, 'verify');
  return Boolean(found && (await User.exists({ _id: found.userId, emailVerifiedAt: null })));
}

/**
 * Confirms the account of a confirmation link with the password typed on the link's page, which
 * replaces the one typed at signup: anyone can sign up with any address, but only the mailbox's
 * owner reaches this page, so a password chosen by someone else never logs in. Resolves to the
 * account's email, or null when the link is unknown, used or expired, or the account was confirmed
 * meanwhile (then its password stays as it is).
 *
 * The token is claimed first (one conditional update: of simultaneous uses, one wins); the account
 * changes only while still unconfirmed, and the credential epoch moves like any password change
 * (ending reset links sent before).
 */
export async function confirmAddress(token: unknown, password: string, bcryptCost: number): Promise<string | null> {
  if (!isTokenShaped(token)) return null;
  const hash = await hashPassword(password, bcryptCost);
  const claimed = await claimToken(token, 'verify');
  if (!claimed) return null;
  const userId = claimed.userId.toString();
  let confirmed: boolean;
  try {
    const result = await serialized(`credentials:${userId}`, () =>
      User.updateOne(
        { _id: userId, emailVerifiedAt: null },
        { $set: { password: hash, emailVerifiedAt: new Date() }, $inc: { credentialEpoch: 1 } },
      ),
    );
    confirmed = result.modifiedCount === 1;
  } catch (err) {
    // Nothing was confirmed: the link stays usable for another try.
    await AccountToken.updateOne({ _id: claimed._id }, { $set: { usedAt: null } }).catch(() => undefined);
    throw err;
  }
  if (!confirmed) return null;
  // Read apart from the update: FerretDB cannot project a findOneAndUpdate's result.
  const user = await User.findById(userId).select('email');
  return user?.email ?? null;
}

/** A completed reset proves the address too, and its new password replaced any typed at signup. */
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
