// A mocha reporter for run.mjs: mocha's spec output (for the run's log), and at the end a JSON file
// (reporter option `output`) with the suite's number of tests and how each ended. The number is
// mocha's count before the run, so tests that a failed hook kept from running count too.
const fs = require('node:fs');
const Mocha = require('mocha');

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class PeersReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // By test (titles repeat): a test that passed and then threw counts as failed. Hooks fail too.
    const outcomes = new Map();
    runner.on(EVENT_TEST_PASS, (test) => outcomes.set(test, { passed: true }));
    runner.on(EVENT_TEST_PENDING, (test) => outcomes.set(test, { pending: true }));
    runner.on(EVENT_TEST_FAIL, (test, err) =>
      outcomes.set(test, { hook: test.type === 'hook', error: String((err && err.message) || err).split('\n')[0] }),
    );
    runner.once(EVENT_RUN_END, () => {
      const all = [...outcomes].map(([test, outcome]) => ({ title: test.fullTitle(), ...outcome }));
      const result = {
        total: runner.total,
        passed: all.filter((o) => o.passed).length,
        pending: all.filter((o) => o.pending).length,
        failures: all.filter((o) => !o.passed && !o.pending).map(({ title, hook, error }) => ({ title, hook, error })),
      };
      fs.writeFileSync(options.reporterOption.output, JSON.stringify(result, null, 2));
    });
  }
}

module.exports = PeersReporter;
