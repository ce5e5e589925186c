import { trusted } from 'mongoose';
import type { Config } from '../config/env';
import { hashPassword } from '../lib/passwords';
import type { SendMail } from '../lib/mailer';
import { serialized } from '../db';
import { PasswordReset, RESET_TOKEN_LIFETIME_MS, hashToken, newToken } from '../models/PasswordReset';
import { User } from '../models/User';

/** Mails a single-use reset link to the account with this email, if there is one. */
export async function sendResetLink(email: string, config: Config, sendMail: SendMail): Promise<void> {
  const user = await User.findOne({ email });
  if (!user) return;
  const token = newToken();
  await PasswordReset.create({
    userId: user._id,
    tokenHash: hashToken(token),
    expiresAt: new Date(Date.now() + RESET_TOKEN_LIFETIME_MS),
  });
  await sendMail({
    to: user.email,
    subject: 'Reset your Fernhill Goods password',
    text: [
      'Someone (hopefully you) asked to reset the password of your Fernhill Goods account.',
      '',
      `Choose a new password here within the next hour: ${config.APP_URL}/reset/${token}`,
      '',
      'If it was not you, ignore this mail: your password stays as it is.',
    ].join('\n'),
  });
}

/** A token as `newToken` makes them: 32 bytes, base64url. Anything else is not looked up. */
const isTokenShaped = (token: unknown): token is string => typeof token === 'string' && /^[\w-]{43}$/.test(token);

/** The pending reset for a link's token, or null when it is unknown, used or expired. */
export async function findUsableReset(token: unknown) {
  if (!isTokenShaped(token)) return null;
  return PasswordReset.findOne({ tokenHash: hashToken(token), usedAt: null, expiresAt: trusted({ $gt: new Date() }) });
}

/**
 * Burns the token and sets the new password; resolves to the user's id, or null when the token is
 * no longer usable. Claiming the token is one conditional update (`usedAt: null` → now) whose
 * result decides, so of any number of simultaneous uses of one link exactly one sets a password.
 */
export async function completeReset(token: unknown, password: string, bcryptCost: number) {
  if (!isTokenShaped(token)) return null;
  const hash = await hashPassword(password, bcryptCost);
  const tokenHash = hashToken(token);
  const usedAt = new Date();
  const claimed = await serialized(`reset:${tokenHash}`, () =>
    PasswordReset.findOneAndUpdate(
      { tokenHash, usedAt: null, expiresAt: trusted({ $gt: usedAt }) },
      { $set: { usedAt } },
    ),
  );
  if (!claimed) return null;
  try {
    await User.updateOne({ _id: claimed.userId }, { password: hash });
  } catch (err) {
    // The password was not changed: the link stays usable for another try.
    await PasswordReset.updateOne({ _id: claimed._id, usedAt }, { $set: { usedAt: null } }).catch(() => undefined);
    throw err;
  }
  return claimed.userId.toString();
}
