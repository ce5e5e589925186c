import type { Response } from 'express';
import type { Logger } from './logger';

/**
 * Runs `work` once the response is sent (or the client went away), so that the visitor never waits
 * for it and its failure is never an error page: it is logged.
 */
export function afterResponse(res: Response, logger: Logger, what: string, work: () => Promise<unknown>): void {
  res.once('close', () => {
    work().catch((err: unknown) => logger.error({ err }, what));
  });
}
