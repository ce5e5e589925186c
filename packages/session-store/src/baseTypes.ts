/**
 * The shape of connect-mongodb-session, the base class: the library ships no types, and
 * @types/connect-mongodb-session targets an older MongoDB driver. Declared here, as a module of the
 * package, so that the published declarations need nothing from the consumer.
 */
import type session from 'express-session';
import type { EventEmitter } from 'node:events';
import type { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';

/** The base's options; every one has a default (the uri's is mongodb://127.0.0.1:27017/test). */
export interface MongoDBSessionOptions {
  uri?: string;
  collection?: string;
  databaseName?: string;
  connectionOptions?: MongoClientOptions;
  /** Lifetime in ms of a session whose cookie has no expiry. */
  expires?: number;
  idField?: string;
  expiresKey?: string;
  /** The TTL index's delay after `expires` (the base's default is 0; this store's is a grace, see options.ts). */
  expiresAfterSeconds?: number;
}

/** connect-mongodb-session's MongoDBStore, as an instance. */
export interface MongoDBStore extends session.Store {
  client: MongoClient;
  db: Db;
  collection: Collection;
  /** The options with the library's defaults filled in (no `uri` on a store given a client, base.ts). */
  options: Required<Omit<MongoDBSessionOptions, 'uri' | 'databaseName' | 'connectionOptions'>> & {
    uri?: string;
    databaseName?: string | null;
    connectionOptions?: MongoClientOptions | null;
  };
  /**
   * Resolves to the client once connected. When the first connect fails: undefined if a callback
   * was given, else it rejects (and nobody catching that ends the process).
   */
  initialConnectionPromise: Promise<MongoClient | undefined>;
  /** Where the library's `on`/`once` register listeners and where it emits ('error', 'connected'). */
  _emitter: EventEmitter;
  get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void;
  set(sid: string, session: session.SessionData, callback?: (err?: unknown) => void): void;
  destroy(sid: string, callback?: (err?: unknown) => void): void;
  clear(callback?: (err?: unknown) => void): void;
}

/** What `require('connect-mongodb-session')` is: given express-session, the MongoDBStore class. */
export type ConnectMongoDBSession = (
  expressSession: typeof session,
) => new (options?: MongoDBSessionOptions, callback?: (error?: Error) => void) => MongoDBStore;
