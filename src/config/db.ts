import mongoose from 'mongoose';
import type { Config } from './env';

/**
 * Short timeouts so that an outage answers 503 within seconds instead of hanging for the driver's
 * default 30 s server selection (and mongoose's 10 s buffering).
 */
export function driverOptions(config: Pick<Config, 'MONGODB_TIMEOUT_MS'>) {
  return {
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    connectTimeoutMS: config.MONGODB_TIMEOUT_MS,
    heartbeatFrequencyMS: Math.max(500, Math.min(config.MONGODB_TIMEOUT_MS, 10_000)),
  };
}

/** `options` adds driver options (the benchmark turns on command monitoring with it). */
export async function connectMongoose(
  uri: string,
  config: Pick<Config, 'MONGODB_TIMEOUT_MS'>,
  options: mongoose.ConnectOptions = {},
) {
  mongoose.set('bufferTimeoutMS', config.MONGODB_TIMEOUT_MS);
  // Never `strictQuery: true`: it silently drops unknown filter keys, so a typo would match everything.
  mongoose.set('strictQuery', false);
  // An object where a filter expects a value (an injected `{ $gt: '' }`) becomes a CastError.
  mongoose.set('sanitizeFilter', true);
  await mongoose.connect(uri, { ...driverOptions(config), ...options });
  return mongoose.connection;
}

export function isDatabaseConnected(): boolean {
  return mongoose.connection.readyState === mongoose.ConnectionStates.connected;
}

/** Answers whether MongoDB responds to a ping right now. */
export async function pingDatabase(): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || !isDatabaseConnected()) return false;
  try {
    await db.admin().ping();
    return true;
  } catch {
    return false;
  }
}

const UNAVAILABLE_ERRORS = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** Socket errors that the driver passes on unwrapped, e.g. `write ECONNRESET` when a link dies mid-command. */
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTCONN']);

/** True for errors that mean "the database cannot be reached", which the app answers with 503. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Checked before `instanceof`: node's socket errors may come from another realm (jest's sandbox).
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_ERRORS.has(error.name)) return true;
  // mongoose: "Operation `users.findOne()` buffering timed out after 3000ms"
  return error.name === 'MongooseError' && /buffering timed out/.test(error.message);
}
