// The stores that the peer suites run against, loaded inside each mocha process by the suite's
// preload. run.mjs names them in the environment: PEERS_STORE (a key of STORES), PEERS_DB (a fresh
// database, dropped by run.mjs before and after) on the server at MONGODB_URI.
const fs = require('node:fs');
const path = require('node:path');
const { MongoClient } = require('mongodb');

const packageDir = path.resolve(__dirname, '..');

/** The stores, by the key run.mjs and the preloads use. */
const STORES = {
  ours: 'ours (@fernhill/session-store)',
  'connect-mongo': 'connect-mongo',
  'connect-mongodb-session': 'connect-mongodb-session',
  memory: 'MemoryStore (the suite as upstream runs it)',
};

/** Where our store is loaded from: the build output if there is one, else the sources (through tsx). */
function ourStoreSource() {
  const built = path.join(packageDir, 'dist', 'cjs', 'index.js');
  return fs.existsSync(built) ? built : path.join(packageDir, 'src', 'index.ts');
}

let ours;
/** Our package's exports (`MongoSessionStore`, `openSessionStore`, ...), loaded once. */
function loadOurStore() {
  if (!ours) {
    const source = ourStoreSource();
    // tsx's require compiles TypeScript for this one call, without hooking every later require.
    ours = source.endsWith('.ts') ? require('tsx/cjs/api').require(source, __filename) : require(source);
  }
  return ours;
}

const storeName = process.env.PEERS_STORE;
const databaseName = process.env.PEERS_DB;

// Everything that holds a connection or a timer, closed after the suite (`mochaHooks`) so that
// mocha exits by itself: run.mjs reports a run that does not as a failure.
const toClose = new Set();
function closeLater(close) {
  toClose.add(close);
}

let shared;
/** One client for all the stores of a run that can be given one (ours, connect-mongo). */
function sharedClient() {
  if (!shared) {
    shared = new MongoClient(process.env.MONGODB_URI); // connects on its first operation
    closeLater(() => shared.close());
  }
  return shared;
}

/** The app listens to a store's 'error' events (and the base throws when nobody does): so do we. */
function logErrors(store) {
  store.on('error', (err) => console.error(`[${storeName} store] ${err && err.message}`));
  return store;
}

let stores = 0;
/**
 * A new, empty store of the kind under test, as `new MemoryStore()` would be: each on a
 * collection of its own, since the suites count a store's sessions.
 */
function newStore() {
  const collection = `sessions_${++stores}`;
  switch (storeName) {
    case 'ours': {
      // How the app makes it (open.ts), minus its own options: the app's client, a collection.
      const { MongoSessionStore } = loadOurStore();
      return logErrors(new MongoSessionStore({ client: sharedClient(), databaseName, collection }));
    }
    case 'connect-mongo':
      // Without its TTL index (autoRemove), which only deletes what reads already skip as expired:
      // FerretDB refuses the index, and connect-mongo then fails every operation of the store.
      return require('connect-mongo').MongoStore.create({
        client: sharedClient(),
        dbName: databaseName,
        collectionName: collection,
        autoRemove: 'disabled',
      });
    case 'connect-mongodb-session': {
      // It takes no client: each store makes (and keeps) its own.
      const MongoDBStore = require('connect-mongodb-session')(require('express-session'));
      const store = new MongoDBStore({ uri: process.env.MONGODB_URI, databaseName, collection });
      closeLater(() => store.client.close());
      return logErrors(store);
    }
    case 'memory':
      return new (require('express-session').MemoryStore)();
    default:
      throw new Error(`PEERS_STORE must be one of ${Object.keys(STORES).join(', ')}, not '${storeName}'`);
  }
}

// More than express-session's suite makes stores (about 150).
const PREPARED_COLLECTIONS = 200;
/**
 * Creates the collections that newStore() hands out, before the suite. mongo-java-server can fail
 * an insert that creates a collection while an index creation creates it too (a
 * ConcurrentModificationException in the server, "Unknown error: null" here), which is what a new
 * store's first request and its constructor's index creation do at once.
 */
async function prepareCollections() {
  if (storeName === 'memory') return;
  const db = sharedClient().db(databaseName);
  for (let i = 1; i <= PREPARED_COLLECTIONS; i++) {
    await db.createCollection(`sessions_${i}`).catch((err) => {
      if (err.code !== 48) throw err; // NamespaceExists: a database that was not dropped, still empty
    });
  }
}

/** Mocha root hooks (exported by each preload). */
const mochaHooks = {
  async afterAll() {
    await Promise.allSettled([...toClose].map((close) => close()));
  },
};

module.exports = {
  STORES,
  storeName,
  ourStoreSource,
  loadOurStore,
  newStore,
  prepareCollections,
  closeLater,
  mochaHooks,
};
