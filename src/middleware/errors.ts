import type { ErrorRequestHandler, RequestHandler } from 'express';
import mongoose from 'mongoose';
import { RETRY_AFTER_SECONDS, isDatabaseUnavailable, noteDatabaseError, writeRefusalReason } from '../db';
import { notFound } from '../lib/HttpError';
import { redactUrl, type Logger } from '../lib/logger';
import { messageOf } from '../lib/messageOf';
import { SessionStoreError } from '@fernhill/session-store';

const MESSAGES: Record<number, string> = {
  400: 'The request could not be understood.',
  403: 'This action is not allowed. If you submitted a form, reload the page and try again.',
  404: 'We could not find that page.',
  413: 'That request was too large.',
  422: 'Some of the information sent was not valid.',
  429: 'Too many attempts. Please wait a little and try again.',
  431: 'The request headers were too large.',
  503: 'The shop is temporarily unavailable. Please try again in a moment.',
};
/** A 503 because the database refuses writes: pages still show, changes cannot be saved. */
const WRITES_REFUSED =
  'The shop cannot save changes right now. Nothing you did before is lost: please try again in a few minutes.';

/**
 * What the handler reads of an error, whoever threw it: a `status` set on purpose (HttpError,
 * the services' and the database module's errors, http-errors from body-parser and csrf-sync; the
 * session store's errors have none, and `statusOf` maps them),
 * `userFacing` when its message is meant for the user, and `retryAfterSeconds` for a 429 or 503.
 */
interface ErrorContract {
  status?: unknown;
  statusCode?: unknown;
  userFacing?: unknown;
  retryAfterSeconds?: unknown;
  message?: unknown;
}

const contractOf = (err: unknown): ErrorContract => (typeof err === 'object' && err !== null ? err : {});

/** What status an error means: a client's mistake (4xx), an outage (503), or a bug (500). */
function statusOf(err: unknown): number {
  const { status = contractOf(err).statusCode } = contractOf(err);
  if (typeof status === 'number' && ((status >= 400 && status < 500) || status === 503)) return status;
  if (isDatabaseUnavailable(err)) return 503;
  // The session store's failures carry no status (the store knows nothing of HTTP): the database
  // behind it failed, so "try again" (503), as for the app's own queries.
  if (err instanceof SessionStoreError) return 503;
  // A malformed id or an injected operator that reached a query.
  if (err instanceof mongoose.Error.CastError) return 404;
  return 500;
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(notFound());

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    // Too late to send an error page: let Express close the connection.
    if (res.headersSent) return next(err);

    const status = statusOf(err);
    // A full or read-only database makes /healthz report the instance unhealthy.
    noteDatabaseError(err);
    const url = redactUrl(req.originalUrl);
    if (status >= 500) logger.error({ err, url }, 'request failed');
    else logger.debug({ err: { message: messageOf(err) }, url }, 'request refused');

    const { userFacing, message: ownMessage, retryAfterSeconds } = contractOf(err);
    const message =
      userFacing === true && typeof ownMessage === 'string'
        ? ownMessage
        : status === 503 && writeRefusalReason(err)
          ? WRITES_REFUSED
          : (MESSAGES[status] ?? 'Something went wrong on our side.');
    if (typeof retryAfterSeconds === 'number') res.set('Retry-After', String(retryAfterSeconds));
    else if (status === 503) res.set('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(status);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: message });
      return;
    }
    // Without a session (a logout whose delete failed) the page shows nobody as logged in.
    if (!req.session) res.locals.isAuthenticated = false;
    const locals = { title: status === 503 ? 'Temporarily unavailable' : `Error ${status}`, status, message };
    res.render('errors/error', locals, (renderError: Error | null, html: string) => {
      if (!renderError) return void res.send(html);
      // Never Express's own page, which would show the stack: the message alone, as plain text.
      logger.error({ err: renderError, url }, 'could not render the error page');
      res.type('text/plain').send(message);
    });
  };
}
