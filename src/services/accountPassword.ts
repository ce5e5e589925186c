import type { Types } from 'mongoose';
import { MAX_PASSWORD_BYTES, verifyPassword } from '../lib/passwords';
import { User } from '../models/User';

/** A budget of attempts (see loginBudget and passwordAttemptBudget in throttle.ts). */
export interface AttemptBudget {
  /** Takes one attempt; throws TooManyAttemptsError when none is left. */
  take(): Promise<void>;
  /** The attempt was a success: the failures counted so far no longer count. */
  clear(): Promise<void>;
}

/**
 * Whether `password` is the account's current one (read with the hash, now), counted like a login
 * attempt: the attempt is taken from `budget` before the comparison, so that simultaneous guesses
 * cannot all be compared, and over the budget this throws TooManyAttemptsError without comparing.
 * A match clears the budget. bcrypt reads 72 bytes, so a longer password never matches.
 */
export async function accountPasswordMatches(
  userId: Types.ObjectId | string,
  password: string,
  budget: AttemptBudget,
): Promise<boolean> {
  await budget.take();
  const withHash = await User.findById(userId).select('+password');
  const matches =
    withHash !== null &&
    Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES &&
    (await verifyPassword(password, withHash.password));
  if (matches) await budget.clear();
  return matches;
}
