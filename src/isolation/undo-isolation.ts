/**
 * Undoing an isolation set-up from its UndoRecord: every change launcher.ts made (the agent user and its
 * processes, egress rules, ACLs, modes, directories, sandbox stubs), undone in reverse order,
 * idempotently, from saved state alone — by main's teardown and by the post step.
 */
import type { IsolationLevel } from '../inputs.js';
import {
  chownBack,
  isRunUserName,
  removeAgentDir,
  removeRunUser,
  restoreAcl,
  restoreMode,
  type AclChange,
  type ChownBack,
  type ModeChange,
} from './agent-user.js';
import { removeEgressRules, type EgressRecord } from './egress.js';
import { asRoot, type SystemPort } from './system.js';
import { removeStubs, type StubSnapshot } from './sandbox-stubs.js';

export interface UndoRecord {
  version: 1;
  level: IsolationLevel;
  /** The agent user: its processes are killed; a per-run user (claude-guard-<hex>) is removed too. */
  agentUser?: string;
  /** The agent ran in its own world: nothing of it outlives the namespace, so nothing is scanned for. */
  world?: boolean;
  /** Directories to remove (per-run agent directories only). */
  dirs: string[];
  /** ACL changes, in the order made (undone in reverse). */
  acls: AclChange[];
  /** Mode changes, in the order made (undone in reverse). */
  modes: ModeChange[];
  egress?: EgressRecord;
  chownBack?: ChownBack;
  /** Sandbox level in the live workspace: what its stub folders held before the agent started. */
  stubs?: StubSnapshot;
}

export async function killUser(system: SystemPort, name: string): Promise<void> {
  await asRoot(system, 'pkill', ['-KILL', '-u', name]);
}

/** World-writable directories where the agent user can leave files that would outlive the job. */
export const SHARED_TEMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];

/** Deletes everything the (dedicated) agent user owns in the shared temporary directories. */
async function removeAgentTempFiles(system: SystemPort, name: string): Promise<void> {
  const dirs: string[] = [];
  for (const dir of SHARED_TEMP_DIRS) if ((await system.stat(dir)) !== undefined) dirs.push(dir);
  if (!dirs.length) return;
  // -xdev: stay on each file system; find never follows symlinks here; -delete implies depth-first.
  await asRoot(system, 'find', [...dirs, '-xdev', '-mindepth', '1', '-user', name, '-delete']);
}

/** Undoes a record (in reverse order of the changes). Idempotent; returns the problems left over. */
export async function undoIsolation(record: UndoRecord, system: SystemPort): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    try {
      const left = await work();
      if (Array.isArray(left)) problems.push(...(left as string[]));
    } catch (error) {
      problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (record.agentUser) {
    await attempt('Killing the agent user processes', () => killUser(system, record.agentUser as string));
    // Outside its own world the agent could leave files in the shared temporary directories.
    if (!record.world)
      await attempt('Removing what the agent left in shared temporary directories', () =>
        removeAgentTempFiles(system, record.agentUser as string),
      );
  }
  if (record.egress)
    await attempt('Removing egress rules', () => removeEgressRules(system, record.egress as EgressRecord));
  if (record.chownBack)
    await attempt('Returning agent files', () => chownBack(system, record.chownBack as ChownBack));
  for (const change of [...record.acls].reverse())
    await attempt(`Restoring ACL on ${change.path}`, () => restoreAcl(system, change));
  for (const change of [...record.modes].reverse())
    await attempt(`Restoring mode of ${change.path}`, () => restoreMode(system, change));
  for (const dir of record.dirs) await attempt(`Removing ${dir}`, () => removeAgentDir(system, dir));
  if (record.stubs) {
    const stubs = record.stubs;
    await attempt("Removing the sandbox's stubs from the workspace", async () =>
      (await removeStubs(stubs)).map(
        (entry) => `New in the workspace and not a sandbox stub (left): ${entry}`,
      ),
    );
  }
  if (record.agentUser && isRunUserName(record.agentUser))
    await attempt(`Removing the run's user ${record.agentUser}`, () =>
      removeRunUser(system, record.agentUser as string),
    );
  return problems;
}
