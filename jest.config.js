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
  // Every test file loads the whole server anew; a worker that ran a dozen of them held a heap of
  // 650 MB and took longer than Jest's half second to exit, so it was killed ("A worker process
  // has failed to exit gracefully"). Past this, a worker is replaced between files.
  workerIdleMemoryLimit: '512MB',
};
