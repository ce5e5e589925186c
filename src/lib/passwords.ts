import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Piscina } from 'piscina';

/** The longest new password the forms take (NIST SP 800-63B rev 4 asks for at least 64). */
export const MAX_PASSWORD_LENGTH = 64;

/**
 * The shortest new password (NIST SP 800-63B rev 4): 15 characters while the password is the
 * account's only factor, 8 once it has a second one. No account has a second factor yet (issue
 * #23): every caller says `secondFactor: false` for now. Logging in never applies it, so that
 * passwords chosen under an older rule keep working.
 */
export function minimumPasswordLength({ secondFactor }: { secondFactor: boolean }): number {
  return secondFactor ? 8 : 15;
}

/** Characters as NIST counts them: Unicode code points (an emoji is one, not two UTF-16 units). */
export const passwordLength = (password: string): number => [...password].length;

/**
 * Stored hashes carry their format in the same string, so that whatever writes a password (a
 * change, a reset, a confirmation, the seed, the tests) writes its format with it in one field, an
 * upgrade is one update conditional on that field, and a hash cannot be read in the wrong format:
 *
 * - `$fh2$` followed by bcrypt's own string, over base64(SHA-256(the password as UTF-8)): the whole
 *   password counts, however long (bcrypt reads 72 bytes: 64 characters of another script are up
 *   to 256), and the 44 characters bcrypt sees hold no NUL byte, which some bcrypts stop at.
 * - Plain bcrypt (`$2a$`, `$2b$`…), over the password itself: hashes stored before; they still
 *   verify and are replaced at the next login (auth/password.ts, upgradePasswordHash).
 *
 * A plain SHA-256 lets someone holding both our hashes and another site's unsalted SHA-256 list
 * try those digests without knowing the passwords ("shucking"); a keyed HMAC would not, but its
 * key would be one more secret whose loss loses every password. A later format can add it.
 */
const PRE_HASHED = '$fh2$';
/** How much of a password plain bcrypt reads. */
const BCRYPT_MAX_BYTES = 72;

const preHash = (password: string): string => createHash('sha256').update(password, 'utf8').digest('base64');

/** Whether a stored hash is in an older format than the one `hashPassword` writes. */
export const isOutdatedHash = (stored: string): boolean => !stored.startsWith(PRE_HASHED);

/** Next to this file in src/ (tsx, ts-jest) and in dist/ (`npm run build` copies it there). */
const WORKER_FILE = path.join(__dirname, 'passwordWorker.js');
/**
 * Hashing threads run at a lower priority than the thread that answers requests, so a burst of
 * logins slows other logins rather than the whole shop (Linux; elsewhere it is ignored).
 */
const WORKER_NICE_INCREMENT = 5;

/** One thread fewer than the machine has cores (at least one): a core stays free for requests. */
export function defaultPasswordThreads(): number {
  return Math.max(1, os.availableParallelism() - 1);
}

let threads = defaultPasswordThreads();
let pool: Piscina | undefined;

function passwordPool(): Piscina | undefined {
  if (threads === 0) return undefined;
  pool ??= new Piscina({
    filename: WORKER_FILE,
    minThreads: 1,
    maxThreads: threads,
    // Idle threads do not keep the process alive (piscina unrefs them) and end after a while.
    idleTimeout: 60_000,
    niceIncrement: WORKER_NICE_INCREMENT,
  });
  return pool;
}

/**
 * How many worker threads hash and compare passwords (PASSWORD_HASH_THREADS). 0 runs bcryptjs on
 * the main thread, which stalls every other request while a hash is computed: only for comparison.
 */
export function configurePasswordHashing(options: { threads: number }): void {
  if (options.threads === threads) return;
  threads = options.threads;
  void closePasswordHashing();
}

/** Ends the worker threads (at shutdown); the next hash starts them again. */
export async function closePasswordHashing(): Promise<void> {
  const closing = pool;
  pool = undefined;
  await closing?.destroy();
}

async function bcryptHash(secret: string, cost: number): Promise<string> {
  const workers = passwordPool();
  if (!workers) return bcrypt.hash(secret, cost);
  // What a worker answers crosses a thread boundary untyped: check it rather than cast it.
  const hash: unknown = await workers.run({ op: 'hash', secret, cost });
  if (typeof hash !== 'string') throw new Error('the password worker answered without a hash');
  return hash;
}

async function bcryptCompare(secret: string, hash: string): Promise<boolean> {
  const workers = passwordPool();
  if (!workers) return bcrypt.compare(secret, hash);
  return (await workers.run({ op: 'compare', secret, hash })) as boolean;
}

/** A new password's hash, in the current format (`$fh2$`, see above). */
export async function hashPassword(password: string, cost: number): Promise<string> {
  return PRE_HASHED + (await bcryptHash(preHash(password), cost));
}

/** Whether `password` is the one of `stored`, a hash in any format `hashPassword` ever wrote. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (!isOutdatedHash(stored)) return bcryptCompare(preHash(password), stored.slice(PRE_HASHED.length));
  // Plain bcrypt compares the first 72 bytes only; the forms refused longer passwords then, so a
  // longer one typed now is not the stored one, even when its start is. Compared all the same: a
  // wrong password costs the same time, however long.
  const matches = await bcryptCompare(password, stored);
  return matches && Buffer.byteLength(password, 'utf8') <= BCRYPT_MAX_BYTES;
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Compares against a throwaway hash of the same cost, so that an unknown email takes as long to
 * refuse as a wrong password does.
 */
export async function spendComparisonTime(password: string, cost: number): Promise<void> {
  let dummy = dummyHashes.get(cost);
  if (!dummy) {
    dummy = hashPassword('a password nobody has', cost);
    dummyHashes.set(cost, dummy);
  }
  await verifyPassword(password, await dummy);
}
