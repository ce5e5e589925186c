import type { Response } from 'express';
import onFinished from 'on-finished';
import type { Logger } from './logger';

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

const running = new Set<Promise<unknown>>();

/** Resolves once the work started after responses so far has finished (tests count its commands). */
export async function afterResponseSettled(): Promise<void> {
  // on-finished calls back on 'finish', which can follow the last byte the client read by a tick.
  await new Promise((resolve) => setImmediate(resolve));
  while (running.size > 0) await Promise.all(running);
}
