import { Schema, model, type Types } from 'mongoose';

/**
 * What a device token lets its browser do: sign back in by itself ("remember me"), or skip the
 * second factor's prompt after the password (a trusted browser, auth/trustedBrowsers.ts).
 */
export const DEVICE_TOKEN_KINDS = ['remember', 'trust'] as const;
export type DeviceTokenKind = (typeof DEVICE_TOKEN_KINDS)[number];

/**
 * A remember-me token, or a trusted browser's (auth/rememberTokens.ts). The cookie holds `<series>.<secret>`; only the
 * secret's hash is stored. Each use replaces the token with a new one of the same series and marks
 * the old one replaced, which is kept until it expires so that its reuse (a stolen copy) shows.
 */
export interface RememberTokenFields {
  userId: Types.ObjectId;
  /** Absent in tokens older than this field: "remember". */
  kind?: DeviceTokenKind;
  series: string;
  tokenHash: string;
  /** The user's credential epoch when issued: a password change, reset or "this wasn't me" ends it. */
  epoch: number;
  userAgent?: string;
  /** When this token was issued: the series' last use (or its start, if never used since). */
  createdAt: Date;
  /** When the series began (the sign-in with "remember me"); absent in tokens older than this field. */
  seriesStartedAt?: Date;
  expiresAt: Date;
  replacedAt: Date | null;
}

const rememberTokenSchema = new Schema<RememberTokenFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  kind: { type: String, enum: DEVICE_TOKEN_KINDS },
  series: { type: String, required: true, index: true },
  tokenHash: { type: String, required: true, unique: true },
  epoch: { type: Number, required: true },
  userAgent: String,
  createdAt: { type: Date, required: true },
  seriesStartedAt: Date,
  expiresAt: { type: Date, required: true },
  replacedAt: { type: Date, default: null },
});

export const RememberToken = model<RememberTokenFields>('RememberToken', rememberTokenSchema);
