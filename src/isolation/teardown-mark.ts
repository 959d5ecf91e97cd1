/**
 * Teardown done once (issue 12): main writes a mark in the run directory after it undid the isolation
 * completely; the post step then checks cheaply — the mark is there and every directory the record
 * names is gone, no subprocess — instead of repeating every kill, firewall and user removal. The run
 * directory is the action's (0700 under RUNNER_TEMP); at strict the agent's uid cannot write it, and at
 * the weaker levels the record's only artefacts are those directories, which the check sees directly.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { UndoRecord } from './launcher.js';

export const ISOLATION_UNDONE_FILE = 'isolation-undone';

export function markIsolationUndone(runDir: string): void {
  try {
    writeFileSync(path.join(runDir, ISOLATION_UNDONE_FILE), '', { mode: 0o600 });
  } catch {
    // Without the mark the post step simply undoes again (idempotent).
  }
}

/** True when main finished the undo of `record`: post has nothing to repeat. */
export function isolationAlreadyUndone(runDir: string, record: UndoRecord): boolean {
  return (
    runDir !== '' &&
    existsSync(path.join(runDir, ISOLATION_UNDONE_FILE)) &&
    record.dirs.every((dir) => !existsSync(dir))
  );
}
