/**
 * Unit tests: pure and fast, beside the code they test. End-to-end suites live in test/: those
 * of embedded mode need nothing but Node.js; the others run against real Kafka, PostgreSQL, Redis.
 */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  testEnvironment: 'node',
};

module.exports = {
  testTimeout: 120_000,
  projects: [
    { ...shared, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/{apps,libs,cli,infra}/**/*.spec.ts'] },
    // Embedded mode end to end: the built engine in one process, needing no server at all.
    { ...shared, displayName: 'embedded', rootDir: __dirname, testMatch: ['<rootDir>/test/embedded/**/*.embedded-spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      rootDir: __dirname,
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
