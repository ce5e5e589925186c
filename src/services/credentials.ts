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
 * password check was still running. Conditional on the epoch the caller saw: resolves to the new
 * epoch, or null when the epoch had moved on meanwhile (another change won) or the user is gone.
 */
export async function changeCredentials(
  userId: Types.ObjectId | string,
  seenEpoch: number,
  change: { password?: string } = {},
): Promise<number | null> {
  const result = await serialized(`credentials:${userId.toString()}`, () =>
    User.updateOne(
      { _id: userId, ...epochIs(seenEpoch) },
      { ...(change.password ? { $set: { password: change.password } } : {}), $inc: { credentialEpoch: 1 } },
    ),
  );
  return result.modifiedCount === 1 ? seenEpoch + 1 : null;
}
