/**
 * A software passkey authenticator for the integration tests: what a phone or a security key does
 * in a WebAuthn ceremony, with keys from node:crypto (ES256, P-256) and CBOR from
 * @simplewebauthn/server's helpers. It answers the JSON options the shop sends with the JSON
 * responses @simplewebauthn/browser would post, "none" attestation, user presence and verification
 * set (unless told otherwise), and a signature counter that grows with each use (or stays 0, as
 * many platform passkeys keep none).
 */
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;
const ATTESTED_CREDENTIAL = 0x40;

interface Credential {
  id: string;
  privateKey: KeyObject;
  userHandle: string;
  counter: number;
}

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const uint32 = (n: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(n);
  return buffer;
};

export class SoftAuthenticator {
  private readonly credentials: Credential[] = [];

  constructor(
    /** The origin the "browser" is on (the shop's APP_URL). */
    private readonly origin: string,
    private readonly options: { keepsCounter?: boolean; verifiesUser?: boolean } = {},
  ) {}

  private get rpIdHash() {
    return sha256(new URL(this.origin).hostname);
  }

  private flags(extra = 0) {
    return USER_PRESENT | (this.options.verifiesUser === false ? 0 : USER_VERIFIED) | extra;
  }

  /** The ids of the credentials it holds, oldest first. */
  get credentialIds(): string[] {
    return this.credentials.map((credential) => credential.id);
  }

  /** Makes a new credential for the options of POST /account/passkeys/options (or reuses `id`). */
  create(options: PublicKeyCredentialCreationOptionsJSON, id = b64(randomBytes(16))): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const rawId = Buffer.from(id, 'base64url');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(rawId.length);
    const authData = Buffer.concat([
      this.rpIdHash,
      Buffer.from([this.flags(ATTESTED_CREDENTIAL)]),
      uint32(0),
      Buffer.alloc(16),
      idLength,
      rawId,
      Buffer.from(cose),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]) as never,
    );
    const clientData = {
      type: 'webauthn.create',
      challenge: options.challenge,
      origin: this.origin,
      crossOrigin: false,
    };
    this.credentials.push({ id, privateKey, userHandle: options.user.id, counter: 0 });
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(JSON.stringify(clientData)),
        attestationObject: b64(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * Signs in with a credential it holds: `credentialId`, else the first the options allow, else
   * its first (a discoverable credential, as the login page's request allows any).
   */
  get(options: PublicKeyCredentialRequestOptionsJSON, credentialId?: string): AuthenticationResponseJSON {
    const allowed = options.allowCredentials?.map((credential) => credential.id);
    const credential =
      this.credentials.find((candidate) => candidate.id === credentialId) ??
      this.credentials.find((candidate) => !credentialId && (!allowed?.length || allowed.includes(candidate.id)));
    if (!credential) throw new Error('the authenticator holds no credential these options allow');
    if (this.options.keepsCounter !== false) credential.counter += 1;
    const authenticatorData = Buffer.concat([this.rpIdHash, Buffer.from([this.flags()]), uint32(credential.counter)]);
    const clientDataJSON = JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin: this.origin });
    const signature = createSign('sha256')
      .update(Buffer.concat([authenticatorData, sha256(clientDataJSON)]))
      .sign(credential.privateKey);
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authenticatorData),
        signature: b64(signature),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
