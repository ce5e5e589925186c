/**
 * connect-mongodb-session's MongoDBStore, as the store's base class, on a MongoDB client of its
 * own or on one it is given. The library's constructor always creates and connects a client of its
 * own; given one (the app's), this sets up instead what that constructor sets up (the Store, the
 * options with the library's defaults, `client`, `db`, `collection`, its emitter, its TTL index on
 * `expires`, `initialConnectionPromise`) without creating a client. Both share MongoDBStore.prototype,
 * so a store is a MongoDBStore either way.
 */
import { EventEmitter } from 'node:events';
import session from 'express-session';
import type { Collection, Db, MongoClient } from 'mongodb';
import type { ConnectMongoDBSession, MongoDBSessionOptions as BaseOptions, MongoDBStore } from './baseTypes';
import type { ClientSource, ConnectCallback } from './options';

// An untyped CommonJS module (its shape is in baseTypes.ts): required, as the library documents it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connectMongoDBSession = require('connect-mongodb-session') as ConnectMongoDBSession;
const MongoDBStore = connectMongoDBSession(session);

/** The library's option defaults (its OptionsType), for a store whose options it does not compile. */
const BASE_DEFAULTS = {
  collection: 'sessions',
  connectionOptions: null,
  expires: 14 * 24 * 60 * 60 * 1000,
  idField: '_id',
  databaseName: null,
  expiresKey: 'expires',
  expiresAfterSeconds: 0,
};

/** The library's error handling (`handleError`), except that it never throws: a given client's failures are its owner's. */
function reportTo(store: MongoDBStore) {
  return (error: Error, callback?: (error?: Error) => void) => {
    if (store._emitter.listenerCount('error') > 0) store._emitter.emit('error', error);
    callback?.(error);
  };
}

/**
 * The database and collection of the client `source` names now. A mongoose Connection makes a new
 * client on every connect: the store follows it, as mongoose's models do.
 */
function followClient(source: () => MongoClient, databaseName: string | null | undefined, collectionName: string) {
  let current: { client: MongoClient; db: Db; collection: Collection } | undefined;
  return () => {
    const client = source();
    if (current?.client !== client) {
      const db = databaseName == null ? client.db() : client.db(databaseName);
      current = { client, db, collection: db.collection(collectionName) };
    }
    return current;
  };
}

/** What the base constructor does when given a client, as a constructor of a MongoDBStore. */
function MongoDBStoreOn(
  this: MongoDBStore,
  options: BaseOptions,
  source: ClientSource | undefined,
  callback?: ConnectCallback,
): void {
  if (!source) {
    // The library's own constructor: it creates and connects a client (and owns it).
    Reflect.apply(MongoDBStore, this, [options, callback]);
    return;
  }
  Reflect.apply(session.Store, this, [options]);
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const compiled = { ...BASE_DEFAULTS, ...defined } as MongoDBStore['options'];
  const holder = 'getClient' in source ? source : undefined;
  const at = followClient(
    holder ? () => holder.getClient() : () => source as MongoClient,
    compiled.databaseName ?? holder?.name,
    compiled.collection,
  );
  Object.assign(this, { _emitter: new EventEmitter(), options: compiled });
  Object.defineProperties(this, {
    client: { get: () => at().client, enumerable: true },
    db: { get: () => at().db, enumerable: true },
    collection: { get: () => at().collection, enumerable: true },
  });
  const report = reportTo(this);
  Object.assign(this, { _errorHandler: report });
  // As the library does once connected: its TTL index, then 'connected'. "Connected" here means
  // that the server answered, through the given client.
  this.initialConnectionPromise = this.db.command({ ping: 1 }).then(
    async () => {
      await this.collection
        .createIndex({ [compiled.expiresKey]: 1 }, { expireAfterSeconds: compiled.expiresAfterSeconds })
        .catch((err: unknown) => report(new Error(`Error creating index: ${(err as Error).message}`)));
      process.nextTick(() => callback?.());
      this._emitter.emit('connected');
      return this.client;
    },
    (err: unknown) => {
      report(new Error(`Error connecting to db: ${(err as Error).message}`), callback);
      return undefined;
    },
  );
}
MongoDBStoreOn.prototype = MongoDBStore.prototype;

/**
 * The base class: `new (options, source, callback)` builds a MongoDBStore on `source` (a client or
 * a mongoose Connection) when given, else on a client of the library's own.
 */
export const MongoDBStoreBase = MongoDBStoreOn as unknown as new (
  options: BaseOptions,
  source: ClientSource | undefined,
  callback?: ConnectCallback,
) => MongoDBStore;
