/** The package's own tests: the store's contract, on the server at MONGODB_URI (or a throwaway mongod). */
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'session store',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/tests/support/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/support/globalTeardown.ts',
  testTimeout: 30_000,
};
