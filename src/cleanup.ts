/**
 * The post step: always runs, never fails the job. It rebuilds main's teardown record from saved state
 * and the run directory (teardown/record.ts) and undoes it with the same `undoAll` main uses
 * (teardown/undo-all.ts), then removes the run directory. Every stage turns its own failure into a
 * warning and the next stage still runs; running it twice is harmless. It spawns nothing through the
 * job's PATH: tools come from system directories with a minimal environment (system-tools.ts).
 */
import * as core from '@actions/core';
import { readTeardownRecord } from './teardown/record.js';
import { undoAll, type UndoLog, type UndoPorts } from './teardown/undo-all.js';

const postLog: UndoLog = {
  done: (stage, message) => core.info(`claude-guard post: ${stage.name}: ${message}`),
  failed: (stage, error) => core.warning(`claude-guard post: ${stage.name} failed: ${error.message}`),
};

export async function cleanup(env: NodeJS.ProcessEnv = process.env, ports?: UndoPorts): Promise<void> {
  try {
    const record = readTeardownRecord(env);
    await undoAll(record, { log: postLog, removeRunDir: { runnerTemp: env.RUNNER_TEMP } }, ports);
  } catch (err) {
    core.warning(`claude-guard post: ${(err as Error).message}`);
  }
}
