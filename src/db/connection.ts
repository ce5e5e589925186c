import mongoose from 'mongoose';
import { detectCapabilities, rememberCapabilities } from './capabilities';

/** The connection settings the database module reads from the app's configuration. */
export interface DatabaseSettings {
  MONGODB_TIMEOUT_MS: number;
}

/** The driver's smallest heartbeat interval: how often each client asks the server whether it is there. */
const HEARTBEAT_MS = 500;

/**
 * Timeouts that make an outage answer 503 within about `MONGODB_TIMEOUT_MS` (T), whatever the
 * failure, instead of the driver's defaults (30 s server selection, sockets and connection queues
 * that wait forever):
 * - a server that is gone: server selection gives up after T;
 * - a server that accepts connections but never answers (hung, stopped, a network black hole): the
 *   monitor, asking every 0.5 s and giving up after T, marks the server unknown, which interrupts
 *   the commands waiting on their replies and makes every new request a 503 at once;
 * - in any case a command gives up one second after T, whether it waits for a connection (new
 *   ones to a hung server never finish their handshake; a pool busy that long sheds load) or for
 *   its reply (a stalled disk or lock while the monitor still gets answers). The extra second is
 *   for commands that are slow but get there.
 * Reads are not retried (`retryReads`): a retry waits for the server all over again, doubling the
 * time to an answer, and every page and form here may simply be tried again after the 503.
 * Used by both clients: mongoose's and the session store's.
 */
export function driverOptions(config: DatabaseSettings) {
  return {
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    connectTimeoutMS: config.MONGODB_TIMEOUT_MS,
    socketTimeoutMS: config.MONGODB_TIMEOUT_MS + 1000,
    waitQueueTimeoutMS: config.MONGODB_TIMEOUT_MS + 1000,
    heartbeatFrequencyMS: HEARTBEAT_MS,
    retryReads: false,
  };
}

/** `options` adds driver options (the benchmark turns on command monitoring with it). */
export async function connectMongoose(uri: string, config: DatabaseSettings, options: mongoose.ConnectOptions = {}) {
  mongoose.set('bufferTimeoutMS', config.MONGODB_TIMEOUT_MS);
  // Never `strictQuery: true`: it silently drops unknown filter keys, so a typo would match everything.
  mongoose.set('strictQuery', false);
  // An object where a filter expects a value (an injected `{ $gt: '' }`) becomes a CastError.
  mongoose.set('sanitizeFilter', true);
  await mongoose.connect(uri, { ...driverOptions(config), ...options });
  rememberCapabilities(await detectCapabilities(mongoose.connection.db!));
  return mongoose.connection;
}

export function isDatabaseConnected(): boolean {
  return mongoose.connection.readyState === mongoose.ConnectionStates.connected;
}

/** Answers whether MongoDB responds to a ping right now (within the request's deadline). */
export async function pingDatabase(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || !isDatabaseConnected()) return false;
  try {
    await db.command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
