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
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
}

/**
 * The access log: one short line per request (method, URL, status, time; the Referer if any),
 * with secrets in URLs redacted. No other headers: cookies and the like never reach it, and a
 * line stays readable. A 503 (the database away, the shop starting) is a warning, other 5xx errors.
 */
export function requestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    serializers: {
      req(req: SerializedRequest) {
        const referer = req.headers?.referer;
        return {
          method: req.method,
          url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
          ...(typeof referer === 'string' ? { referer: redactUrl(referer) } : {}),
        };
      },
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => {
      if (res.statusCode === 503) return 'warn';
      return err || res.statusCode >= 500 ? 'error' : 'info';
    },
    customSuccessMessage: (req, res, responseTime) =>
      `${req.method} ${redactUrl(req.url ?? '')} ${res.statusCode} ${Math.round(responseTime)} ms`,
  });
}
