import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets the shop must read back (an authenticator app's key), encrypted at rest with AES-256-GCM
 * under DATA_ENCRYPTION_KEY. A stored value is one string, `v1.<key id>.<iv>.<tag>.<ciphertext>`:
 * the id of the key that encrypted it travels with it, so keys can rotate. The first key encrypts,
 * every listed one decrypts, and `needsNewKey` tells when a value should be encrypted again under
 * the first (its next use does that, see auth/twoFactor/totp.ts).
 *
 * Each value is bound to what it belongs to (`context`, e.g. the account's id, as GCM's additional
 * data): copied onto another account, it does not decrypt.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws when the value was changed, belongs to another context, or its key is not configured. */
  open(sealed: string, context: string): string;
  /** The value was sealed under a key other than the first: seal it again. */
  needsNewKey(sealed: string): boolean;
}

const VERSION = 'v1';
const IV_BYTES = 12;

interface Key {
  id: string;
  key: Buffer;
}

/** A 256-bit key from a configured secret of any length, and a short id that names it (not secret). */
function deriveKey(secret: string): Key {
  const key = Buffer.from(hkdfSync('sha256', secret, 'fernhill-goods', 'data encryption key', 32));
  const id = createHash('sha256').update(`key id:${secret}`).digest('base64url').slice(0, 8);
  return { id, key };
}

export function secretBox(secrets: readonly string[]): SecretBox {
  const keys = secrets.map(deriveKey);
  const current = keys[0];
  const byId = new Map(keys.map((key) => [key.id, key]));
  return {
    seal(plaintext, context) {
      if (!current) throw new Error('DATA_ENCRYPTION_KEY is not set');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
      return [VERSION, current.id, ...parts].join('.');
    },
    open(sealed, context) {
      const [version, id, iv, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || !id || !iv || !tag || ciphertext === undefined) {
        throw new Error('not a sealed secret');
      }
      const key = byId.get(id);
      if (!key) throw new Error(`sealed under key ${id}, which DATA_ENCRYPTION_KEY no longer lists`);
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
    needsNewKey(sealed) {
      return sealed.split('.')[1] !== current?.id;
    },
  };
}

const boxes = new WeakMap<readonly string[], SecretBox>();

/** The box of the configured DATA_ENCRYPTION_KEY (its keys derived once per configuration). */
export function secretBoxOf(config: { DATA_ENCRYPTION_KEY: readonly string[] }): SecretBox {
  let box = boxes.get(config.DATA_ENCRYPTION_KEY);
  if (!box) boxes.set(config.DATA_ENCRYPTION_KEY, (box = secretBox(config.DATA_ENCRYPTION_KEY)));
  return box;
}
