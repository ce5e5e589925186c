/**
 * The second factor of an account: turning it on (an authenticator app, proven by one of its
 * codes, with a set of recovery codes), a new set of recovery codes, turning it off, and checking
 * a code at sign-in. Every change is one conditional update whose result decides.
 */
import { trusted, type Types } from 'mongoose';
import { serialized } from '../../db';
import type { SecretBox } from '../../lib/secretBox';
import { User } from '../../models/User';
import type { AttemptBudget } from '../password';
import { revokeTrustedBrowsers } from '../rememberTokens';
import { newRecoveryCodes, recoveryCodeHash, useRecoveryCode } from './recoveryCodes';
import { acceptTotpCode, looksLikeTotpCode, matchingStep } from './totp';

/** Which second factor a sign-in used (a trusted browser is the third way past the prompt). */
export type SecondFactorMethod = 'authenticator' | 'recovery-code';

const hasFactor = { 'twoFactor.enabledAt': trusted({ $ne: null }) };
const hasNoFactor = { 'twoFactor.enabledAt': null };

export type TurnOnOutcome = { kind: 'on'; recoveryCodes: string[] } | { kind: 'wrong-code' } | { kind: 'already-on' };

/**
 * Turns the authenticator on once `code` proves the app holds `base32Key` (the key of the setup
 * page). The key is stored sealed, its step as the last one used (the code that proved it works
 * no more), with the hashes of a new set of recovery codes, which resolve for showing once.
 */
export async function turnOnTwoFactor(
  userId: Types.ObjectId | string,
  base32Key: string,
  code: string,
  box: SecretBox,
  now = Date.now(),
): Promise<TurnOnOutcome> {
  const step = matchingStep(base32Key, code, now);
  if (step === null) return { kind: 'wrong-code' };
  const recoveryCodes = newRecoveryCodes();
  const twoFactor = {
    enabledAt: new Date(now),
    secret: box.seal(base32Key, userId.toString()),
    lastStep: step,
    recoveryCodes: recoveryCodes.map((recoveryCode) => recoveryCodeHash(userId, recoveryCode)),
  };
  const result = await serialized(`two-factor:${userId.toString()}`, () =>
    User.updateOne({ _id: userId, ...hasNoFactor }, { $set: { twoFactor } }),
  );
  return result.modifiedCount === 1 ? { kind: 'on', recoveryCodes } : { kind: 'already-on' };
}

/** A new set of recovery codes (the old set stops working), or null when the factor is off. */
export async function replaceRecoveryCodes(userId: Types.ObjectId | string): Promise<string[] | null> {
  const recoveryCodes = newRecoveryCodes();
  const hashes = recoveryCodes.map((recoveryCode) => recoveryCodeHash(userId, recoveryCode));
  const result = await serialized(`two-factor:${userId.toString()}`, () =>
    User.updateOne({ _id: userId, ...hasFactor }, { $set: { 'twoFactor.recoveryCodes': hashes } }),
  );
  return result.modifiedCount === 1 ? recoveryCodes : null;
}

/**
 * Turns the second factor off (the user, or the shop's staff for someone who lost phone and
 * codes), and with it every trusted browser. Resolves to false when it was off already.
 */
export async function turnOffTwoFactor(userId: Types.ObjectId | string): Promise<boolean> {
  const result = await serialized(`two-factor:${userId.toString()}`, () =>
    User.updateOne({ _id: userId, ...hasFactor }, { $unset: { twoFactor: 1 } }),
  );
  // Also when it was off already: a browser trusted by a factor turned off in a race is no less ended.
  await revokeTrustedBrowsers(userId);
  return result.modifiedCount === 1;
}

/**
 * Checks a second-factor code at sign-in or re-authentication: six digits are an authenticator
 * code, anything else a recovery code. Counted like a password attempt: one is taken from `budget`
 * before the check (over it, TooManyAttemptsError, even for the right code) and a right code gives
 * the budget back. Resolves to the method that matched, or null.
 */
export async function checkSecondFactor(
  userId: Types.ObjectId | string,
  code: string,
  { box, budget }: { box: SecretBox; budget: AttemptBudget },
): Promise<SecondFactorMethod | null> {
  await budget.take();
  const method: SecondFactorMethod = looksLikeTotpCode(code) ? 'authenticator' : 'recovery-code';
  const right =
    method === 'authenticator' ? await acceptTotpCode(userId, code, box) : await useRecoveryCode(userId, code);
  if (!right) return null;
  await budget.clear();
  return method;
}
