import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The secrets a development machine may leave unset: the app generates them once and keeps them. */
export const GENERATED_SECRETS = {
  SESSION_SECRET: 'session-secret',
  SESSION_ID_HASH_SECRET: 'session-id-hash-secret',
  DATA_ENCRYPTION_KEY: 'data-encryption-key',
  TEST_PAY_WEBHOOK_SECRET: 'test-pay-webhook-secret',
} as const;
export type GeneratedSecret = keyof typeof GENERATED_SECRETS;

/** Gives the value of a secret the environment left unset (asked only outside production). */
export type SecretProvider = (name: GeneratedSecret) => string;

/**
 * The default provider: each secret in its own file under the data folder, generated on first use,
 * so that logins survive restarts. Concurrent first starts (cluster workers) agree: only one file
 * is created (`wx`), and the others read it.
 */
export function dataDirSecrets(dataDir: string, warn: (message: string) => void): SecretProvider {
  return (name) => {
    const file = path.join(dataDir, GENERATED_SECRETS[name]);
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      warn(`${name} is not set: generated one for development and kept it in ${file}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    return fs.readFileSync(file, 'utf8').trim();
  };
}
