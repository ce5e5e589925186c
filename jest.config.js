/**
 * One `npm test`: the session store package's suite, and the shop's in two groups of files. Most run two at a time (two cores here), each with its own
 * database. The reliability and performance files start servers, cut connections and compare
 * durations: they run one at a time, with nothing beside them (jest runs the groups in turn).
 */
const SERIAL = ['<rootDir>/tests/reliability/', '<rootDir>/tests/performance/'];

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
    { ...project, displayName: 'two at a time', testPathIgnorePatterns: ['/node_modules/', '/tests/e2e/', ...SERIAL] },
    {
      ...project,
      displayName: 'one at a time',
      roots: SERIAL,
      runner: '<rootDir>/tests/setup/oneAtATimeRunner.js',
    },
  ],
  globalSetup: '<rootDir>/tests/setup/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/setup/globalTeardown.ts',
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/tests/setup/summaryReporter.js'],
  maxWorkers: 2,
};
