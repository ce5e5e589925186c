import { createHash, randomBytes } from 'node:crypto';
import { Schema, model, type Types } from 'mongoose';

/** A password reset request. Only the token's hash is stored: a database leak reveals no link. */
interface PasswordResetFields {
  userId: Types.ObjectId;
  tokenHash: string;
  expiresAt: Date;
  usedAt: Date | null;
  /** The user's credential epoch when the link was sent: any password change since ends the link. */
  epoch: number;
  /**
   * Mailed by "this wasn't me" to recover a blocked password: a later reset request (anyone may make
   * one) sends another link but does not end this one.
   */
  recovery: boolean;
}

const passwordResetSchema = new Schema<PasswordResetFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  tokenHash: { type: String, required: true, unique: true },
  expiresAt: { type: Date, required: true },
  usedAt: { type: Date, default: null },
  epoch: { type: Number, default: 0 },
  recovery: { type: Boolean, default: false },
});

export const PasswordReset = model<PasswordResetFields>('PasswordReset', passwordResetSchema);

export const RESET_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** 32 random bytes, URL-safe. */
export const newToken = () => randomBytes(32).toString('base64url');
