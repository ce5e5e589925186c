/** A store on the test server, opened as an app opens it, and its callback API as promises. */
import { Cookie, type Session, type SessionData } from 'express-session';
import { MongoClient, type Collection, type MongoClientOptions } from 'mongodb';
import { openSessionStore, type MongoSessionStore, type SessionDocument } from '../../src';
import { CLIENT_OPTIONS, uniqueDatabaseUri } from './server';

/** The store's callback API as promises. */
export function promised(store: MongoSessionStore) {
  const done =
    <T>(resolve: (value: T) => void, reject: (err: unknown) => void) =>
    (err: unknown, value?: T) =>
      err ? reject(err) : resolve(value as T);
  return {
    get: (sid: string) =>
      new Promise<SessionData | null | undefined>((resolve, reject) => store.get(sid, done(resolve, reject))),
    load: (sid: string) =>
      new Promise<(Session & SessionData) | undefined>((resolve, reject) =>
        store.load(sid, done(resolve as (value: unknown) => void, reject)),
      ),
    set: (sid: string, data: SessionData) =>
      new Promise<void>((resolve, reject) => store.set(sid, data, done(resolve, reject))),
    touch: (sid: string, data: SessionData) =>
      new Promise<void>((resolve, reject) => store.touch(sid, data, done(resolve, reject))),
    destroy: (sid: string) => new Promise<void>((resolve, reject) => store.destroy(sid, done(resolve, reject))),
    all: () =>
      new Promise<Record<string, SessionData> | null | undefined>((resolve, reject) =>
        store.all(done(resolve, reject)),
      ),
    length: () => new Promise<number | undefined>((resolve, reject) => store.length(done(resolve, reject))),
  };
}

// @types/express-session leaves out the constructor's options argument.
const CookieOf = Cookie as unknown as new (options: { maxAge: number; httpOnly: boolean; path: string }) => Cookie;

/** Session data as express-session hands it to the store. */
export function sessionData(
  fields: Partial<SessionData> & Record<string, unknown> = {},
  maxAgeMs = 60_000,
): SessionData {
  return { cookie: new CookieOf({ maxAge: maxAgeMs, httpOnly: true, path: '/' }), ...fields } as SessionData;
}

let counter = 0;
export const newSid = () => `sid-${process.pid}-${Date.now()}-${(counter += 1)}`;

export const ABSOLUTE_TTL_MS = 60 * 60 * 1000;

export interface TestStore {
  store: MongoSessionStore<'userAgent'>;
  api: ReturnType<typeof promised>;
  /** The store's collection, typed as the store writes it. */
  raw: Collection<SessionDocument>;
}

/**
 * A store on a client and database of their own for the enclosing describe (or file), as the app
 * opens it (the client is the caller's: the test's here, mongoose's in the app): 60 s idle timeout,
 * 1 s touch interval, 1 h absolute lifetime, the user's id at `user._id`, the user agent listed;
 * emptied before each test.
 */
export function useTestStore(
  connectionOptions: MongoClientOptions = {},
  { idHashSecret, encryptionKeys }: { idHashSecret?: string; encryptionKeys?: readonly string[] } = {},
): () => TestStore {
  const uri = uniqueDatabaseUri();
  let client: MongoClient | undefined;
  let opened: TestStore | undefined;
  beforeAll(async () => {
    client = new MongoClient(uri, { ...CLIENT_OPTIONS, ...connectionOptions });
    const store = await openSessionStore({
      client,
      maxAgeMs: 60_000,
      touchIntervalMs: 1000,
      absoluteTtlMs: ABSOLUTE_TTL_MS,
      // Swept by the tests themselves (sweepExpired), whatever the server's TTL monitor does.
      expiry: { sweepEveryMs: 60 * 60 * 1000 },
      idHashSecret,
      encryptionKeys,
      userIdField: 'user._id',
      listedFields: ['userAgent'],
    });
    opened = { store, api: promised(store), raw: store.collection as unknown as Collection<SessionDocument> };
  });
  afterAll(async () => {
    await opened?.store.db.dropDatabase().catch(() => {});
    await opened?.store.close();
    await client?.close();
  });
  beforeEach(async () => {
    await opened?.store.collection.deleteMany({});
  });
  return () => {
    if (!opened) throw new Error('the test store is opened in beforeAll');
    return opened;
  };
}
