import { Schema, model, type Types } from 'mongoose';

/**
 * What a single-use token may do: confirm the address of a new account ("verify"), end everything
 * on the account after a security mail ("not-me"), or move the account to a new address
 * ("email-change", mailed to that address), each as a mailed link; or finish a sign-in whose
 * password was right with the second factor ("two-factor", kept in that browser's session only,
 * see auth/twoFactor/pendingSignIn.ts). Only the token's hash is stored.
 */
export const TOKEN_PURPOSES = ['verify', 'not-me', 'email-change', 'two-factor'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export interface AccountTokenFields {
  userId: Types.ObjectId;
  purpose: TokenPurpose;
  tokenHash: string;
  expiresAt: Date;
  usedAt: Date | null;
  /** "email-change": the address the account moves to, and the one it had when the change was asked. */
  newEmail?: string;
  oldEmail?: string;
  /**
   * "not-me" links of mails about an address change: the address the mail went to, which "this
   * wasn't me" gives back to the account.
   */
  restoreEmail?: string;
  /** "two-factor": the credential epoch the password was checked at, and whether "remember me" was ticked. */
  epoch?: number;
  remember?: boolean;
}

const accountTokenSchema = new Schema<AccountTokenFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  purpose: { type: String, enum: TOKEN_PURPOSES, required: true },
  tokenHash: { type: String, required: true, unique: true },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date, default: null },
  newEmail: String,
  oldEmail: String,
  restoreEmail: String,
  epoch: Number,
  remember: Boolean,
});

export const AccountToken = model<AccountTokenFields>('AccountToken', accountTokenSchema);
