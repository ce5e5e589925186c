// Required by both suites' preloads. A test that has passed and throws afterwards (a store calling
// a callback twice, an unhandled rejection) makes mocha, since v7, fail it and abort the whole run,
// leaving every later test unrun; mocha 3.1.2, which connect-mongodb-session's suite pins, ignored
// such errors. Here the test is failed and the run goes on, so each count covers the whole suite.
const { Runner } = require('mocha');

const uncaught = Runner.prototype._uncaught; // bound to each runner in its constructor, after this
Runner.prototype._uncaught = function (err) {
  const test = this.currentRunnable;
  if (test && test.isPassed()) return this.fail(test, err);
  return uncaught.call(this, err);
};
