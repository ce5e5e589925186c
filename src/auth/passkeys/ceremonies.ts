/**
 * Passkeys through @simplewebauthn/server 13 (pinned: 14 needs Node 22): discoverable credentials
 * (resident keys), user verification required, attestation "none". The relying party is APP_URL:
 * its host name is the RP id and its origin the only origin accepted. Only public keys are stored;
 * a credential id belongs to one account (a unique index); the signature counter must grow where
 * the authenticator keeps one (the library refuses one that does not), and is stored with a
 * compare-and-set on the value it replaces.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isObjectIdOrHexString, trusted, type Types } from 'mongoose';
import type { Config } from '../../config/env';
import { isDuplicateKeyError, serialized } from '../../db';
import { messageOf } from '../../lib/messageOf';
import { MAX_PASSKEY_NAME_LENGTH, Passkey, type PasskeyFields } from '../../models/Passkey';

export interface RelyingParty {
  /** The host name of APP_URL (a passkey works only on that site and its subdomains' pages that ask for it). */
  id: string;
  origin: string;
  name: string;
}

export const relyingPartyOf = (config: Pick<Config, 'APP_URL' | 'SHOP_NAME'>): RelyingParty => {
  const url = new URL(config.APP_URL);
  return { id: url.hostname, origin: url.origin, name: config.SHOP_NAME };
};

/** The user handle of an account: the bytes of its id (no personal data, and the same on every passkey). */
const userHandleOf = (userId: Types.ObjectId | string) => Buffer.from(userId.toString(), 'hex');

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** What the client sent, as far as the server relies on it before the library checks it all. */
function credentialIdOf(response: unknown): string | null {
  if (typeof response !== 'object' || response === null) return null;
  const { id, type } = response as { id?: unknown; type?: unknown };
  return typeof id === 'string' && /^[\w-]{1,1400}$/.test(id) && type === 'public-key' ? id : null;
}

/** The options of a new passkey of `user`: its existing ones are excluded (an authenticator holds one per account). */
export async function registrationOptions(
  rp: RelyingParty,
  user: { _id: Types.ObjectId; email: string },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await Passkey.find({ userId: user._id }).select('credentialId transports').lean();
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userID: userHandleOf(user._id),
    attestationType: 'none',
    excludeCredentials: existing.map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports as AuthenticatorTransportFuture[],
    })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
}

export type Refusal = { kind: 'refused'; reason: string; userId?: Types.ObjectId };
const refused = (reason: string, userId?: Types.ObjectId): Refusal => ({ kind: 'refused', reason, userId });

