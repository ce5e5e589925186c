/**
 * Browser tests (`npm run test:e2e`): the built server in a child process, driven by Chromium.
 * Run in band: each test file starts its own server and browser, and two at once would crowd two cores.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  roots: ['<rootDir>/tests/e2e'],
  testMatch: ['<rootDir>/tests/e2e/**/*.e2e.test.ts'],
  globalSetup: '<rootDir>/tests/e2e/support/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/setup/globalTeardown.ts',
  maxWorkers: 1,
  // Server starts, restarts and browser launches take seconds; Playwright's own timeouts (10 s per
  // action) fail a stuck step well before this.
  testTimeout: 90_000,
  reporters: ['default', '<rootDir>/tests/setup/summaryReporter.js'],
};
