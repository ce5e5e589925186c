import cluster from 'node:cluster';
import http from 'node:http';
import type { Express } from 'express';
import mongoose from 'mongoose';
import { createApp, createUnavailableApp, paymentsOf } from './app';
import { ConfigError, DATA_DIR, loadConfig, type Config } from './config/env';
import {
  claimSoleInstance,
  SecondInstanceError,
  serverCapabilities,
  startEmbeddedDatabase,
  startExpirySweeper,
  type EmbeddedDatabase,
  type SoleInstance,
} from './db';
import { armCrashPoint } from './lib/faults';
import { createLogger } from './lib/logger';
import { closePasswordHashing, configurePasswordHashing, defaultPasswordThreads } from './lib/passwords';
import {
  countStockOfOlderProducts,
  dropReplacedIndexes,
  indexProductsForSearch,
  migratePlacedOrders,
} from './models/migrations';
import { Product } from './models/Product';
import { runPrimary, SECOND_INSTANCE_EXIT_CODE } from './runtime/cluster';
import { connectWithRetry } from './runtime/connect';
import { ensurePortIsFree } from './runtime/port';
import { gracefulShutdown } from './runtime/shutdown';
import { expireLeftovers } from './services/housekeeping';
import { sweepUnusedImages } from './services/images';
import { DEMO_ADMIN, DEMO_USER, seedDemoData } from './seed/demoData';
import type { MongoSessionStore } from '@fernhill/session-store';

/**
 * The process: configuration → (the embedded database) → listen at once with a 503 app → connect
 * with retries → the real shop. Building the app itself is src/app.ts's job.
 */

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}

