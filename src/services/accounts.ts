import { Order } from '../models/Order';
import { PasswordReset } from '../models/PasswordReset';
import { Passkey } from '../models/Passkey';
import { RememberToken } from '../models/RememberToken';
import type { UserDocument } from '../models/User';

/**
 * Deletes an account: its cart goes with the user document, and its past orders stay for the
 * record without personal data. Products an admin added are the shop's and stay. Ending its sessions
 * is the caller's part (the store is not a model).
 */
export async function deleteAccount(user: UserDocument): Promise<void> {
  // Each step can be repeated: if one fails, the account is still there and deleting it again
  // finishes the job.
  await Order.updateMany({ userId: user._id }, { $set: { email: null }, $unset: { userId: 1, cartVersion: 1 } });
  await PasswordReset.deleteMany({ userId: user._id });
  await RememberToken.deleteMany({ userId: user._id });
  await Passkey.deleteMany({ userId: user._id });
  await user.deleteOne();
}
