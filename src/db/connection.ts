import mongoose from 'mongoose';
import { detectCapabilities, rememberCapabilities } from './capabilities';

/** The connection settings the database module reads from the app's configuration. */
export interface DatabaseSettings {
  MONGODB_TIMEOUT_MS: number;
}

/**
 * The driver's timeouts, for the app's one client (mongoose's, which the session store shares). A request's
 * commands share one deadline, `MONGODB_TIMEOUT_MS` (T) after it arrived (deadline.ts), which
 * bounds the wait for a server, for a pooled connection and for a reply; these only add:
 * - server selection (and so a first connect) gives up after T, inside a request or not;
 * - a command sent and unanswered for T + 1 s fails even while the server answers others (one
 *   stuck on it), as does one sent on a connection that has silently died.
 * Waiting for a pooled connection has no limit of its own (the pool hands one out as soon as a
 * command finishes), so a burst of visitors on a busy but working database queues instead of
 * failing. The driver's monitor keeps its defaults (a check every 10 s, each allowed 30 s): it
 * decides nothing for the app. Asking twice a second and giving up after T, it took a slow but
 * working server on a busy host for a dead one, and interrupted every command in flight.
 * Reads are not retried (`retryReads`): a retry waits for the server all over again, and every
 * page and form here may simply be tried again after the 503.
 */
export function driverOptions(config: DatabaseSettings) {
  return {
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    socketTimeoutMS: config.MONGODB_TIMEOUT_MS + 1000,
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
  // Once connected, a command is no longer held in mongoose's queue while the driver looks for the
  // server (that queue waits for a 'connected' event, outside any request's deadline): it goes to
  // the driver, whose server selection honours the deadline and asks the monitor to check at once.
  mongoose.connection.set('bufferCommands', false);
  rememberCapabilities(await detectCapabilities(mongoose.connection.db!));
  return mongoose.connection;
}

/** Answers whether MongoDB responds to a ping right now (within the request's deadline). */
export async function pingDatabase(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db) return false;
  try {
    await db.command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
