import type { Request, RequestHandler } from 'express';
import type { FlashKind } from 'express-session';

/** Queues a one-time message for the next page this visitor sees. */
export function flash(req: Request, kind: FlashKind, message: string): void {
  const messages = (req.session.flash ??= {});
  (messages[kind] ??= []).push(message);
}

/** Hands queued messages to the views and removes them from the session. */
export const exposeFlash: RequestHandler = (req, res, next) => {
  res.locals.flash = req.session.flash ?? {};
  if (req.session.flash) delete req.session.flash;
  next();
};
