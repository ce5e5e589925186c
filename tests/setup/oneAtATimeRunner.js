const TestRunner = require('jest-runner').default;

/**
 * jest's own runner, with one worker: the files of a project that uses it run one after another,
 * each still in a worker process of its own, and (jest runs each runner's files in turn) with no
 * file of another project beside them.
 */
class OneAtATimeRunner extends TestRunner {
  constructor(globalConfig, context, runnerOptions) {
    super({ ...globalConfig, maxWorkers: 1 }, context, runnerOptions);
  }
}

module.exports = OneAtATimeRunner;
