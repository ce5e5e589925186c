import { createHash } from 'node:crypto';

/** Session ids appear in logs and pages only as a short hash: enough to correlate, useless to hijack. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 12);
}
