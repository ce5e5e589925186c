// Our own declarations: @types/connect-mongodb-session targets an older MongoDB driver.
declare module 'connect-mongodb-session' {
  import type session from 'express-session';
  import type { EventEmitter } from 'node:events';
  import type { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';

  namespace connectMongoDBSession {
    /** Every option has a default (the uri's is mongodb://127.0.0.1:27017/test). */
    interface MongoDBSessionOptions {
      uri?: string;
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
      constructor(callback: (error?: Error) => void);
      constructor(options?: MongoDBSessionOptions, callback?: (error?: Error) => void);
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
  }

  function connectMongoDBSession(expressSession: typeof session): typeof connectMongoDBSession.MongoDBStore;

  export = connectMongoDBSession;
}
