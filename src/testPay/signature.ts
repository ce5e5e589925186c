import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every Test Pay webhook carries (Node lower-cases it on arrival: `req.headers['fernhill-signature']`). */
export const FERNHILL_SIGNATURE_HEADER = 'Fernhill-Signature';

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

function hmac(secret: string, timestampSeconds: string, body: Buffer | string): Buffer {
  // Over "<t>.<body>", Stripe's scheme: the timestamp is signed too, so an old webhook cannot be replayed with a new one.
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest();
}

/** The `Fernhill-Signature` value for `body` sent at `timestampSeconds`: `t=<seconds>,v1=<hex HMAC-SHA-256>`. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const t = String(Math.floor(timestampSeconds));
  return `t=${t},v1=${hmac(secret, t, body).toString('hex')}`;
}

/**
 * Whether `header` signs `rawBody` with `secret` at a time at most `toleranceSeconds` from `now`, in
 * either direction. False for a missing or malformed header, a wrong signature, or a stale (or
 * future) timestamp. Several `v1=` entries are allowed (as Stripe sends while a secret is rolled);
 * one matching is enough.
 */
export function verifyWebhook(
  secret: string,
  rawBody: Buffer | string,
  header: string | undefined,
  now: Date,
  toleranceSeconds: number,
): boolean {
  if (typeof header !== 'string') return false;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return false;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !UNIX_SECONDS.test(value)) return false;
      timestamp = value;
    } else if (key === 'v1') {
      if (!HEX_SIGNATURE.test(value)) return false;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (a future v2) are ignored, as Stripe's libraries do.
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = hmac(secret, timestamp, rawBody);
  // Constant time, so the time taken does not tell an attacker how much of a guess was right.
  return signatures.some((signature) => timingSafeEqual(signature, expected));
}
