/**
 * Recovery codes: ten single-use codes shown once when the second factor is turned on (and when a
 * new set is made), for signing in without the phone. Each is 12 characters of Crockford's base32
 * (60 bits of randomness), shown as XXXX-XXXX-XXXX; only a SHA-256 hash is stored, bound to the
 * account. Using one is one conditional update that removes its hash: of two uses at once, one wins.
 */
import { createHash, randomInt } from 'node:crypto';
import type { Types } from 'mongoose';
import { serialized } from '../../db';
import { User } from '../../models/User';

export const RECOVERY_CODE_COUNT = 10;
/** Below this many left, /account warns. */
export const FEW_RECOVERY_CODES = 3;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 12;

function newRecoveryCode(): string {
  const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

/** A new set, to show once. */
export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);

/** A code as typed: case, spaces and dashes do not matter, and O, I and L read as 0, 1 and 1 (Crockford). */
function normalized(code: string): string | null {
  const clean = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return clean.length === LENGTH && [...clean].every((char) => ALPHABET.includes(char)) ? clean : null;
}

/** What is stored of a code of the account `userId`. */
export const recoveryCodeHash = (userId: Types.ObjectId | string, code: string): string =>
  createHash('sha256')
    .update(`recovery:${userId.toString()}:${normalized(code) ?? ''}`)
    .digest('base64url');

/** Uses one recovery code of the account: resolves to whether it was unused (and is used now). */
export async function useRecoveryCode(userId: Types.ObjectId | string, code: string): Promise<boolean> {
  if (normalized(code) === null) return false;
  const hash = recoveryCodeHash(userId, code);
  const result = await serialized(`two-factor:${userId.toString()}`, () =>
    User.updateOne({ _id: userId, 'twoFactor.recoveryCodes': hash }, { $pull: { 'twoFactor.recoveryCodes': hash } }),
  );
  return result.modifiedCount === 1;
}
