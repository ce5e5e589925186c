import type { RequestHandler } from 'express';

/**
 * Keeps a page out of browser and proxy caches: forms that carry a CSRF token or what the visitor
 * typed, and reset pages whose URL holds a secret. (Every page of a signed-in user gets the same
 * header from currentUser.)
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
