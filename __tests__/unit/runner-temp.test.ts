import { describe, expect, test } from '@jest/globals';
import os from 'node:os';
import { freeSpace, MIN_RUNNER_TEMP_BYTES, runnerTempProblem } from '../../src/runner-temp.js';

describe('runnerTempProblem', () => {
  test.each([
    [{ bytes: MIN_RUNNER_TEMP_BYTES, inodes: 1000 }, undefined],
    [{ bytes: 10e9, inodes: 1000 }, undefined],
    [{ bytes: 64 * 1024, inodes: 1000 }, /RUNNER_TEMP \(\/rt\) is full: 64 KiB free, .*at least 8 MiB/],
    [{ bytes: 0, inodes: 1000 }, /RUNNER_TEMP \(\/rt\) is full: 0 KiB free/],
    [{ bytes: 10e9, inodes: 3 }, /RUNNER_TEMP \(\/rt\) is full: 3 free inodes/],
    [{ error: 'ENOENT: no such file' }, /RUNNER_TEMP \(\/rt\) cannot be checked for free space \(ENOENT/],
  ])('%p', (free, expected) => {
    const problem = runnerTempProblem('/rt', free);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  test('freeSpace reads the real file system, and reports a missing directory as an error', () => {
    const free = freeSpace(os.tmpdir());
    expect((free as { bytes: number }).bytes).toBeGreaterThan(0);
    expect(freeSpace('/nonexistent/claude-guard')).toEqual({ error: expect.stringMatching(/ENOENT/) });
  });
});
