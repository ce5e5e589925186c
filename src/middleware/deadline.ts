import type { RequestHandler } from 'express';
import { startDatabaseDeadline } from '../db';

/**
 * One budget per request for all its database work (src/db/deadline.ts): `budgetMs` after the
 * request arrives, every command it still waits for or starts fails, and the error handler answers
 * 503 with Retry-After. That includes the session save express-session makes inside res.end, so a
 * held store cannot hold the answer either. The clock stops once the response is out.
 */
export function databaseDeadline(budgetMs: number): RequestHandler {
  return (_req, res, next) => {
    const deadline = startDatabaseDeadline(budgetMs);
    res.once('close', deadline.clear);
    deadline.run(next);
  };
}