/** The connection string without its password, for the console. */
function redactedUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Prints one sentence (no stack) for a failure the user can fix, and exits. */
function exitWith(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main() {
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL, undefined, { readable: config.NODE_ENV === 'development' });
  configurePasswordHashing({ threads: config.PASSWORD_HASH_THREADS ?? defaultPasswordThreads() });
  if (config.NODE_ENV === 'test') armCrashPoint(config.FAULT_CRASH_AT);
  if (config.nodeEnvUnset && config.MONGODB_URI) {
    logger.warn(
      'NODE_ENV is not set, so the development defaults apply (generated secrets, no HTTPS-only cookies): ' +
        'a deployment must set NODE_ENV=production. /dev/mail stays off (set NODE_ENV=development to read mail there).',
    );
  }

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception: exiting so that a supervisor restarts the process');
    process.exit(1);
  });

  // Before anything is started that would have to be stopped again.
  await ensurePortIsFree(config.HOST, config.PORT).catch((err: Error) => exitWith(err.message));

  let embedded: EmbeddedDatabase | undefined;
  if (!config.MONGODB_URI) {
    embedded = await startEmbeddedDatabase(DATA_DIR, logger).catch((err: Error) => exitWith(err.message));
    logger.info({ kind: embedded.kind, dataDir: DATA_DIR }, 'MONGODB_URI is not set: using an embedded database');
  }
  const uri = config.MONGODB_URI ?? embedded!.uri;

  // Filled in once connected; shutdown closes whatever is open by then.
  const open: { store?: MongoSessionStore; soleInstance?: SoleInstance } = {};
  const stopConnecting = new AbortController();
  const shutdown = gracefulShutdown(logger, async () => {
    stopConnecting.abort();
    await open.soleInstance?.release();
    await open.store?.close().catch((err: unknown) => logger.warn({ err }, 'could not close the session store'));
    await mongoose.disconnect().catch((err: unknown) => logger.warn({ err }, 'could not close mongoose'));
    await closePasswordHashing();
    await embedded?.stop();
  });

  // Until MongoDB answers, every request gets a 503 page; then the real shop takes over.
  let handler: Express = createUnavailableApp(config, logger);
  const server = http.createServer((req, res) => {
    if (shutdown.isShuttingDown()) res.setHeader('Connection', 'close');
    handler(req, res);
  });
  shutdown.watch(server);
  server.once('error', (err: NodeJS.ErrnoException) => {
    // Taken between the check above and now: stop what was started, then say so.
    if (err.code !== 'EADDRINUSE') throw err;
    void embedded?.stop().finally(() => exitWith(`Port ${config.PORT} is in use: set PORT=… to another port.`));
  });
  let shopUrl = '';
  server.listen(config.PORT, config.HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const host = config.HOST === '0.0.0.0' || config.HOST === '127.0.0.1' ? 'localhost' : config.HOST;
    // The address mails link to (APP_URL) when it is set: one host for the console and the mails,
    // so that a visitor who follows a mailed link keeps the cookies of the address they browse.
    shopUrl = config.appUrlGiven ? config.APP_URL : `http://${host}:${port}`;
    logger.debug(`listening on ${shopUrl}; answering 503 until MongoDB is connected`);
  });

  const store = await connectWithRetry(uri, config, logger, stopConnecting.signal);
  open.store = store;
  if (!store || shutdown.isShuttingDown()) return;
  if (!serverCapabilities().atomicUpdates) {
    // This server needs the shop to run as one process (src/db/soleInstance.ts).
    const lost = () => {
      logger.fatal(
        'another instance took over this database while this one was paused, and it allows one only: exiting',
      );
      process.exit(SECOND_INSTANCE_EXIT_CODE);
    };
    try {
      open.soleInstance = await claimSoleInstance(mongoose.connection.db!, lost);
    } catch (err) {
      if (!(err instanceof SecondInstanceError)) throw err;
      await store.close().catch(() => undefined);
      await mongoose.disconnect().catch(() => undefined);
      await embedded?.stop();
      console.error(err.message);
      process.exit(SECOND_INSTANCE_EXIT_CODE);
    }
  }
  if (embedded && (await Product.estimatedDocumentCount()) === 0) {
    const added = await seedDemoData(config.BCRYPT_COST);
    logger.info({ added }, 'stocked the empty embedded database with demo data');
  }
  await dropReplacedIndexes().catch((err: unknown) => logger.warn({ err }, 'could not drop replaced indexes'));
  await indexProductsForSearch().catch((err: unknown) => logger.warn({ err }, 'could not index products for search'));
  await countStockOfOlderProducts()
    .then((uncounted) => {
      if (uncounted > 0)
        logger.warn({ uncounted }, 'products without a stock count are out of stock until an admin enters one');
    })
    .catch((err: unknown) => logger.warn({ err }, 'could not give older products a stock count'));
  await migratePlacedOrders()
    .then((migrated) => migrated > 0 && logger.info({ migrated }, 'orders placed before payments are now paid'))
    .catch((err: unknown) => logger.warn({ err }, 'could not migrate orders placed before payments'));
  await expireLeftovers(config.SESSION_ABSOLUTE_TTL).catch((err: unknown) =>
    logger.warn({ err }, 'could not set up the expiry of guest carts and reset tokens'),
  );
  // Images left unused by a crash mid-upload (services/images.ts); a crash is followed by a restart.
  sweepUnusedImages()
    .then((deleted) => deleted > 0 && logger.info({ deleted }, 'deleted unused uploaded images'))
    .catch((err: unknown) => logger.warn({ err }, 'could not sweep unused uploaded images'));
  // Deletes expired documents where the server's TTL indexes do not (it has nothing to do where they do).
  startExpirySweeper(config.SESSION_SWEEP_INTERVAL * 1000, logger);
  handler = createApp({ config, sessionStore: store, logger });
  // Lapsed holds, unfinished releases and refunds (services/payments.ts); Test Pay's webhook retries.
  const { flow, testPay } = paymentsOf(handler);
  const paymentSweep = setInterval(() => {
    flow.sweep().catch((err: unknown) => logger.warn({ err }, 'could not sweep payments'));
  }, config.PAYMENT_SWEEP_INTERVAL * 1000);
  paymentSweep.unref();
  testPay?.startDelivering(1000);
  const database = embedded ? `embedded ${embedded.name} in ${DATA_DIR}` : redactedUri(uri);
  const demo = embedded
    ? `; demo logins ${DEMO_USER.email} / ${DEMO_USER.password}, admin ${DEMO_ADMIN.email} / ${DEMO_ADMIN.password}`
    : '';
  logger.info(`Fernhill Goods is ready at ${shopUrl} (database: ${database}${demo})`);
}

// The primary validates the configuration (and creates the development secret) before any fork.
const primaryConfig = cluster.isPrimary ? configOrExit() : undefined;
if (primaryConfig && primaryConfig.WEB_CONCURRENCY > 1) runPrimary(primaryConfig);
else void main();
