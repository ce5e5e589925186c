import { Schema, model, type Types } from 'mongoose';

/**
 * What a mailed single-use link may do: confirm the address of a new account ("verify"), or end
 * everything on the account after a security mail ("not-me"). Only the token's hash is stored.
 */
export const TOKEN_PURPOSES = ['verify', 'not-me'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

export interface AccountTokenFields {
  userId: Types.ObjectId;
  purpose: TokenPurpose;
  tokenHash: string;
  expiresAt: Date;
  usedAt: Date | null;
}

const accountTokenSchema = new Schema<AccountTokenFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  purpose: { type: String, enum: TOKEN_PURPOSES, required: true },
  tokenHash: { type: String, required: true, unique: true },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date, default: null },
});

export const AccountToken = model<AccountTokenFields>('AccountToken', accountTokenSchema);
