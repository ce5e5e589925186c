import bcrypt from 'bcryptjs';

/** bcrypt only reads the first 72 bytes of a password: longer ones are refused, not truncated. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 12;

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
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
