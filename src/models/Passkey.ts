import { Schema, model, type Types } from 'mongoose';

/**
 * A passkey (a WebAuthn credential, discoverable, with user verification) of one account
 * (auth/passkeys/). Only its public key is stored; the private key never leaves the authenticator.
 */
export interface PasskeyFields {
  userId: Types.ObjectId;
  /** The credential's id, base64url, as the authenticator made it: one account's only (unique index). */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The signature counter the authenticator reported last (0 for those that keep none). */
  counter: number;
  transports: string[];
  /** Shown on /account: the browser and system it was added from, until the owner renames it. */
  name: string;
  /** Synced between devices (a "multi-device" credential), as the authenticator said when it was added. */
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const passkeySchema = new Schema<PasskeyFields>({
  userId: { type: Schema.Types.ObjectId, ref: 'User', required: true, index: true },
  credentialId: { type: String, required: true, unique: true },
  publicKey: { type: String, required: true },
  counter: { type: Number, required: true, default: 0 },
  transports: { type: [String], default: [] },
  name: { type: String, required: true },
  backedUp: { type: Boolean, default: false },
  createdAt: { type: Date, required: true },
  lastUsedAt: { type: Date, default: null },
});

export const Passkey = model<PasskeyFields>('Passkey', passkeySchema);

/** The longest passkey name the account page takes. */
export const MAX_PASSKEY_NAME_LENGTH = 60;
