import type { Request, RequestHandler, Response } from 'express';
import type { FlashKind } from 'express-session';
import { saveSession } from './requestSession';

/**
 * Queues a one-time message for the next page this visitor sees. A message already queued is not
 * queued again: a client that posts without ever viewing a page (a script, a double submit) would
 * otherwise grow its session, which is rewritten whole on every save, without end.
 */
export function flash(req: Request, kind: FlashKind, message: string): void {
  const messages = (req.session.flash ??= {});
  const queued = (messages[kind] ??= []);
  if (!queued.includes(message)) queued.push(message);
}

/**
 * Hands queued messages to the views. They leave the session only when a page is rendered (the
 * getter runs then), so a redirect on the way does not swallow them.
 */
export const exposeFlash: RequestHandler = (req, res, next) => {
  Object.defineProperty(res.locals, 'flash', {
    enumerable: true,
    configurable: true,
    get() {
      const messages = req.session?.flash ?? {};
      if (req.session?.flash) delete req.session.flash;
      return messages;
    },
  });
  next();
};

/**
 * Redirects once the session (with `message`, if any, queued for the next page) is stored: a
 * redirect sent earlier could reach the next page before the store has the message.
 */
export async function redirectWith(
  req: Request,
  res: Response,
  to: string,
  message?: { kind: FlashKind; text: string },
): Promise<void> {
  if (message) flash(req, message.kind, message.text);
  await saveSession(req);
  res.redirect(to);
}
