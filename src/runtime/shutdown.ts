import type http from 'node:http';
import type { Logger } from '../lib/logger';

export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * A graceful stop on SIGINT/SIGTERM for the server given to `watch`: stop accepting connections,
 * answer the requests in flight, run `close` (databases, threads), exit 0. After 10 s it gives up
 * and exits 1. While it runs, `isShuttingDown()` tells the request handler to answer with
 * `Connection: close`, so that keep-alive clients (browsers, reverse proxies) let go.
 */
export function gracefulShutdown(logger: Logger, close: () => Promise<void>) {
  let shuttingDown = false;
  let server: http.Server | undefined;

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    if (server) {
      const listening = server;
      // Stops accepting and resolves once in-flight requests are answered; connections left idle
      // by earlier responses are closed as they become idle.
      const closeIdle = setInterval(() => listening.closeIdleConnections(), 100);
      await new Promise<void>((resolve) => listening.close(() => resolve()));
      clearInterval(closeIdle);
    }
    await close();
    logger.info('stopped');
    process.exit(0);
  };

  return {
    isShuttingDown: () => shuttingDown,
    watch(listening: http.Server) {
      server = listening;
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
    },
  };
}
