/**
 * Sets up the chosen isolation level and says how to start the agent inside it (defences 4, 5, 6;
 * threat rows S2, S3, S7, S8, S9, X1, X4). For `strict`: the dedicated agent user, its per-run
 * directory, the workspace ACLs, RUNNER_TEMP, the runner HOME and its credential files closed to
 * others, and the per-uid
 * egress rules; commands are wrapped to run as that user (setpriv as root, `sudo -n -E -u` otherwise)
 * and killed by uid. For `sandbox` and `rules-only` the agent keeps the action's uid and only gets its
 * own directory (the sandbox settings block comes from sandbox.ts). Every change is written into a
 * JSON-serialisable UndoRecord before it is made, so the post step can undo it from saved state
 * alone, idempotently — even after a failure half-way through the set-up.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { IsolationLevel } from '../inputs.js';
import {
  chownBack,
  closeToOthers,
  createAgentDir,
  ensureAgentUser,
  grantFixScope,
  grantWorkspace,
  removeAgentDir,
  restoreAcl,
  restoreMode,
  DEFAULT_AGENT_USER,
  type AclChange,
  type AgentPaths,
  type AgentUser,
  type ChownBack,
  type ModeChange,
} from './agent-user.js';
import { HOME_SECRET_PATHS } from './sandbox.js';
import { applyEgressRules, removeEgressRules, type EgressRecord } from './egress.js';
import { asRoot, type SystemPort } from './system.js';

export interface UndoRecord {
  version: 1;
  level: IsolationLevel;
  /** The agent user (kept between runs; its processes are killed). */
  agentUser?: string;
  /** Directories to remove (per-run agent directories only). */
  dirs: string[];
  /** ACL changes, in the order made (undone in reverse). */
  acls: AclChange[];
  /** Mode changes, in the order made (undone in reverse). */
  modes: ModeChange[];
  egress?: EgressRecord;
  chownBack?: ChownBack;
}

export interface IsolationContext {
  system: SystemPort;
  workspace: string;
  runnerTemp: string;
  runnerHome: string;
  /** The key proxy's loopback port: the only place the agent's uid may connect to (strict). */
  proxyPort: number;
  /**
   * custom mode lets the agent write the workspace (except .git); review mode does not; fix mode lets
   * it write exactly `fixPaths` (strict level: file ACLs, no directory write).
   */
  mode: 'review' | 'custom' | 'fix';
  /** fix mode: the repository-relative files the agent may edit (none when unset). */
  fixPaths?: string[];
  agentUser?: string;
  /** Where the per-run agent directory is created (default os.tmpdir(); never RUNNER_TEMP). */
  tmpRoot?: string;
}

export interface WrappedCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface AgentLauncher {
  level: IsolationLevel;
  /** The per-run agent directory (holds home, config, tmp and the settings file). */
  agentDir: string;
  paths: AgentPaths;
  uid?: number;
  /** What to undo; save it (JSON) in the action state before starting the agent. */
  undo: UndoRecord;
  /**
   * How to start `command` as the agent. The env is the complete clean environment; HOME,
   * CLAUDE_CONFIG_DIR and TMPDIR are set to the agent's own directories here. Nothing secret goes on argv.
   */
  wrap(command: string, args: string[], env: Record<string, string>): WrappedCommand;
  /** Writes the settings file (read-only for the agent). */
  writeSettings(contents: string): Promise<void>;
  /** Kills every process of the agent user (strict); a no-op at the weaker levels, where the CLI's process group is killed instead. */
  killAll(): Promise<void>;
  /** Kills the agent's processes and undoes every change; returns the record it undid. */
  teardown(): Promise<UndoRecord>;
}

function agentEnv(paths: AgentPaths, env: Record<string, string>, user?: AgentUser): Record<string, string> {
  return {
    ...env,
    HOME: paths.home,
    CLAUDE_CONFIG_DIR: paths.configDir,
    TMPDIR: paths.tmpDir,
    ...(user ? { USER: user.name, LOGNAME: user.name } : {}),
  };
}

/**
 * The argv that runs `command` as the agent user: setpriv when root, sudo otherwise. Under sudo, -E keeps
 * the clean environment we pass (sudo still drops LD_* and the like, adds SUDO_*, and replaces PATH with
 * secure_path), so the non-secret `assert` values (HOME, PATH) are set again through env(1) on argv.
 */
export function wrapAsUser(
  actionUid: number,
  user: AgentUser,
  assert: Record<string, string>,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (actionUid === 0) {
    return {
      command: 'setpriv',
      args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', command, ...args],
    };
  }
  const assignments = Object.entries(assert).map(([name, value]) => `${name}=${value}`);
  return {
    command: 'sudo',
    args: ['-n', '-E', '-u', user.name, '--', 'env', ...assignments, command, ...args],
  };
}

async function killUser(system: SystemPort, name: string): Promise<void> {
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
  return problems;
}

/** Prepares `level`; on any failure undoes what was done and rethrows. */
export async function prepareIsolation(level: IsolationLevel, ctx: IsolationContext): Promise<AgentLauncher> {
  const { system } = ctx;
  const undo: UndoRecord = { version: 1, level, dirs: [], acls: [], modes: [] };
  try {
    let user: AgentUser | undefined;
    if (level === 'strict') {
      user = await ensureAgentUser(system, ctx.agentUser ?? DEFAULT_AGENT_USER);
      undo.agentUser = user.name;
      await killUser(system, user.name);
    }
    const paths = await createAgentDir(system, ctx.tmpRoot ?? os.tmpdir(), user, undo.dirs);
    if (user) {
      await closeToOthers(system, ctx.runnerTemp, undo.modes);
      await closeToOthers(system, ctx.runnerHome, undo.modes);
      // The agent gets traverse on HOME to reach the workspace, which exposes HOME's world-readable
      // files by exact path: close the well-known credential paths too.
      for (const rel of HOME_SECRET_PATHS)
        await closeToOthers(system, path.join(ctx.runnerHome, rel), undo.modes);
      undo.chownBack = await grantWorkspace(system, user, ctx.workspace, ctx.mode === 'custom', undo.acls);
      if (ctx.mode === 'fix') await grantFixScope(system, user, ctx.workspace, ctx.fixPaths ?? [], undo.acls);
      undo.egress = await applyEgressRules(system, user.uid, ctx.proxyPort);
    }
    return makeLauncher(level, paths, undo, system, user);
  } catch (error) {
    await undoIsolation(undo, system);
    throw error;
  }
}

function makeLauncher(
  level: IsolationLevel,
  paths: AgentPaths,
  undo: UndoRecord,
  system: SystemPort,
  user?: AgentUser,
): AgentLauncher {
  return {
    level,
    agentDir: paths.root,
    paths,
    uid: user?.uid,
    undo,
    wrap(command, args, env) {
      const fullEnv = agentEnv(paths, env, user);
      if (!user) return { command, args, env: fullEnv };
      const assert = { HOME: paths.home, ...(env.PATH ? { PATH: env.PATH } : {}) };
      return { ...wrapAsUser(system.uid, user, assert, command, args), env: fullEnv };
    },
    async writeSettings(contents) {
      await system.writeFile(paths.settingsFile, contents, 0o644);
    },
    async killAll() {
      if (user) await killUser(system, user.name);
    },
    async teardown() {
      const problems = await undoIsolation(undo, system);
      if (problems.length > 0) throw new Error(`Isolation teardown left problems: ${problems.join('; ')}`);
      return undo;
    },
  };
}
