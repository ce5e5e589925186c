import type { RequestHandler } from 'express';
import { checkWrites, pingDatabase } from '../db';
import type { SessionControl } from '../config/sessionStore';

/**
 * @route GET /healthz — 200 while MongoDB answers a ping (through mongoose and through the session
 * store, which share one client in the shop) and takes writes; otherwise 503 with the reason, so
 * that a load balancer stops sending users to an instance that can show pages but not save a cart.
 */
export function getHealth(sessions: Pick<SessionControl, 'ping'>): RequestHandler {
  return async (_req, res) => {
    const [database, store, writes] = await Promise.all([pingDatabase(), sessions.ping(), checkWrites()]);
    const reason = !database
      ? 'the database does not answer'
      : !store
        ? "the session store's connection to the database does not answer"
        : !writes.ok
          ? writes.reason
          : undefined;
    if (reason) res.status(503).json({ status: 'unavailable', reason });
    else res.status(200).json({ status: 'ok' });
  };
}
