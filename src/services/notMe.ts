import { User } from '../models/User';
import { claimToken } from './accountTokens';
import { changeCredentials } from '../auth/credentials';
import { undoEmailChange } from './emailChange';

/**
 * Ends everything signed in to the account of a "this wasn't me" link: it claims the link (single
 * use), bumps the credential epoch (which ends every session, logins still in flight and every
 * reset link) and, in the same update, blocks the password (whoever knows it may be the intruder:
 * it logs nobody in until the owner sets a new one), and resolves to the account, whose sessions the caller deletes and to which it mails
 * a reset link. A link from a mail about an address change also ends a pending change and gives
 * the account back the address the mail went to, so the reset link goes there, not to whoever
 * moved it. Null when the link is unknown, used, expired, or its account is gone.
 */
export async function disownActivity(token: unknown) {
  const claimed = await claimToken(token, 'not-me');
  if (!claimed) return null;
  // A change that wins the race moves the epoch too; read it again and bump past it.
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const user = await User.findById(claimed.userId).select('email credentialEpoch');
    if (!user) return null;
    if ((await changeCredentials(user._id, user.credentialEpoch, { blockPassword: true })) !== null) {
      const userId = user._id.toString();
      const email = claimed.restoreEmail ? await undoEmailChange(userId, user.email, claimed.restoreEmail) : user.email;
      return { userId, email };
    }
  }
  throw new Error('the credential epoch kept changing');
}
