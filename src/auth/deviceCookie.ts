import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser that
 * has logged in to an account gets a signed cookie naming that account, and its failed logins are
 * counted against its own budget rather than the account's. A stranger's guesses then lock out
 * other strangers, never the owner's browser.
 *
 * The cookie is `<nonce>.<signature>`, the signature an HMAC of the email and the nonce under a key
 * derived from SESSION_SECRET (the first signs, all verify): it names the account without showing it.
 */
const keyOf = (secret: string) => createHmac('sha256', secret).update('fernhill device cookie v1').digest();

const signature = (secret: string, email: string, nonce: string) =>
  createHmac('sha256', keyOf(secret)).update(`${email}\n${nonce}`).digest();

/** A new device cookie's value for the account with this (lower-cased) email. */
export function issueDeviceCookie(email: string, secrets: readonly string[]): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${nonce}.${signature(secrets[0] ?? '', email, nonce).toString('base64url')}`;
}

/** The device's nonce when `cookie` is a valid device cookie for this email; otherwise undefined. */
export function trustedDevice(cookie: unknown, email: string, secrets: readonly string[]): string | undefined {
  if (typeof cookie !== 'string') return undefined;
  const match = /^([\w-]{22})\.([\w-]{43})$/.exec(cookie);
  if (!match) return undefined;
  const [, nonce = '', signed = ''] = match;
  const given = Buffer.from(signed, 'base64url');
  const valid = secrets.some((secret) => timingSafeEqual(given, signature(secret, email, nonce)));
  return valid ? nonce : undefined;
}
