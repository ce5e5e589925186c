/**
 * Prints one plain closing line, "Tests: N passed, N failed", that CI tooling can read whatever
 * the runner: a jest reporter (jest's own summary says "N passed, N total") and a Playwright one.
 */
class SummaryReporter {
  static print(passed, failed, skipped) {
    const line = `Tests: ${passed} passed, ${failed} failed`;
    process.stdout.write(`${skipped ? `${line}, ${skipped} skipped` : line}\n`);
  }

  // jest
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    SummaryReporter.print(results.numPassedTests, results.numFailedTests, skipped);
  }

  // Playwright
  onBegin(_config, suite) {
    this.suite = suite;
  }

  onEnd() {
    const outcomes = this.suite.allTests().map((test) => test.outcome());
    const count = (...kinds) => outcomes.filter((outcome) => kinds.includes(outcome)).length;
    SummaryReporter.print(count('expected', 'flaky'), count('unexpected'), count('skipped'));
  }

  printsToStdio() {
    return true;
  }
}

module.exports = SummaryReporter;
