import { Router, type RequestHandler } from 'express';
import { devMailController } from '../controllers/devMail';
import { HttpError } from '../lib/HttpError';
import { noStore } from '../middleware/noStore';

/**
 * Answers only requests addressed to this machine (or to APP_URL's host) by name: a page on another
 * site that rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own name as `Host`, and
 * must not read the shop's mail.
 */
function sameHostOnly(appUrl: string): RequestHandler {
  const allowed = new Set(['localhost', '127.0.0.1', '[::1]', new URL(appUrl).hostname]);
  return (req, _res, next) => {
    const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
    if (allowed.has(host)) return next();
    next(new HttpError(403, 'The developer tools answer only at localhost, 127.0.0.1 or [::1].'));
  };
}

/** Tools for a shop running on a developer's machine; never mounted in production or tests. */
export function devRoutes({ outboxDir, appUrl }: { outboxDir: string; appUrl: string }): Router {
  const mail = devMailController(outboxDir);
  const router = Router();
  router.use('/dev', sameHostOnly(appUrl));
  router.get('/dev/mail', noStore, mail.listMail);
  router.get('/dev/mail/:name', noStore, mail.showMail);
  return router;
}
