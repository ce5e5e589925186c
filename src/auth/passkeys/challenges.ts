/**
 * WebAuthn challenges: random (the library's 32 bytes), single use, bound to the browser that
 * asked, for 5 minutes. The browser holds a random token in an HttpOnly cookie; the database holds
 * its hash with the challenge, what it is for and for which account. Verifying a response first
 * claims the challenge by deleting it (of two uses, one finds it), and only then checks the
 * response against it: a replayed response finds no challenge, and one made for another browser's
 * challenge does not match this browser's.
 */
import { randomBytes } from 'node:crypto';
import type { Types } from 'mongoose';
import { trusted } from 'mongoose';
import { serialized } from '../../db';
import { hashToken } from '../../models/PasswordReset';
import { WebAuthnChallenge, type ChallengePurpose } from '../../models/WebAuthnChallenge';

export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

/** Stores `challenge` for `purpose` and resolves to the token its browser keeps (the cookie's value). */
export async function storeChallenge(
  challenge: string,
  purpose: ChallengePurpose,
  userId: Types.ObjectId | string | null = null,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await WebAuthnChallenge.create({
    _id: hashToken(token),
    challenge,
    purpose,
    userId,
    expiresAt: new Date(Date.now() + CHALLENGE_LIFETIME_MS),
  });
  return token;
}

/**
 * Claims the challenge this browser's `token` stands for, if it is for `purpose` and has not
 * expired: resolves to it (and it is gone), or to null.
 */
export async function claimChallenge(token: unknown, purpose: ChallengePurpose) {
  if (typeof token !== 'string' || !/^[\w-]{43}$/.test(token)) return null;
  const id = hashToken(token);
  return serialized(`webauthn-challenge:${id}`, () =>
    WebAuthnChallenge.findOneAndDelete({ _id: id, purpose, expiresAt: trusted({ $gt: new Date() }) }),
  );
}
