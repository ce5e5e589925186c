import mongoose, { trusted } from 'mongoose';
import type { Config } from '../config/env';
import { hashPassword } from '../lib/passwords';
import type { SendMail } from '../lib/mailer';
import { withWriteLock } from '../lib/writeLock';
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

/** The pending reset for a link's token, or null when it is unknown, used or expired. */
export async function findUsableReset(token: unknown) {
  if (typeof token !== 'string' || !/^[\w-]{43}$/.test(token)) return null;
  return PasswordReset.findOne({ tokenHash: hashToken(token), usedAt: null, expiresAt: trusted({ $gt: new Date() }) });
}

/**
 * Sets the new password and burns the token; resolves to the user's id, or null when the token is
 * no longer usable. The lock makes two concurrent uses of one link impossible even on FerretDB.
 */
export async function completeReset(token: unknown, password: string, bcryptCost: number) {
  const hash = await hashPassword(password, bcryptCost);
  return withWriteLock(mongoose.connection.db!, `reset:${String(token)}`, async () => {
    const reset = await findUsableReset(token);
    if (!reset) return null;
    await PasswordReset.updateOne({ _id: reset._id }, { usedAt: new Date() });
    await User.updateOne({ _id: reset.userId }, { password: hash });
    return reset.userId.toString();
  });
}
