/**
 * One `npm test`: the session store package's suite, and the shop's in two groups of files. Most run two at a time (two cores here), each with its own
 * database. The reliability and performance files start servers, cut connections and compare
 * durations: they run one at a time, with nothing beside them (jest runs the groups in turn).
 */
const SERIAL = ['<rootDir>/tests/reliability/', '<rootDir>/tests/performance/'];
/**
 * Files of the shop this run leaves out (JEST_LEAVE_OUT, space-separated paths): CI runs its
 * busy-host files once per server, beside the CPU hogs, rather than a second time on a quiet machine.
 */
const LEFT_OUT = (process.env.JEST_LEAVE_OUT ?? '')
  .split(/\s+/)
  .filter(Boolean)
  .map((file) => `<rootDir>/${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const project = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/tests/setup/capabilities.ts'],
  testTimeout: 30_000,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // The session store package's own suite (packages/session-store/jest.config.js), on the same server.
    '<rootDir>/packages/session-store',
    {
      ...project,
      displayName: 'two at a time',
      testPathIgnorePatterns: ['/node_modules/', '/tests/e2e/', ...SERIAL, ...LEFT_OUT],
    },
    {
      ...project,
      displayName: 'one at a time',
      roots: SERIAL,
      testPathIgnorePatterns: ['/node_modules/', ...LEFT_OUT],
      runner: '<rootDir>/tests/setup/oneAtATimeRunner.js',
    },
  ],
  globalSetup: '<rootDir>/tests/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/setup/globalTeardown.ts',
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/tests/setup/summaryReporter.js'],
  maxWorkers: 2,
};
