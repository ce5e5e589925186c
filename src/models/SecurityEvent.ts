import { Schema, model, type Types } from 'mongoose';

/** What the activity log (GET /account/activity) records. */
export const EVENT_KINDS = [
  'sign-in',
  'sign-in-failed',
  'new-device',
  'password-changed',
  'password-reset',
  'sessions-ended',
  'remember-me-reuse',
  'email-changed',
  'remembered-browser-removed',
  'second-factor-failed',
  'two-factor-enabled',
  'two-factor-disabled',
  'two-factor-reset',
  'recovery-codes-replaced',
  'recovery-code-used',
  'browser-trusted',
  'passkey-added',
  'passkey-removed',
  'passkey-refused',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Who ended sessions: the user on /account, a password reset or change, "this wasn't me", a
 * login beyond MAX_SESSIONS_PER_USER (the cap), or the shop's staff (/admin/users, the admin CLI).
 */
export type EndedBy = 'user' | 'reset' | 'password-change' | 'not-me' | 'remember-me-reuse' | 'cap' | 'admin';

export interface EventDetails {
  /** How a sign-in went: its methods joined by "+", e.g. "password+authenticator". */
  method?: string;
  browser?: string;
  place?: string;
  by?: EndedBy;
  count?: number;
  /** The passkey added or removed (its name on /account). */
  passkey?: string;
}

export interface SecurityEventFields {
  userId: Types.ObjectId;
  kind: EventKind;
  at: Date;
  details: EventDetails;
}

const securityEventSchema = new Schema<SecurityEventFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
  kind: { type: String, enum: EVENT_KINDS, required: true },
  at: { type: Date, required: true },
  details: {
    method: String,
    browser: String,
    place: String,
    by: String,
    count: Number,
    passkey: String,
  },
});

// The log page: one account's events, newest first.
securityEventSchema.index({ userId: 1, at: -1 });

export const SecurityEvent = model<SecurityEventFields>('SecurityEvent', securityEventSchema);

/** How long events are kept (their expiry is registered in services/housekeeping.ts). */
export const EVENT_RETENTION_SECONDS = 90 * 24 * 60 * 60;
