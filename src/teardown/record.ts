/**
 * The one teardown record: everything the run set up that must be undone, written as the run goes.
 * Main holds it in memory with live handles (the key proxy, the credentials backup and its key) and
 * persists each part the moment it exists — in state (STATE_*) or in the 0700 run directory — so the
 * post step rebuilds the same record from there alone (`readTeardownRecord`). Both undo it with
 * `undoAll` (undo-all.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcessTree } from '../agent/process-tree.js';
import type { KeyProxyProcess } from '../isolation/key-proxy-process.js';
import type { UndoRecord } from '../isolation/launcher.js';
import { SEALED_BACKUP_FILE, type CredentialsBackup } from '../isolation/credentials.js';
import type { PinRecord } from '../isolation/agent-instructions.js';
import { AGENT_PGID_FILE, CHECKOUT_FILE, INSTRUCTIONS_FILE, readState } from '../state.js';

export interface TeardownRecord {
  /** The run directory under RUNNER_TEMP (the post step removes it). */
  runDir?: string;
  /** The agent CLI's process group (its pid). */
  agentPgid?: number;
  /**
   * A part the post step read as text (the tree, the isolation record, the pin record) is parsed and
   * checked by the stage that uses it, so a bad value is that stage's warning, never the whole step's.
   */
  /** The agent's process tree (cgroup and run marker), saved before the agent starts. */
  tree?: ProcessTree | string;
  /** The key proxy: its process while it starts or runs (main), or only its pid (post). */
  proxy?: { starting?: Promise<KeyProxyProcess>; running?: KeyProxyProcess; pid?: number };
  /** The isolation's own record: every change, written before it is made. */
  isolation?: UndoRecord | string;
  /** The checkout credentials taken out of .git/config: the backup (main) or its sealed copy and key. */
  credentials?: { sealedFile: string; backup?: CredentialsBackup; key?: string };
  /** The PR's agent-instruction files pinned to the base branch's versions. */
  instructions?: PinRecord | string;
  /** The run dir, when provider credential files may have been moved into it. */
  hiddenFilesIn?: string;
  /**
   * An on-demand run checked out the PR's head: how to put the job's checkout back (main), or the run dir
   * whose record says what it was (post; triggers/workspace.ts).
   */
  checkout?: { undo?: () => Promise<void>; recordIn?: string };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The post step's copy of main's record, from saved state and the run directory. */
export function readTeardownRecord(env: NodeJS.ProcessEnv = process.env): TeardownRecord {
  const runDir = readState('runDir', env);
  const record: TeardownRecord = {};
  if (runDir) {
    record.runDir = runDir;
    record.hiddenFilesIn = runDir;
    const pgid = Number(readText(path.join(runDir, AGENT_PGID_FILE)));
    if (Number.isInteger(pgid) && pgid > 1) record.agentPgid = pgid;
    const instructions = path.join(runDir, INSTRUCTIONS_FILE);
    if (existsSync(instructions)) record.instructions = readText(instructions);
    if (existsSync(path.join(runDir, CHECKOUT_FILE))) record.checkout = { recordIn: runDir };
    const sealedFile = path.join(runDir, SEALED_BACKUP_FILE);
    if (existsSync(sealedFile))
      record.credentials = { sealedFile, key: readState('credentialsKey', env) || undefined };
  }
  const tree = readState('tree', env);
  if (tree) record.tree = tree; // checked by the stage that uses it: a bad value is that stage's warning
  const proxyPid = Number(readState('proxyPid', env));
  if (Number.isInteger(proxyPid) && proxyPid > 1) record.proxy = { pid: proxyPid };
  const undo = readState('undo', env);
  if (undo) record.isolation = undo;
  return record;
}
