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
