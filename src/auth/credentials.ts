import { trusted, type Types } from 'mongoose';
import { serialized } from '../db';
import { User } from '../models/User';

/**
 * Matches a user whose credential epoch is `epoch`; a user stored before epochs existed has none,
 * which counts as 0.
 */
const epochIs = (epoch: number) =>
  epoch === 0 ? { credentialEpoch: trusted({ $in: [0, null] }) } : { credentialEpoch: epoch };

/**
 * Changes a user's credentials (a new password hash, or nothing for "sign out everywhere") and
 * bumps their credential epoch, which ends every session logged in before, including a login whose
 * password check was still running. A new password lifts a block on the old one; `blockPassword`
 * ("this wasn't me") makes the current password log nobody in, in the same update that ends the
 * sessions. Conditional on the epoch the caller saw: resolves to the new epoch, or null when the
 * epoch had moved on meanwhile (another change won) or the user is gone.
 */
export async function changeCredentials(
  userId: Types.ObjectId | string,
  seenEpoch: number,
  change: { password?: string; blockPassword?: boolean } = {},
): Promise<number | null> {
  const set = {
    ...(change.password ? { password: change.password, passwordBlockedAt: null } : {}),
    ...(change.blockPassword ? { passwordBlockedAt: new Date() } : {}),
  };
  const result = await serialized(`credentials:${userId.toString()}`, () =>
    User.updateOne(
      { _id: userId, ...epochIs(seenEpoch) },
      { ...(Object.keys(set).length > 0 ? { $set: set } : {}), $inc: { credentialEpoch: 1 } },
    ),
  );
  return result.modifiedCount === 1 ? seenEpoch + 1 : null;
}

/**
 * Ends every session of the account, logins in flight included (the epoch moves on, whatever
 * other change wins meanwhile). Resolves to false if the account is gone.
 */
export async function endEverySession(userId: Types.ObjectId | string): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const user = await User.findById(userId).select('credentialEpoch');
    if (!user) return false;
    if ((await changeCredentials(user._id, user.credentialEpoch ?? 0)) !== null) return true;
  }
  // Five other changes in a row won: each of them moved the epoch, which is all this wanted.
  return true;
}
