import type { RequestHandler, Response } from 'express';
import onFinished from 'on-finished';
import type { Logger } from './logger';

/**
 * Work a request leaves for after its response (a mail, an activity log entry): `what` names it in
 * the log if it fails. Services take one of these, never the response itself.
 */
export type AfterResponse = (what: string, work: () => Promise<unknown>) => void;

/**
 * Runs `work` once the response is sent or the client went away (at once if it already has), so
 * that the visitor never waits for it and its failure is never an error page: it is logged.
 */
export function afterResponse(res: Response, logger: Logger, what: string, work: () => Promise<unknown>): void {
  onFinished(res, () => {
    const done = work()
      .catch((err: unknown) => logger.error({ err }, what))
      .finally(() => running.delete(done));
    running.add(done);
  });
}

/** Gives every request its queue: `req.afterResponse(what, work)`. */
export function afterResponseQueue(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.afterResponse = (what, work) => afterResponse(res, logger, what, work);
    next();
  };
}

const running = new Set<Promise<unknown>>();

/** Resolves once the work started after responses so far has finished (tests count its commands). */
export async function afterResponseSettled(): Promise<void> {
  // on-finished calls back on 'finish', which can follow the last byte the client read by a tick.
  await new Promise((resolve) => setImmediate(resolve));
  while (running.size > 0) await Promise.all(running);
}
