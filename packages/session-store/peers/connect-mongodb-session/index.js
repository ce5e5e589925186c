// Stands in for connect-mongodb-session in its own suite (test/), which loads it as require('../')
// and, in the examples, as require('connect-mongodb-session') (preload.js points that here).
// Given express-session (or a stub Store, in the unit tests), it returns the class under test:
// the original's MongoDBStore, or our MongoSessionStore, which is built on express-session's
// Store whatever it is given.
const { storeName, loadOurStore } = require('../stores');

module.exports = function connectMongoDBSession(connect) {
  if (storeName === 'ours') return loadOurStore().MongoSessionStore;
  return require('connect-mongodb-session')(connect);
};
