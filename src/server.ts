import cluster from 'node:cluster';
import http from 'node:http';
import type { Express } from 'express';
import mongoose from 'mongoose';
import { createApp, createUnavailableApp } from './app';
import { sessionStoreOptions } from './config/session';
import { connectMongoose, startEmbeddedDatabase, startExpirySweeper, type EmbeddedDatabase } from './db';
import { ConfigError, DATA_DIR, loadConfig, type Config } from './config/env';
import { createLogger, type Logger } from './lib/logger';
import { closePasswordHashing, configurePasswordHashing, defaultPasswordThreads } from './lib/passwords';
import { dropReplacedOrderIndex } from './models/Order';
import { Product } from './models/Product';
import { expireLeftovers } from './services/housekeeping';
import { DEMO_USER, seedDemoData } from './seed/demoData';
import { openSessionStore, type MongoSessionStore } from './sessions';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const MAX_RETRY_DELAY_MS = 10_000;

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/** Connects mongoose, then the session store, retrying each with backoff until MongoDB answers. */
async function connectWithRetry(uri: string, config: Config, logger: Logger, signal: AbortSignal) {
  let delay = 500;
  const pause = async () => {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
  };
  while (!signal.aborted) {
    try {
      await connectMongoose(uri, config);
      break;
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, retryInMs: delay }, 'MongoDB is not reachable yet');
      await mongoose.disconnect().catch(() => {});
      await pause();
    }
  }
  while (!signal.aborted) {
    try {
      return await openSessionStore(sessionStoreOptions(config, uri, logger));
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message }, retryInMs: delay }, 'session store is not reachable yet');
      await pause();
    }
  }
  return undefined;
}

async function main() {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  configurePasswordHashing({ threads: config.PASSWORD_HASH_THREADS ?? defaultPasswordThreads() });

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: exiting so that a supervisor restarts the process');
    process.exit(1);
  });

  let embedded: EmbeddedDatabase | undefined;
  if (!config.MONGODB_URI) {
    try {
      embedded = await startEmbeddedDatabase(DATA_DIR, logger);
      logger.info({ kind: embedded.kind, dataDir: DATA_DIR }, 'MONGODB_URI is not set: using an embedded database');
    } catch (err) {
      console.error((err as Error).message);
      process.exit(1);
    }
  }
  const uri = config.MONGODB_URI ?? embedded!.uri;

  // Until MongoDB answers, every request gets a 503 page; then the real shop takes over.
  let handler: Express = createUnavailableApp(config, logger);
  const server = http.createServer((req, res) => {
    // While shutting down, close each connection after its response: a keep-alive client (a browser,
    // a reverse proxy) would otherwise keep sending on it and the server would never finish closing.
    if (shuttingDown) res.setHeader('Connection', 'close');
    handler(req, res);
  });
  server.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const host = config.HOST === '0.0.0.0' || config.HOST === '127.0.0.1' ? 'localhost' : config.HOST;
    logger.info(`Shop listening on http://${host}:${port}`);
  });

  const stopConnecting = new AbortController();
  // Filled in once connected; shutdown closes whatever is open by then.
  const open: { store?: MongoSessionStore } = {};
  let shuttingDown = false;

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    stopConnecting.abort();
    // Stops accepting connections and resolves once in-flight requests have completed.
    // Connections left idle by responses sent before the signal are closed as they become idle.
    const closeIdle = setInterval(() => server.closeIdleConnections(), 100);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearInterval(closeIdle);
    await open.store?.close().catch((err: unknown) => logger.warn({ err }, 'could not close the session store'));
    await mongoose.disconnect().catch((err: unknown) => logger.warn({ err }, 'could not close mongoose'));
    await closePasswordHashing();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  open.store = await connectWithRetry(uri, config, logger, stopConnecting.signal);
  if (!open.store || shuttingDown) return;
  if (embedded && (await Product.estimatedDocumentCount()) === 0) {
    const added = await seedDemoData(config.BCRYPT_COST);
    logger.info({ added, demoLogin: DEMO_USER }, 'seeded the empty embedded database with demo data');
  }
  await dropReplacedOrderIndex().catch((err: unknown) => logger.warn({ err }, 'could not drop an old order index'));
  await expireLeftovers(config.SESSION_ABSOLUTE_TTL).catch((err: unknown) =>
    logger.warn({ err }, 'could not set up the expiry of guest carts and reset tokens'),
  );
  // Deletes expired documents where the server's TTL indexes do not (it has nothing to do where they do).
  startExpirySweeper(config.SESSION_SWEEP_INTERVAL * 1000, logger);
  handler = createApp({ config, sessionStore: open.store, logger });
  logger.info('connected to MongoDB: the shop is ready');
}

/** A worker that ran at least this long is replaced when it dies; one failing at start is not. */
const MIN_WORKER_UPTIME_MS = 10_000;

/**
 * WEB_CONCURRENCY > 1: this process only forks that many workers, which each run main() and share
 * the port (node's cluster module) and, through MongoDB, the sessions. It passes SIGINT/SIGTERM on
 * and exits once every worker has exited.
 */
function runPrimary(config: Config) {
  if (!config.MONGODB_URI) {
    console.error(
      `WEB_CONCURRENCY=${config.WEB_CONCURRENCY} needs MONGODB_URI: the embedded database serves one process only. ` +
        'Set MONGODB_URI (see README.md) or run a single process (WEB_CONCURRENCY=1).',
    );
    process.exit(1);
  }
  const logger = createLogger(config.LOG_LEVEL);
  const startedAt = new Map<number, number>();
  const fork = () => startedAt.set(cluster.fork().id, Date.now());
  let stopping = false;
  let exitCode = 0;

  cluster.on('exit', (worker, code, signal) => {
    const ranMs = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (code !== 0) exitCode = 1;
    if (!stopping && ranMs >= MIN_WORKER_UPTIME_MS) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker died: starting another');
      fork();
    } else if (!stopping) {
      logger.error({ pid: worker.process.pid, code, signal }, 'a worker failed at start: not restarting it');
    }
    if (startedAt.size === 0) process.exit(exitCode);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS + 2_000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  logger.info({ workers: config.WEB_CONCURRENCY }, 'starting worker processes');
  for (let i = 0; i < config.WEB_CONCURRENCY; i += 1) fork();
}

// The primary validates the configuration (and creates the development secret) before any fork.
const primaryConfig = cluster.isPrimary ? configOrExit() : undefined;
if (primaryConfig && primaryConfig.WEB_CONCURRENCY > 1) runPrimary(primaryConfig);
else void main();
