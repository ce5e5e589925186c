import { createHmac, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import type { SessionData } from 'express-session';
import mongoose from 'mongoose';
import request from 'supertest';
import { createApp, type AppDependencies } from '../../src/app';
import { createPayments } from '../../src/payments';
import { connectMongoose } from '../../src/db';
import { sessionStoreOptions } from '../../src/config/session';
import { parseConfig, type Config } from '../../src/config/env';
import { createLogger, type Logger } from '../../src/lib/logger';
import { openSessionStore, type MongoSessionStore } from '@fernhill/session-store';
import { freshDatabaseUri } from '../../support/database';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-production';
/** Keys the sessions collection (SESSION_ID_HASH_SECRET): `storedSessionId` finds a cookie's document with it. */
export const TEST_ID_HASH_SECRET = 'test-session-id-hash-secret-apart-from-the-cookies';

/** Encrypts the authenticator keys of test accounts (DATA_ENCRYPTION_KEY). */
export const TEST_DATA_KEY = 'test-data-encryption-key-of-at-least-32-characters';

/**
 * Where mails land in tests: one folder per test file (jest loads this module afresh for each), as
 * the emails of `uniqueEmail` repeat from one file to the next.
 */
export const TEST_OUTBOX = path.join(os.tmpdir(), `shop-test-outbox-${process.pid}-${randomBytes(4).toString('hex')}`);

/** A database of its own for one test file, on the server named by MONGODB_URI. */
export function uniqueDatabaseUri(): string {
  const base = process.env.MONGODB_URI;
  if (!base) throw new Error('MONGODB_URI is not set: run the tests with `npm test` (see tests/setup)');
  return freshDatabaseUri(base, `shop_test_${process.env.JEST_WORKER_ID ?? 0}`);
}

/** The `_id` under which the app's store keeps the session of this cookie id (an HMAC, see packages/session-store/src/ids.ts). */
export const storedSessionId = (sid: string) => createHmac('sha256', TEST_ID_HASH_SECRET).update(sid).digest('hex');

/**
 * What a session document holds in `user` for its user (the shop's sessions are sealed: the data is
 * encrypted, and the user is named by an HMAC, see the store's codec.ts). Query `{ user: storedUserKey(id) }`.
 */
export const storedUserKey = (userId: string) =>
  createHmac('sha256', TEST_ID_HASH_SECRET).update(`user:${userId}`).digest('hex');

/**
 * Changes a stored session as a bug or an attacker with the app's keys might, through the store
 * (its data is sealed: a raw update of the document would not reach it). Fails when there is none.
 */
export async function editStoredSession(
  store: MongoSessionStore<string>,
  sid: string,
  edit: (data: SessionData) => SessionData,
): Promise<void> {
  const data = await storedSession(store, sid);
  if (!data) throw new Error('no live session to edit');
  await new Promise<void>((resolve, reject) =>
    store.set(sid, edit(data), (err) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
    ),
  );
}

/** The session data the store reads for a cookie's session id (null: no live session), decrypted. */
export const storedSession = (store: MongoSessionStore<string>, sid: string) =>
  new Promise<SessionData | null | undefined>((resolve, reject) =>
    store.get(sid, (err, data) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(data))),
  );

export function testConfig(env: Record<string, string> = {}): Config {
  return parseConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: TEST_SECRET,
    SESSION_ID_HASH_SECRET: TEST_ID_HASH_SECRET,
    DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
    // Cheap hashes keep the suite fast; the cost-12 default is asserted in config.test.ts.
    BCRYPT_COST: '4',
    // Generous: a busy 2-core machine can stall the event loop past a short heartbeat timeout, and
    // a stalled monitor would mark the database gone. Fault tests set their own (FAST_FAILURE).
    MONGODB_TIMEOUT_MS: '5000',
    // Every test request comes from 127.0.0.1: per-IP limits are set low only where tested.
    LOGIN_MAX_FAILURES_PER_IP: '10000',
    PASSWORD_CHECKS_PER_NETWORK: '1000',
    SIGNUP_MAX_PER_HOUR: '10000',
    GUEST_CARTS_PER_HOUR: '10000',
    RESET_MAX_PER_HOUR: '10000',
    RESET_MAX_PER_ACCOUNT_PER_HOUR: '10000',
    MAIL_OUTBOX_DIR: TEST_OUTBOX,
    ...env,
  });
}

export interface TestApp {
  app: Express;
  /** The database this instance uses. */
  uri: string;
  store: MongoSessionStore;
  config: Config;
  /** Closes this instance's session store (mongoose, whose client it used, stays connected for the file). */
  close(): Promise<void>;
}

/** Builds one app instance the way server.ts does: config → store → createApp. */
export async function buildApp(
  uri: string,
  env: Record<string, string> = {},
  logger: Logger = createLogger('silent'),
  extra: Pick<AppDependencies, 'sendMail' | 'mailRetryDelaysMs'> = {},
): Promise<TestApp> {
  const config = testConfig(env);
  // On mongoose's connection, as server.ts opens it: connect mongoose to `uri` first (useTestDatabase).
  const store = await openSessionStore(sessionStoreOptions(config, mongoose.connection, logger));
  // Test Pay's webhooks go into this very app, in-process (as over HTTP: the path, headers, raw body).
  const built: { app?: Express } = {};
  const payments = createPayments(config, {
    db: () => mongoose.connection.db!,
    log: logger,
    send: async (url, body, headers) => {
      if (!built.app) throw new Error('the app is not built yet');
      return (await request(built.app).post(new URL(url).pathname).set(headers).send(body)).status;
    },
  });
  const app = createApp({ config, sessionStore: store, logger, payments, ...extra });
  built.app = app;
  return {
    app,
    uri,
    store,
    config,
    close: () => store.close(),
  };
}

/**
 * Connects mongoose to a fresh database for this test file and drops it afterwards. Call at the
 * top of a describe block or file; use the returned getter inside tests.
 */
export function useTestDatabase(): () => string {
  const uri = uniqueDatabaseUri();
  beforeAll(async () => {
    await connectMongoose(uri, testConfig());
    await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  });
  afterAll(async () => {
    await mongoose.connection.dropDatabase().catch(() => {});
    await mongoose.disconnect();
  });
  return () => uri;
}

/** One app instance for the whole file (or describe block), on the given database. */
export function useAppOn(database: () => string, env: Record<string, string> = {}): () => TestApp {
  let instance: TestApp | undefined;
  beforeAll(async () => {
    instance = await buildApp(database(), env);
  });
  afterAll(async () => {
    await instance?.close();
  });
  return () => {
    if (!instance) throw new Error('the test app is built in beforeAll');
    return instance;
  };
}

/** One app instance for the whole file, on the file's own database. */
export function useTestApp(env: Record<string, string> = {}): () => TestApp {
  return useAppOn(useTestDatabase(), env);
}
