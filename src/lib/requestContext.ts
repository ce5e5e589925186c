import type { Request } from 'express';
import { truncatedAddress } from './clientAddress';
import { describeUserAgent } from './userAgent';

/** Where and when something happened, as the activity log and a security mail tell it. */
export interface RequestContext {
  when: Date;
  browser: string;
  place: string;
}

export function contextOf(req: Request): RequestContext {
  return { when: new Date(), browser: describeUserAgent(req.get('user-agent')), place: truncatedAddress(req.ip) };
}
