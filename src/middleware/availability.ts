import type { RequestHandler } from 'express';
import { isDatabaseConnected } from '../db';
import { HttpError } from '../lib/HttpError';

/** Answers 503 at once while MongoDB is unreachable, instead of waiting for a driver timeout. */
export const requireDatabase: RequestHandler = (_req, _res, next) => {
  if (isDatabaseConnected()) return next();
  next(new HttpError(503, 'The shop is temporarily unavailable. Please try again in a moment.'));
};