/** Checks a new passkey's response against `challenge`, and stores its public key for `userId`. */
export async function addPasskey(
  rp: RelyingParty,
  userId: Types.ObjectId,
  response: unknown,
  challenge: string,
  name: string,
): Promise<{ kind: 'added'; passkey: PasskeyFields } | { kind: 'duplicate' } | Refusal> {
  if (credentialIdOf(response) === null) return refused('not a passkey response');
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch (err) {
    return refused(messageOf(err));
  }
  if (!verification.verified) return refused('the response did not verify');
  const { credential, credentialBackedUp } = verification.registrationInfo;
  const fields: PasskeyFields = {
    userId,
    credentialId: credential.id,
    publicKey: base64url(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? [],
    name: name.slice(0, MAX_PASSKEY_NAME_LENGTH),
    backedUp: credentialBackedUp,
    createdAt: new Date(),
    lastUsedAt: null,
  };
  try {
    await Passkey.create(fields);
  } catch (err) {
    if (isDuplicateKeyError(err)) return { kind: 'duplicate' };
    throw err;
  }
  return { kind: 'added', passkey: fields };
}

/**
 * The options of a passkey sign-in: any passkey of this site (the browser offers them, in the
 * email field too), or, with `userId`, only that account's (the second step of its sign-in,
 * re-authentication).
 */
export async function authenticationOptions(
  rp: RelyingParty,
  userId?: Types.ObjectId | string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = userId ? await Passkey.find({ userId }).select('credentialId transports').lean() : [];
  return generateAuthenticationOptions({
    rpID: rp.id,
    userVerification: 'required',
    ...(userId
      ? {
          allowCredentials: allow.map((passkey) => ({
            id: passkey.credentialId,
            transports: passkey.transports as AuthenticatorTransportFuture[],
          })),
        }
      : {}),
  });
}

/**
 * Checks a passkey's answer to `challenge` (claimed already, see challenges.ts): a passkey stored
 * here, of `challenge.userId` when the challenge was for one account, signed with user
 * verification, its counter grown. Resolves to the account it signed in, or a refusal saying why
 * (for the log: the client is told less).
 */
export async function verifyPasskey(
  rp: RelyingParty,
  response: unknown,
  challenge: { challenge: string; userId: Types.ObjectId | null },
): Promise<{ kind: 'verified'; userId: Types.ObjectId; passkeyId: Types.ObjectId } | Refusal> {
  const credentialId = credentialIdOf(response);
  if (credentialId === null) return refused('not a passkey response');
  const passkey = await Passkey.findOne({ credentialId });
  if (!passkey) return refused('no such passkey (removed, or never added here)');
  if (challenge.userId && !passkey.userId.equals(challenge.userId)) {
    return refused('a passkey of another account than the one signing in', passkey.userId);
  }
  const userHandle = (response as AuthenticationResponseJSON).response?.userHandle;
  if (userHandle !== undefined && userHandle !== base64url(userHandleOf(passkey.userId))) {
    return refused('the passkey names another account', passkey.userId);
  }
  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response: response as AuthenticationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: Buffer.from(passkey.publicKey, 'base64url'),
        counter: passkey.counter,
        transports: passkey.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: true,
    });
  } catch (err) {
    return refused(messageOf(err), passkey.userId);
  }
  if (!verification.verified || !verification.authenticationInfo.userVerified) {
    return refused('the response did not verify', passkey.userId);
  }
  const { newCounter } = verification.authenticationInfo;
  // Conditional on the counter read: of two answers with the same counter, one is stored.
  const stored = await serialized(`passkey:${passkey._id.toString()}`, () =>
    Passkey.updateOne(
      { _id: passkey._id, counter: passkey.counter },
      { $set: { counter: newCounter, lastUsedAt: new Date() } },
    ),
  );
  if (stored.matchedCount !== 1) return refused('the counter moved meanwhile (a copy of the passkey?)', passkey.userId);
  return { kind: 'verified', userId: passkey.userId, passkeyId: passkey._id };
}

/** The account's passkeys, newest first, for /account. */
export function passkeysOf(userId: Types.ObjectId | string) {
  return Passkey.find({ userId }).sort({ createdAt: -1 }).lean();
}

const isPasskeyId = (id: unknown): id is string => typeof id === 'string' && isObjectIdOrHexString(id);

/** Removes one passkey of the account; resolves to its name, or null when it was not one of its passkeys. */
export async function removePasskey(userId: Types.ObjectId, passkeyId: unknown): Promise<string | null> {
  if (!isPasskeyId(passkeyId)) return null;
  return (await Passkey.findOneAndDelete({ _id: passkeyId, userId }))?.name ?? null;
}

/** Renames one passkey of the account; resolves to whether it was one of its passkeys. */
export async function renamePasskey(userId: Types.ObjectId, passkeyId: unknown, name: string): Promise<boolean> {
  if (!isPasskeyId(passkeyId)) return false;
  return (await Passkey.updateOne({ _id: passkeyId, userId }, { $set: { name } })).matchedCount === 1;
}

/** "This wasn't me": passkeys added in the last 24 hours may be the intruder's. Resolves to how many went. */
export async function removeRecentPasskeys(userId: Types.ObjectId | string, now = Date.now()): Promise<number> {
  const since = new Date(now - 24 * 60 * 60 * 1000);
  return (await Passkey.deleteMany({ userId, createdAt: trusted({ $gt: since }) })).deletedCount;
}
