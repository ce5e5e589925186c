/**
 * Authenticator-app codes (RFC 6238 TOTP: HMAC-SHA-1, 6 digits, 30-second steps, the parameters
 * every authenticator app takes from a QR code), through the `otpauth` library: small, maintained,
 * no dependency but @noble/hashes, and it compares codes in constant time. otplib 13 would do as
 * well; otpauth also writes the `otpauth://` URI the QR code carries.
 *
 * A code is accepted for the current step and the one before it (a code typed as it rolled over),
 * never a later one, and only for a step after the last one accepted for the account: the step is
 * stored with a compare-and-set (`claimStep`), so one code logs in once, even sent twice at once.
 */
import { Secret, TOTP } from 'otpauth';
import { trusted, type Types } from 'mongoose';
import { serialized } from '../../db';
import type { SecretBox } from '../../lib/secretBox';
import { User } from '../../models/User';

export const TOTP_PERIOD_SECONDS = 30;
const ISSUER = 'Fernhill Goods';

/** A new authenticator key, in base32 (as apps and the setup page show it). 160 bits, as RFC 4226 advises. */
export const newTotpKey = (): string => new Secret({ size: 20 }).base32;

const totpOf = (base32Key: string, email = '') =>
  new TOTP({
    issuer: ISSUER,
    label: email,
    algorithm: 'SHA1',
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(base32Key),
  });

/** What the QR code holds: the key and its parameters, named after the shop and the account. */
export const otpauthUri = (base32Key: string, email: string): string => totpOf(base32Key, email).toString();

/** The 30-second step `at` falls in. */
export const stepAt = (at: number): number => Math.floor(at / 1000 / TOTP_PERIOD_SECONDS);

/** The code of `base32Key` for the step of `at` (for tests and the setup check, never shown). */
export const codeAt = (base32Key: string, at: number): string => totpOf(base32Key).generate({ timestamp: at });

/** A code as people type it: six digits, maybe with spaces. */
export const looksLikeTotpCode = (code: string): boolean => /^\d{6}$/.test(code.replace(/\s/g, ''));

/**
 * The step whose code `code` is, if it is the code of the current step or the one before (at
 * `now`), else null. Checks the code only: whether the step was used already is `claimStep`'s.
 */
export function matchingStep(base32Key: string, code: string, now: number): number | null {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  // window 1 also accepts the next step's code; only the current and the previous one count here.
  const delta = totpOf(base32Key).validate({ token, timestamp: now, window: 1 });
  if (delta === null || delta > 0) return null;
  return stepAt(now) + delta;
}

/**
 * Checks an authenticator code of the account (its key read and decrypted now), and claims its
 * step: one conditional update, on the step being after the last one accepted and on the factor
 * being the one read, whose result decides. A key sealed under an older DATA_ENCRYPTION_KEY is
 * sealed again under the newest in the same update. Resolves to whether the code was accepted.
 */
export async function acceptTotpCode(
  userId: Types.ObjectId | string,
  code: string,
  box: SecretBox,
  now = Date.now(),
): Promise<boolean> {
  const user = await User.findById(userId).select('+twoFactor.secret twoFactor.enabledAt twoFactor.lastStep');
  const factor = user?.twoFactor;
  if (!factor?.enabledAt || !factor.secret) return false;
  const context = userId.toString();
  const step = matchingStep(box.open(factor.secret, context), code, now);
  if (step === null) return false;
  const resealed = box.needsNewKey(factor.secret) ? box.seal(box.open(factor.secret, context), context) : null;
  const result = await serialized(`two-factor:${context}`, () =>
    User.updateOne(
      {
        _id: userId,
        'twoFactor.enabledAt': factor.enabledAt,
        'twoFactor.lastStep': trusted({ $lt: step }),
      },
      { $set: { 'twoFactor.lastStep': step, ...(resealed ? { 'twoFactor.secret': resealed } : {}) } },
    ),
  );
  return result.modifiedCount === 1;
}
