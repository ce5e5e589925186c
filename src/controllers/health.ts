import type { RequestHandler } from 'express';
import { pingDatabase } from '../db';
import type { SessionControl } from '../sessions/control';

/**
 * @route GET /healthz — 200 while MongoDB answers a ping through both clients the app uses
 * (mongoose's and the session store's own), 503 otherwise.
 */
export function getHealth(sessions: Pick<SessionControl, 'ping'>): RequestHandler {
  return async (_req, res) => {
    const [database, store] = await Promise.all([pingDatabase(), sessions.ping()]);
    const ok = database && store;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  };
}
