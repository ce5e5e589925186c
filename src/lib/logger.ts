import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * JSON lines for machines (production, tests, log shippers); `readable` (development) prints one
 * short coloured line per event instead, synchronously, without a transport thread.
 */
export function createLogger(level: string, destination?: DestinationStream, { readable = false } = {}): Logger {
  const options = {
    level,
    // Cookies carry session ids; they never reach the logs.
    redact: ['req.headers.cookie', 'res.headers["set-cookie"]'],
  };
  if (destination) return pino(options, destination);
  if (readable) {
    return pino(
      options,
      pretty({ sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss', singleLine: true }),
    );
  }
  return pino(options);
}

/** Session ids appear in logs only as a short hash: enough to correlate, useless to hijack. */
export function hashSessionId(sid: string): string {
  return createHash('sha256').update(sid).digest('hex').slice(0, 12);
}
