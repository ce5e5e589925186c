import { trusted } from 'mongoose';
import type { Logger } from '../lib/logger';
import { GuestCart } from '../models/GuestCart';
import { PasswordReset } from '../models/PasswordReset';

/**
 * Deletes what nobody can use any more: guest carts untouched for longer than a session can live
 * (their session is gone), and reset tokens a day past their expiry. Returns what it removed.
 */
export async function removeLeftovers(sessionLifetimeMs: number, now = Date.now()) {
  const [carts, resets] = await Promise.all([
    GuestCart.deleteMany({ updatedAt: trusted({ $lt: new Date(now - sessionLifetimeMs) }) }),
    PasswordReset.deleteMany({ expiresAt: trusted({ $lt: new Date(now - 24 * 60 * 60 * 1000) }) }),
  ]);
  return { guestCarts: carts.deletedCount, passwordResets: resets.deletedCount };
}

/** Runs removeLeftovers every `intervalMs` until the returned function is called. */
export function startHousekeeping(sessionLifetimeMs: number, intervalMs: number, logger: Logger): () => void {
  const timer = setInterval(() => {
    removeLeftovers(sessionLifetimeMs).then(
      (removed) => logger.debug(removed, 'housekeeping'),
      (err: unknown) => logger.warn({ err }, 'housekeeping failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
