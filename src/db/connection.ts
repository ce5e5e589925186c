import mongoose from 'mongoose';
import { detectCapabilities, rememberCapabilities } from './capabilities';

/** The connection settings the database module reads from the app's configuration. */
export interface DatabaseSettings {
  MONGODB_TIMEOUT_MS: number;
}

/**
 * Short timeouts so that an outage answers 503 within seconds instead of hanging for the driver's
 * default 30 s server selection (and mongoose's 10 s buffering).
 */
export function driverOptions(config: DatabaseSettings) {
  return {
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    connectTimeoutMS: config.MONGODB_TIMEOUT_MS,
    heartbeatFrequencyMS: Math.max(500, Math.min(config.MONGODB_TIMEOUT_MS, 10_000)),
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
