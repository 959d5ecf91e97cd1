/**
 * RUNNER_TEMP must have room before the run starts: the run directory (findings, SARIF, the sealed
 * credential backup, saved state) lives there, and so do the runner's own file commands (outputs, job
 * summary). A full RUNNER_TEMP found half-way would fail after the agent ran and spent the budget, with a
 * stack trace instead of a message; so the main step checks first and names RUNNER_TEMP.
 */
import { statfsSync } from 'node:fs';

/** The least free space the run asks of RUNNER_TEMP. */
export const MIN_RUNNER_TEMP_BYTES = 8 * 1024 * 1024;

/** Pure: why RUNNER_TEMP cannot hold the run (undefined when it can). */
export function runnerTempProblem(dir: string, free: FreeSpace): string | undefined {
  const fix = 'free space on the runner, or point RUNNER_TEMP at a file system with room';
  if ('error' in free)
    return `RUNNER_TEMP (${dir}) cannot be checked for free space (${free.error}); ${fix}.`;
  if (free.bytes < MIN_RUNNER_TEMP_BYTES)
    return `RUNNER_TEMP (${dir}) is full: ${Math.floor(free.bytes / 1024)} KiB free, claude-guard needs at least ${MIN_RUNNER_TEMP_BYTES / 1024 / 1024} MiB there for its run directory and the step's outputs; ${fix}.`;
  if (free.inodes < 64) return `RUNNER_TEMP (${dir}) is full: ${free.inodes} free inodes; ${fix}.`;
  return undefined;
}

export type FreeSpace = { bytes: number; inodes: number } | { error: string };

/** Free bytes and inodes for an unprivileged writer of `dir`. */
export function freeSpace(dir: string): FreeSpace {
  try {
    const s = statfsSync(dir);
    return { bytes: Number(s.bavail) * Number(s.bsize), inodes: Number(s.ffree) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
