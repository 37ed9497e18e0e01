/**
 * Jest 30 in native ESM mode (NestJS 12, jose, oidc-provider and
 * openid-client are ES modules only): TypeScript is transformed by SWC with
 * legacy decorators and their metadata, which Nest's injection needs.
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

import { existsSync } from 'node:fs';

// The browser suite drives Debian's Chromium; `npm test` includes it when the
// browser is installed (`.ci/run` installs it), `npm run test:browser` runs it alone.
const chromiumPresent = existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium');

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/support/quiet-runtime-warning.ts', '<rootDir>/test/support/quiet-nest-logger.ts'],
};

export default {
  maxWorkers: 2,
  // A passing run prints the summary only; failures are printed in full at the end
  // (summaryThreshold 0). `--reporters=default` (after the file names) brings back per-file lines and console output.
  reporters: [['summary', { summaryThreshold: 0 }]],
  globalSetup: './test/support/runtime-notice.mjs',
  // End-to-end suites boot PGlite (WebAssembly) and the whole app per suite.
  // A suite's beforeAll boots the whole app (and, for some, FranceConnect's check and
  // child processes): on a loaded 2-core machine that has taken over a minute.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/src', '<rootDir>/config'],
      testMatch: ['**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
    },
    ...(chromiumPresent || process.env.BROWSER_TESTS === 'required'
      ? [
          {
            ...common,
            displayName: 'browser',
            roots: ['<rootDir>/test/browser'],
            testMatch: ['**/*.browser-spec.ts'],
            // Fails a test on any console error or failed request on the pages it visited.
            setupFilesAfterEnv: ['<rootDir>/test/browser/support/page-problems.setup.ts'],
          },
        ]
      : []),
  ],
};
