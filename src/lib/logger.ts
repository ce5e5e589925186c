import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    // Cookies carry session ids; they never reach the logs.
    redact: ['req.headers.cookie', 'res.headers["set-cookie"]'],
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Session ids appear in logs only as a short hash: enough to correlate, useless to hijack. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 12);
}
