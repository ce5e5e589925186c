import { trusted } from 'mongoose';
import type { Config } from '../config/env';
import { hashPassword } from '../lib/passwords';
import type { SendMail } from '../lib/mailer';
import { serialized } from '../db';
import { PasswordReset, RESET_TOKEN_LIFETIME_MS, hashToken, newToken } from '../models/PasswordReset';
import { User } from '../models/User';
import { changeCredentials } from '../auth/credentials';

/**
 * Mails a single-use reset link to the account with this email, if there is one. The new link is
 * the account's only one: every link sent before it stops working, except a `recovery` link (the
 * one "this wasn't me" mails), which anyone's later request must not take from the owner.
 */
export async function sendResetLink(
  email: string,
  config: Config,
  sendMail: SendMail,
  { recovery = false }: { recovery?: boolean } = {},
): Promise<void> {
  const user = await User.findOne({ email });
  if (!user) return;
  const token = newToken();
  const created = await PasswordReset.create({
    userId: user._id,
    tokenHash: hashToken(token),
    expiresAt: new Date(Date.now() + RESET_TOKEN_LIFETIME_MS),
    epoch: user.credentialEpoch,
    recovery,
  });
  // Only older links: of two requests at the same moment, the later id survives (ids are ordered).
  await PasswordReset.deleteMany({
    userId: user._id,
    usedAt: null,
    recovery: trusted({ $ne: true }),
    _id: trusted({ $lt: created._id }),
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

/**
 * The pending reset for a link's token, or null when it is unknown, used, expired, replaced by a
 * newer link, or older than the account's last password change.
 */
export async function findUsableReset(token: unknown) {
  if (!isTokenShaped(token)) return null;
  const reset = await PasswordReset.findOne({
    tokenHash: hashToken(token),
    usedAt: null,
    expiresAt: trusted({ $gt: new Date() }),
  });
  if (!reset) return null;
  const user = await User.findById(reset.userId).select('credentialEpoch twoFactor.enabledAt');
  return user && user.credentialEpoch === reset.epoch ? { reset, account: user } : null;
}

/**
 * Burns the token and sets the new password; resolves to the user's id and email, or null when the
 * link is no longer usable. Claiming the token is one conditional update (`usedAt: null` → now)
 * whose result decides, so of any number of simultaneous uses of one link exactly one sets a
 * password; the password itself changes only if no other change came first since the link was sent
 * (the credential epoch), which ends every other link and every session of the account.
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
  let epoch: number | null;
  try {
    epoch = await changeCredentials(claimed.userId, claimed.epoch, { password: hash });
  } catch (err) {
    // The password was not changed: the link stays usable for another try.
    await PasswordReset.updateOne({ _id: claimed._id, usedAt }, { $set: { usedAt: null } }).catch(() => undefined);
    throw err;
  }
  // The password changed since this link was sent: the link is dead (and now used).
  if (epoch === null) return null;
  const user = await User.findById(claimed.userId).select('email');
  return user ? { userId: claimed.userId.toString(), email: user.email } : null;
}
