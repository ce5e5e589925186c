import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { Piscina } from 'piscina';

/** bcrypt only reads the first 72 bytes of a password: longer ones are refused, not truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 12;

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

export async function hashPassword(password: string, cost: number): Promise<string> {
  const workers = passwordPool();
  if (!workers) return bcrypt.hash(password, cost);
  // What a worker answers crosses a thread boundary untyped: check it rather than cast it.
  const hash: unknown = await workers.run({ op: 'hash', password, cost });
  if (typeof hash !== 'string') throw new Error('the password worker answered without a hash');
  return hash;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const workers = passwordPool();
  if (!workers) return bcrypt.compare(password, hash);
  return (await workers.run({ op: 'compare', password, hash })) as boolean;
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
