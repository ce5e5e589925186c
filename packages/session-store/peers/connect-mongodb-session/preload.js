// Loaded by mocha (--require) before connect-mongodb-session's suite. The suite is written for a
// MongoDB at 127.0.0.1:27017 (its default uri, mongodb://127.0.0.1:27017/test, and the examples'
// database connect_mongodb_session_test) and for a checkout of the library itself (upstream runs
// it with NODE_PATH=../). Rather than editing the vendored tests:
// - require('connect-mongodb-session') from test/ resolves to index.js here, the class under test;
// - mongodb.MongoClient becomes a subclass that sends 127.0.0.1:27017 to the server at MONGODB_URI,
//   prefixes database names with PEERS_DB (a fresh database per run), and is closed after the suite.
//   It is the driver's own export that is replaced, so the library, our store and the tests (which
//   also stub MongoClient.prototype.connect through it) all get it.
const Module = require('node:module');
const path = require('node:path');
const mongodb = require('mongodb');
const { closeLater, mochaHooks } = require('../stores');
require('../late-failures');

const testDir = path.join(__dirname, 'test') + path.sep;
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'connect-mongodb-session' && parent && parent.filename && parent.filename.startsWith(testDir)) {
    return path.join(__dirname, 'index.js');
  }
  return resolveFilename.call(this, request, parent, ...rest);
};

const server = new URL(process.env.MONGODB_URI);
const prefix = process.env.PEERS_DB;
const SYSTEM_DATABASES = new Set(['admin', 'local', 'config']);
const renamed = (name) => (SYSTEM_DATABASES.has(name) || name.startsWith(prefix) ? name : `${prefix}_${name}`);

function redirected(uri) {
  const url = new URL(uri);
  if (url.host !== '127.0.0.1:27017') return uri; // e.g. the examples' bad.host, left to fail
  url.host = server.host;
  url.username = server.username;
  url.password = server.password;
  url.pathname = `/${renamed(url.pathname.slice(1) || 'test')}`;
  for (const [key, value] of server.searchParams) if (!url.searchParams.has(key)) url.searchParams.set(key, value);
  return url.href;
}

class RedirectedClient extends mongodb.MongoClient {
  constructor(uri, options) {
    super(redirected(uri), options);
    closeLater(() => this.close());
  }

  db(name, options) {
    return super.db(name === undefined ? name : renamed(name), options);
  }
}
Object.defineProperty(mongodb, 'MongoClient', { value: RedirectedClient, enumerable: true, configurable: true });

module.exports = { mochaHooks };
