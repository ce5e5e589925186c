import { trusted, type Types } from 'mongoose';
import { serialized } from '../db';
import { AccountToken, type AccountTokenFields, type TokenPurpose } from '../models/AccountToken';
import { hashToken, newToken } from '../models/PasswordReset';

/** A token as `newToken` makes them: 32 bytes, base64url. Anything else is not looked up. */
export const isTokenShaped = (token: unknown): token is string =>
  typeof token === 'string' && /^[\w-]{43}$/.test(token);

/** What a token may carry besides its purpose (the addresses of an email change). */
export type TokenDetails = Pick<AccountTokenFields, 'newEmail' | 'oldEmail' | 'restoreEmail' | 'epoch' | 'remember'>;

/** Stores the hash of a new single-use token for `purpose` and returns the token (for the mail only). */
export async function issueToken(
  userId: Types.ObjectId | string,
  purpose: TokenPurpose,
  lifetimeMs: number,
  details: TokenDetails = {},
): Promise<string> {
  const token = newToken();
  await AccountToken.create({
    ...details,
    userId,
    purpose,
    tokenHash: hashToken(token),
    expiresAt: new Date(Date.now() + lifetimeMs),
  });
  return token;
}

/** Ends the account's unused tokens for `purpose` (marked used): one live link at a time. */
export async function endUnusedTokens(userId: Types.ObjectId | string, purpose: TokenPurpose): Promise<void> {
  await AccountToken.updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: new Date() } });
}

/** The unused, unexpired token for `purpose`, without using it (to show a confirmation page). */
export async function findUsableToken(token: unknown, purpose: TokenPurpose) {
  if (!isTokenShaped(token)) return null;
  return AccountToken.findOne({
    tokenHash: hashToken(token),
    purpose,
    usedAt: null,
    expiresAt: trusted({ $gt: new Date() }),
  });
}

/**
 * Uses the token: one conditional update (`usedAt: null` → now) whose result decides, so of any
 * number of simultaneous uses exactly one gets the token back; the others (and later ones) get null.
 */
export async function claimToken(token: unknown, purpose: TokenPurpose) {
  if (!isTokenShaped(token)) return null;
  const tokenHash = hashToken(token);
  const usedAt = new Date();
  return serialized(`token:${tokenHash}`, () =>
    AccountToken.findOneAndUpdate(
      { tokenHash, purpose, usedAt: null, expiresAt: trusted({ $gt: usedAt }) },
      { $set: { usedAt } },
    ),
  );
}
