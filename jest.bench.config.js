/** Benchmarks: the unit-test setup, run on the bench/ files named *.bench.ts (one test each, printing a table). */
import { projects } from './jest.config.js';

const { displayName: _unit, testPathIgnorePatterns: _ignore, ...unit } = projects.unit;

export default { ...unit, testMatch: ['<rootDir>/bench/**/*.bench.ts'], testTimeout: 300000 };
