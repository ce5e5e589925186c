import { expireDocuments } from '../db';
import { AccountToken } from '../models/AccountToken';
import { GuestCart } from '../models/GuestCart';
import { PasswordReset } from '../models/PasswordReset';
import { RememberToken } from '../models/RememberToken';
import { EVENT_RETENTION_SECONDS, SecurityEvent } from '../models/SecurityEvent';
import { WebAuthnChallenge } from '../models/WebAuthnChallenge';
import { PAYMENT_EVENT_RETENTION_SECONDS, PaymentEvent } from '../models/PaymentEvent';
import { StockHold } from '../models/StockHold';

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Has what nobody can use any more deleted: guest carts untouched for longer than a session can
 * live (their session is gone), passkey challenges past their 5 minutes, and reset, verification and "not me" tokens a day past their expiry (kept that long so a
 * late click still finds "expired", not "unknown").
 */
export async function expireLeftovers(sessionLifetimeSeconds: number): Promise<void> {
  await Promise.all([
    expireDocuments(GuestCart.collection, 'updatedAt', { afterSeconds: sessionLifetimeSeconds }),
    expireDocuments(PasswordReset.collection, 'expiresAt', { afterSeconds: DAY_SECONDS }),
    expireDocuments(AccountToken.collection, 'expiresAt', { afterSeconds: DAY_SECONDS }),
    // Replaced tokens stay until then, so that a stolen copy's use is recognised.
    expireDocuments(RememberToken.collection, 'expiresAt', { afterSeconds: 0 }),
    // A passkey ceremony's challenge is good for 5 minutes (claims check the time themselves).
    expireDocuments(WebAuthnChallenge.collection, 'expiresAt', { afterSeconds: 0 }),
    // The activity log shows 90 days.
    expireDocuments(SecurityEvent.collection, 'at', { afterSeconds: EVENT_RETENTION_SECONDS }),
    // A lapsed hold: the payments sweep gives its order's stock back (it reads the order's time).
    expireDocuments(StockHold.collection, 'expiresAt', { afterSeconds: 0 }),
    // Providers retry a webhook for days at most.
    expireDocuments(PaymentEvent.collection, 'receivedAt', { afterSeconds: PAYMENT_EVENT_RETENTION_SECONDS }),
  ]);
}
