// Our own declarations: @types/connect-mongodb-session targets an older MongoDB driver.
declare module 'connect-mongodb-session' {
  import type session from 'express-session';
  import type { EventEmitter } from 'node:events';
  import type { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';

  namespace connectMongoDBSession {
    interface MongoDBSessionOptions {
      uri: string;
      collection?: string;
      databaseName?: string;
      connectionOptions?: MongoClientOptions;
      /** Lifetime in ms of a session whose cookie has no expiry. */
      expires?: number;
      idField?: string;
      expiresKey?: string;
      expiresAfterSeconds?: number;
    }

    class MongoDBStore extends session.Store {
      constructor(options: MongoDBSessionOptions, callback?: (error?: Error) => void);
      client: MongoClient;
      db: Db;
      collection: Collection;
      options: Required<Omit<MongoDBSessionOptions, 'databaseName' | 'connectionOptions'>> &
        Pick<MongoDBSessionOptions, 'databaseName' | 'connectionOptions'>;
      /** Resolves to the client once connected; to undefined when the first connect failed. */
      initialConnectionPromise: Promise<MongoClient | undefined>;
      /** Where `on`/`once` register listeners ('error', 'connected'): emit there, not on the store. */
      _emitter: EventEmitter;
      get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void;
      set(sid: string, session: session.SessionData, callback?: (err?: unknown) => void): void;
      destroy(sid: string, callback?: (err?: unknown) => void): void;
      clear(callback?: (err?: unknown) => void): void;
    }
  }

  function connectMongoDBSession(expressSession: typeof session): typeof connectMongoDBSession.MongoDBStore;

  export = connectMongoDBSession;
}
