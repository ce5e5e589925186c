import type { Types } from 'mongoose';
import type { Config } from '../config/env';
import { clientKey } from '../lib/clientAddress';
import { serialized } from '../db';
import { hashPassword, isOutdatedHash, spendComparisonTime, verifyPassword } from '../lib/passwords';
import { User, type UserDocument } from '../models/User';
import { loginBudget, type Throttles } from '../services/throttle';
import { trustedDevice } from './deviceCookie';

/** A budget of attempts (see loginBudget and passwordAttemptBudget in services/throttle.ts). */
export interface AttemptBudget {
  /** Takes one attempt; throws TooManyAttemptsError when none is left. */
  take(): Promise<void>;
  /** The attempt was a success: the failures counted so far no longer count. */
  clear(): Promise<void>;
}

export interface PasswordDependencies {
  config: Pick<Config, 'SESSION_SECRET' | 'BCRYPT_COST'>;
  throttles: Throttles;
}

/** What the password step of a sign-in found. */
export type PasswordCheck =
  | { kind: 'wrong'; user: UserDocument | null }
  /** Right, but "this wasn't me" blocked it: only a reset signs in again. */
  | { kind: 'blocked' }
  /** Right, but the address was never confirmed. */
  | { kind: 'unverified' }
  | { kind: 'right'; user: UserDocument };

/**
 * The password step of a sign-in at /login. Every attempt is counted before the password is
 * compared (per network, and per account: a browser that signed in to this account before spends
 * its own budget, so a stranger's failures cannot lock the owner out), so that simultaneous
 * guesses cannot all be compared; over a budget this throws TooManyAttemptsError. An unknown
 * address costs the same time as a wrong password. A right password gives its attempt back,
 * unless it is blocked (it may be the intruder's).
 */
export async function checkSignInPassword(
  email: string,
  password: string,
  from: { ip: string | undefined; deviceCookie: unknown },
  { config, throttles }: PasswordDependencies,
): Promise<PasswordCheck> {
  const ip = clientKey(from.ip);
  const device = trustedDevice(from.deviceCookie, email, config.SESSION_SECRET);
  const accountBudget = loginBudget(throttles, email, device);
  await Promise.all([throttles.loginByIp.take(ip), accountBudget.take()]);

  const user = await User.findOne({ email }).select('+password');
  // No length rule here: a password chosen under an older rule still logs in, and one longer than
  // any the forms take is compared like any other (it matches nothing), at the same cost.
  const valid = user
    ? await verifyPassword(password, user.password)
    : await spendComparisonTime(password, config.BCRYPT_COST).then(() => false);
  if (!user || !valid) return { kind: 'wrong', user };
  if (user.passwordBlockedAt) return { kind: 'blocked' };
  await Promise.all([accountBudget.clear(), throttles.loginByIp.giveBack(ip)]);
  if (!user.emailVerifiedAt) return { kind: 'unverified' };
  return { kind: 'right', user };
}

/**
 * Whether `password` is the account's current one (read with the hash, now), counted like a login
 * attempt: the attempt is taken from `budget` before the comparison, so that simultaneous guesses
 * cannot all be compared, and over the budget this throws TooManyAttemptsError without comparing.
 * A match clears the budget.
 */
export async function accountPasswordMatches(
  userId: Types.ObjectId | string,
  password: string,
  budget: AttemptBudget,
): Promise<boolean> {
  await budget.take();
  const withHash = await User.findById(userId).select('+password');
  const matches = withHash !== null && (await verifyPassword(password, withHash.password));
  if (matches) await budget.clear();
  return matches;
}

/**
 * After a successful login with `password`: stores its hash in the current format if `user`'s is
 * in an older one (lib/passwords.ts). The update is conditional on the old hash, so a password
 * changed meanwhile (on another device, through a reset) is never overwritten; the credential
 * epoch stays, since the password is the same and no session should end. Resolves to whether the
 * stored hash was replaced.
 */
export async function upgradePasswordHash(user: UserDocument, password: string, cost: number): Promise<boolean> {
  const old = user.password;
  if (!isOutdatedHash(old)) return false;
  const hash = await hashPassword(password, cost);
  const result = await serialized(`credentials:${user._id.toString()}`, () =>
    User.updateOne({ _id: user._id, password: old }, { $set: { password: hash } }),
  );
  return result.modifiedCount === 1;
}
