// Stands in for express-session's own index.js, which its suite (test/) loads as require('../'):
// the installed express-session, with the store under test (../stores.js) wherever the suite
// would get a MemoryStore. The suite gets one in two ways, and both are covered here:
// - `new session.MemoryStore()`, handed to session({ store }): MemoryStore below returns a new
//   store of ours (a constructor that returns an object makes `new` return that object);
// - session() without a store, where express-session makes a MemoryStore of its own: given one here.
// Every store is a new, empty one (a collection of its own), as a new MemoryStore is.
const session = require('express-session');
const { newStore } = require('../stores');

function sessionWithStore(options) {
  return session(options && options.store ? options : { ...options, store: newStore() });
}

// Store, Session, Cookie as they are (the suite's own stores extend Store).
Object.assign(sessionWithStore, session, {
  MemoryStore: function MemoryStore() {
    return newStore();
  },
});

module.exports = sessionWithStore;
