// Jest configuration for the whole monorepo (run through `npm test` → scripts/run-tests.mjs).
// TypeScript is compiled by SWC: no type checking here (`npm run build` / tsc does that).

/** @type {import('@swc/core').Options} */
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022', // `using` / `await using` are lowered to helpers (Node 20 has Symbol.(async)Dispose)
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

/** What every project shares: SWC, and the workspace packages from their sources. */
const base = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', swcOptions],
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // NestJS 12 ships ES modules only; Jest's module runtime needs CommonJS, so SWC compiles them too.
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/)'],
  moduleNameMapper: {
    '^@statehouse/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
};

/** Tests that need Redis: the global setup provides one (a container, or REDIS_URL). */
const withRedis = {
  ...base,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};

/**
 * Three kinds of tests (`npm run test:unit`, `test:integration`, `test:e2e`; `npm test` runs all):
 *   unit         `*.spec.ts` next to the code: no Redis, no Docker, no network; seconds.
 *   integration  `libs/<lib>/test`, `apps/server/test`: the engine, or the server in this process, on
 *                a real Redis.
 *   e2e          `test/`, `apps/example-agent/test`: built artifacts as users run them (server
 *                processes, the network client and the NestJS module against them, the Python
 *                SDK, Docker Compose, fault injection, the README's snippets).
 */
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...withRedis,
      displayName: 'integration',
      roots: ['<rootDir>/libs', '<rootDir>/apps/server'],
      testMatch: ['<rootDir>/libs/*/test/**/*.test.ts', '<rootDir>/apps/server/test/**/*.test.ts'],
    },
    {
      ...withRedis,
      displayName: 'e2e',
      roots: ['<rootDir>/test', '<rootDir>/apps/example-agent'],
      testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/apps/example-agent/test/**/*.test.ts'],
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};
