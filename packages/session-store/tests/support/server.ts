/**
 * The MongoDB server the tests run on: MONGODB_URI when set (the shop's CI runs the suite on
 * FerretDB and on mongo-java-server), otherwise the one globalSetup.ts started. Each test file gets
 * databases of its own.
 */
import { randomBytes } from 'node:crypto';
import ConnectionString from 'mongodb-connection-string-url';
import type { MongoClientOptions } from 'mongodb';

/** Fails fast when the server is away, rather than after the driver's 30 s. */
export const CLIENT_OPTIONS: MongoClientOptions = { serverSelectionTimeoutMS: 5000 };

/** A URI of the test server naming a database nobody else uses. */
export function uniqueDatabaseUri(): string {
  const base = process.env.MONGODB_URI;
  if (!base)
    throw new Error('MONGODB_URI is not set: run the tests with `npm test` (see tests/support/globalSetup.ts)');
  const uri = new ConnectionString(base);
  uri.pathname = `/session_store_test_${process.env.JEST_WORKER_ID ?? 0}_${randomBytes(4).toString('hex')}`;
  return uri.toString();
}
