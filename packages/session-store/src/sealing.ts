import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Session data encrypted at rest (the `encryptionKeys` option): AES-256-GCM, one string per
 * session, `v1.<key id>.<iv>.<tag>.<ciphertext>`. The first key encrypts; every key listed
 * decrypts, so a new key goes first and the old one stays listed until the sessions it sealed have
 * been written again (each write seals under the first key) or have expired. Each value is bound
 * to its document's `_id` (GCM's additional data): copied into another session's document, it does
 * not decrypt.
 */
export interface Sealer {
  seal(plaintext: string, handle: string): string;
  /** Throws when the value was changed, belongs to another document, or its key is not listed. */
  open(sealed: string, handle: string): string;
  /** Sealed under a key other than the first: it should be sealed again. */
  isStale(sealed: string): boolean;
}

const VERSION = 'v1';
const IV_BYTES = 12;

/** A 256-bit key from a secret of any length (at least 32 characters), and a short id naming it (not secret). */
function deriveKey(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, '@fernhill/session-store', 'session data', 32));
  const id = createHash('sha256').update(`session data key id:${secret}`).digest('base64url').slice(0, 8);
  return { id, key };
}

export function sealer(secrets: readonly string[]): Sealer {
  if (secrets.length === 0) throw new TypeError('MongoSessionStore: encryptionKeys must list at least one key');
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < 32) {
      throw new TypeError('MongoSessionStore: each of the encryptionKeys must be a string of at least 32 characters');
    }
  }
  const keys = secrets.map(deriveKey);
  const current = keys[0]!;
  const byId = new Map(keys.map((key) => [key.id, key]));
  return {
    seal(plaintext, handle) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(handle, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
      return [VERSION, current.id, ...parts].join('.');
    },
    open(sealed, handle) {
      const [version, id, iv, tag, ciphertext] = sealed.split('.');
      if (version !== VERSION || !id || !iv || !tag || ciphertext === undefined)
        throw new Error('not sealed session data');
      const key = byId.get(id);
      if (!key) throw new Error(`sealed under key ${id}, which encryptionKeys no longer lists`);
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(handle, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
    isStale(sealed) {
      return sealed.split('.')[1] !== current.id;
    },
  };
}
