import type { Request } from 'express';

/** Resolves once the session is written to the store: respond only after this where it matters. */
export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

/** Gives the visitor a new, empty session under a new id (against fixation); the old one is destroyed. */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/**
 * The same session under a new id, after an authentication within it (re-authentication: ASVS
 * 7.2.4). Its data is kept; the old id, and any copy of it, ends. The store inserts the session
 * again as a new one (its state does not travel: it is not enumerable).
 */
export async function renewSessionId(req: Request): Promise<void> {
  const { cookie: _cookie, ...data } = req.session;
  await regenerateSession(req);
  Object.assign(req.session, data);
}
