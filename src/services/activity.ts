import type { Response } from 'express';
import { trusted, type Types } from 'mongoose';
import { afterResponse } from '../lib/afterResponse';
import type { Logger } from '../lib/logger';
import { EVENT_RETENTION_SECONDS, SecurityEvent, type EventDetails, type EventKind } from '../models/SecurityEvent';
import type { RequestContext } from './securityMail';

export const EVENTS_PER_PAGE = 20;

/**
 * Records a security event once the response is sent: writing it never slows the action it records,
 * and its failure is only logged.
 */
export function recordEvent(
  res: Response,
  logger: Logger,
  userId: Types.ObjectId | string,
  kind: EventKind,
  details: EventDetails & { context?: RequestContext } = {},
): void {
  const { context, ...rest } = details;
  const at = context?.when ?? new Date();
  const where = context ? { browser: context.browser, place: context.place } : {};
  afterResponse(res, logger, `could not record a ${kind} event`, () =>
    SecurityEvent.create({ userId, kind, at, details: { ...where, ...rest } }),
  );
}

/** One page of the account's events of the last 90 days, newest first. */
export async function activityPage(userId: Types.ObjectId, page: number) {
  const since = new Date(Date.now() - EVENT_RETENTION_SECONDS * 1000);
  const filter = { userId, at: trusted({ $gte: since }) };
  const [events, total] = await Promise.all([
    SecurityEvent.find(filter)
      .sort({ at: -1, _id: -1 })
      .skip((page - 1) * EVENTS_PER_PAGE)
      .limit(EVENTS_PER_PAGE)
      .lean(),
    SecurityEvent.countDocuments(filter),
  ]);
  return { events, page, pageCount: Math.max(1, Math.ceil(total / EVENTS_PER_PAGE)) };
}
