/**
 * Jest runs the TypeScript sources through ts-jest as native ESM (NODE_OPTIONS=--experimental-vm-modules),
 * in four projects (`npm test` runs them all; `npm run test:<project>` one):
 *
 * - unit:        pure decisions and small real-system edges (git, sh, temp files); never the real Claude
 *                Code CLI, never a bundler. The developer loop: `npm run test:unit`, under a minute.
 * - cli:         tests that start the real CLI or rebuild the bundles (`__tests__/cli/`, `*.cli.test.ts`).
 * - integration: the isolation levels on the real machine (root, sudo, iptables, bubblewrap).
 * - e2e:         the bundled action through the runner emulation against the real CLI.
 *
 * The integration and e2e files hold the machine-wide lock for their whole run, taken in `beforeAll`
 * with its own budget (__tests__/support/hold-machine-lock.ts): waiting for another run never counts
 * against a test's timeout.
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};
// Jest reads testTimeout only from the global config: the slower projects set theirs in a setup file.
const holdLock = ['<rootDir>/__tests__/support/hold-machine-lock.ts'];
const slow = ['<rootDir>/__tests__/support/slow-project.ts'];

export const projects = {
  unit: {
    ...common,
    displayName: 'unit',
    testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '\\.cli\\.test\\.ts$'],
  },
  cli: {
    ...common,
    displayName: 'cli',
    testMatch: ['<rootDir>/__tests__/cli/**/*.test.ts', '<rootDir>/__tests__/unit/**/*.cli.test.ts'],
    setupFilesAfterEnv: slow,
  },
  integration: {
    ...common,
    displayName: 'integration',
    testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts'],
    setupFilesAfterEnv: holdLock,
  },
  e2e: {
    ...common,
    displayName: 'e2e',
    testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'],
    setupFilesAfterEnv: holdLock,
  },
};

export default {
  projects: Object.values(projects),
  testTimeout: 60_000,
  verbose: false,
};
