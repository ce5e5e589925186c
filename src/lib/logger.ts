import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { pinoHttp, type HttpLogger } from 'pino-http';

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

/** A mailed link's secret part: the path segment after /reset/, /verify/ or /account/not-me/. */
const SECRET_IN_PATH = /(\/(?:reset|verify|not-me)\/)[^/?#]+/gi;

/**
 * A URL as it may be recorded: the link's token taken out (the database holds only its hash, so a
 * token in a log file would be the only usable copy besides the user's mail).
 */
export function redactUrl(url: string): string {
  return url.replace(SECRET_IN_PATH, '$1[redacted]');
}

interface SerializedRequest {
  url?: string;
  params?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

/** The access log (one line per request), with secrets in URLs redacted. */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    serializers: {
      req(req: SerializedRequest) {
        if (typeof req.url === 'string') req.url = redactUrl(req.url);
        if (req.params && 'token' in req.params) req.params = { ...req.params, token: '[redacted]' };
        const referer = req.headers?.referer;
        if (typeof referer === 'string' && req.headers) req.headers = { ...req.headers, referer: redactUrl(referer) };
        return req;
      },
    },
  });
}
