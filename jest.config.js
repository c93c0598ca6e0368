/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // jose 6 ships only ES modules; see the transformer for why it is not ts-jest.
    '/node_modules/jose/.+\\.js$': '<rootDir>/test/support/esm-transform.js',
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testTimeout: 60000,
  maxWorkers: 2,
  // A worker's exit takes 1.1-1.3 s after its last file (from its exit event, with no handle left
  // open, to its end): longer than Jest's default half second, after which Jest kills it and
  // prints "A worker process has failed to exit gracefully".
  workerGracefulExitTimeout: 5000,
};
