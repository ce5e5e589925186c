import { Schema, model, type Types } from 'mongoose';

/**
 * What a WebAuthn challenge was issued for: adding a passkey, signing in with one (the login page,
 * or the second step of a pending sign-in), or confirming it is you (re-authentication).
 */
export const CHALLENGE_PURPOSES = ['register', 'sign-in', 'second-factor', 'reauth'] as const;
export type ChallengePurpose = (typeof CHALLENGE_PURPOSES)[number];

/**
 * One WebAuthn challenge (auth/passkeys/challenges.ts): random, single use (claimed by deleting
 * it), bound to the browser that asked (it holds a token whose hash is `_id`), for 5 minutes
 * (`expiresAt`; expired ones are deleted through the database module's `expireDocuments`).
 */
export interface WebAuthnChallengeFields {
  /** SHA-256 of the browser's token, base64url. */
  _id: string;
  challenge: string;
  purpose: ChallengePurpose;
  /** The account it is for, when known (adding a passkey, a second step, re-authentication). */
  userId: Types.ObjectId | null;
  expiresAt: Date;
}

const challengeSchema = new Schema<WebAuthnChallengeFields>({
  _id: { type: String, required: true },
  challenge: { type: String, required: true },
  purpose: { type: String, enum: CHALLENGE_PURPOSES, required: true },
  userId: { type: Schema.Types.ObjectId, ref: 'User', default: null },
  expiresAt: { type: Date, required: true },
});

export const WebAuthnChallenge = model<WebAuthnChallengeFields>('WebAuthnChallenge', challengeSchema);
