// Loaded by mocha (--require) before express-session's suite: root hooks that prepare the stores'
// collections before it and close the stores' clients after it (the stores themselves come in
// through index.js), and ../late-failures.js.
const { mochaHooks, prepareCollections } = require('../stores');
require('../late-failures');

module.exports = { mochaHooks: { ...mochaHooks, beforeAll: prepareCollections } };
