/** Benchmarks: the unit-test setup, run on the bench/ files named *.bench.ts (one test each, printing a table). */
import base from './jest.config.js';

export default { ...base, testMatch: ['<rootDir>/bench/**/*.bench.ts'], testTimeout: 300000 };
