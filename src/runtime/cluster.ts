import cluster from 'node:cluster';
import type { Config } from '../config/env';
import { createLogger } from '../lib/logger';
import { SHUTDOWN_TIMEOUT_MS } from './shutdown';

/** A worker exits with this when the database allows one instance only (src/db/soleInstance.ts). */
export const SECOND_INSTANCE_EXIT_CODE = 78;

/**
 * WEB_CONCURRENCY > 1: this process only forks that many workers, which each run main() and share
 * the port (node's cluster module) and, through MongoDB, the sessions. It passes SIGINT/SIGTERM on
 * and exits once every worker has exited.
 */
export function runPrimary(config: Config) {
  if (!config.MONGODB_URI) {
    console.error(
      `WEB_CONCURRENCY=${config.WEB_CONCURRENCY} needs MONGODB_URI: the embedded database serves one process only. ` +
        'Set MONGODB_URI (see README.md) or run a single process (WEB_CONCURRENCY=1).',
    );
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL, undefined, { readable: config.NODE_ENV === 'development' });
  // A worker that ran at least WORKER_MIN_UPTIME seconds is replaced when it dies; one failing at
  // start is not (it would fail again, in a loop).
  const minUptimeMs = config.WORKER_MIN_UPTIME * 1000;
  const startedAt = new Map<number, number>();
  const fork = () => startedAt.set(cluster.fork().id, Date.now());
  let stopping = false;
  let stopSignal: NodeJS.Signals | undefined;
  // Only how the workers end a stop decides the exit code: one that died and was replaced long
  // before is history, not a failed shutdown.
  let failedToStop = false;

  cluster.on('exit', (worker, code, signal) => {
    const ranMs = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    // A worker still starting has no handler yet: the stop signal itself ends it, with nothing lost.
    if (stopping && code !== 0 && signal !== stopSignal) failedToStop = true;
    if (!stopping && code === SECOND_INSTANCE_EXIT_CODE) {
      // The worker said why (one process only on this database): the others stop too.
      logger.error('this database allows one process only: stopping every worker (set WEB_CONCURRENCY=1)');
      failedToStop = true;
      stop('SIGTERM');
    }
    if (!stopping && ranMs >= minUptimeMs) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker died: starting another');
      fork();
    } else if (!stopping) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker failed at start: not restarting it');
    }
    // Every worker gone without a stop (each failed at start) is a failure too.
    if (startedAt.size === 0) process.exit(stopping && !failedToStop ? 0 : 1);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    stopSignal = signal;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS + 2_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  logger.info({ workers: config.WEB_CONCURRENCY }, 'starting worker processes');
  for (let i = 0; i < config.WEB_CONCURRENCY; i += 1) fork();
}
