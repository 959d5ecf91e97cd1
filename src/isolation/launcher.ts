/**
 * Sets up the chosen isolation level and says how to start the agent inside it (defences 4, 5, 6;
 * threat rows S2, S3, S7, S8, S9, S11, S12, X1, X4, X9). For `strict`: a fresh user for this run only
 * (removed at teardown), per-uid egress to this run's proxy port only, and the agent's own world
 * (world.ts): mount and PID namespaces built by bubblewrap as root from only what is allowed, with a
 * clean copy of the repository (repo-copy.ts) — read-only in review mode, its fix files writable in fix
 * mode, its working tree (not .git) in custom mode — and the action's Bash hook bundle at a fixed path.
 * Nothing of the runner's HOME, RUNNER_TEMP or live workspace exists there, so nothing needs ACLs,
 * closing or cleaning afterwards: when the namespace ends, everything the agent made is gone. (The
 * older strict path — the runner's world with ACLs — remains only behind `world: false`, for tests.)
 * For `sandbox` and `rules-only` the agent keeps the action's uid and only gets its own directory; at
 * `sandbox` in review mode its working directory is a clean copy of the repository there (`cwd`).
 * Every change is written into a JSON-serialisable UndoRecord before it is made, so the post step can
 * undo it from saved state alone (undo-isolation.ts), idempotently — even after a failure half-way
 * through the set-up.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { IsolationLevel } from '../inputs.js';
import {
  closeToOthers,
  createAgentDir,
  createRunUser,
  ensureAgentUser,
  AGENT_DIR_PREFIX,
  grantFixScope,
  grantWorkspace,
  type AgentPaths,
  type AgentUser,
} from './agent-user.js';
import { HOME_SECRET_PATHS } from './sandbox.js';
import { applyEgressRules } from './egress.js';
import type { SystemPort } from './system.js';
import { realpathSync } from 'node:fs';
import { grantCopy, makeRepoCopy } from './repo-copy.js';
import {
  installRoot,
  worldArgs,
  worldObstacles,
  SYSTEM_TOP_LEVEL,
  WORLD_AGENT_DIRS,
  WORLD_HOOK_DIR,
  type WorldBind,
  type WorldSpec,
} from './world.js';
import { snapshotStubs } from './sandbox-stubs.js';
import { killUser, undoIsolation, type UndoRecord } from './undo-isolation.js';

// Re-exported for the callers (main's teardown, the post step, tests) that import them from here.
export { SHARED_TEMP_DIRS, undoIsolation, type UndoRecord } from './undo-isolation.js';

export interface IsolationContext {
  system: SystemPort;
  workspace: string;
  runnerTemp: string;
  runnerHome: string;
  /** The key proxy's loopback port: the only place the agent's uid may connect to (strict). */
  proxyPort: number;
  /**
   * custom mode lets the agent write the workspace (except .git); review mode does not; fix mode lets
   * it write exactly `fixPaths`. At strict all of this is on the agent's own copy (repo-copy.ts).
   */
  mode: 'review' | 'custom' | 'fix';
  /** fix mode: the repository-relative files the agent may edit (none when unset). */
  fixPaths?: string[];
  agentUser?: string;
  /** Where the per-run agent directory is created (default os.tmpdir(); never RUNNER_TEMP). */
  tmpRoot?: string;
  /** git, for the clean repository copy of the agent's world (strict). */
  git?: string;
  /** Repository-relative files the action pinned in the workspace (carried into the copy as pinned). */
  pinned?: string[];
  /**
   * Build the agent's world (default true): at strict its own namespaces (world.ts; false keeps the older
   * ACL path, for tests), at sandbox in review mode a clean copy of the repository as its working directory.
   */
  world?: boolean;
  /** The action's Bash hook bundle (dist/hook), bound read-only at WORLD_HOOK_DIR in the world. */
  hookDir?: string;
  /** The action's own directory: the world refuses to start when it lies inside the workspace. */
  actionDir?: string;
  /** Input 'claude-path', when set: the world refuses to start when it lies inside the workspace. */
  cliPath?: string;
  /** Resolves symbolic links (default fs.realpathSync); injected for tests. */
  realpath?: (file: string) => string;
}

export interface WorldInfo {
  /** The action's share directory (settings file, probe), read-only in the world. */
  share: string;
  /** The repository copy (host path), bound at the workspace path: the tree the agent edits (fix mode). */
  copy: string;
  /** The Bash hook as the agent starts it in its world (node at its real path, the bundle at
   * WORLD_HOOK_DIR); undefined when the action gave no hook directory. */
  hook?: { node: string; script: string };
  /** custom mode: the copy's working tree (not .git) is the agent's to write. */
  writableTree: boolean;
  /** Files pinned by the action (present in the copy even if untracked). */
  pinned: string[];
  /** The read-only install directories bound for `command` (and node). */
  installs(command: string): string[];
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
  /** Strict: the world the agent runs in. */
  world?: WorldInfo;
  /**
   * The agent's working directory: the workspace, or at sandbox level in review mode the clean copy of
   * the repository (the live checkout is then hidden from the agent's commands).
   */
  cwd: string;
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

/** The run's own agent user: a fresh one, or the named one when `agentUser` is given. */
async function agentUser(system: SystemPort, ctx: IsolationContext, undo: UndoRecord): Promise<AgentUser> {
  if (ctx.agentUser === undefined) {
    const user = await createRunUser(system);
    undo.agentUser = user.name;
    return user;
  }
  const user = await ensureAgentUser(system, ctx.agentUser);
  undo.agentUser = user.name;
  await killUser(system, user.name);
  return user;
}

/** Prepares `level`; on any failure undoes what was done and rethrows. */
export async function prepareIsolation(level: IsolationLevel, ctx: IsolationContext): Promise<AgentLauncher> {
  const { system } = ctx;
  const undo: UndoRecord = { version: 1, level, dirs: [], acls: [], modes: [] };
  try {
    if (level === 'strict' && ctx.world !== false) return await prepareWorld(ctx, undo);
    if (level === 'sandbox' && ctx.mode === 'review' && ctx.world !== false)
      return await prepareSandboxCopy(ctx, undo);
    let user: AgentUser | undefined;
    if (level === 'strict') user = await agentUser(system, ctx, undo);
    const paths = await createAgentDir(system, ctx.tmpRoot ?? os.tmpdir(), user, undo.dirs);
    if (level === 'sandbox') undo.stubs = await snapshotStubs(ctx.workspace);
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
    return makeLauncher(level, paths, undo, system, ctx.workspace, user);
  } catch (error) {
    await undoIsolation(undo, system);
    throw error;
  }
}

/** Absolute paths of the tools the world needs, found in the system directories (one subprocess). */
async function worldTools(system: SystemPort): Promise<{ bwrap: string; setpriv: string; sh: string }> {
  const found = await system.run('sh', [
    '-c',
    'for t in bwrap setpriv sh; do command -v "$t" || exit 1; done',
  ]);
  const [bwrap, setpriv, sh] = found.stdout.trim().split('\n');
  if (found.exitCode !== 0 || ![bwrap, setpriv, sh].every((p) => p && path.isAbsolute(p)))
    throw new Error(
      "The agent's world needs bwrap (apt-get install bubblewrap) and setpriv (util-linux); not found",
    );
  for (const inner of [setpriv, sh])
    if (!/^\/(usr\/)?s?bin\//.test(inner))
      throw new Error(`The agent's world: ${inner} is not in a system directory the world contains`);
  return { bwrap, setpriv, sh };
}

/**
 * Strict: the run's user, the agent directory (0700, the action's: a share directory with the settings
 * file, and the repository copy, with what the mode lets the agent write handed to its uid), the egress
 * rules, and a launcher that starts commands in a world built for them. No ACL, no mode change on the
 * runner's files. Refuses (before making anything) when node, the CLI or the action itself lies inside
 * the workspace, which the world replaces with the copy.
 */
async function prepareWorld(ctx: IsolationContext, undo: UndoRecord): Promise<AgentLauncher> {
  const { system } = ctx;
  const realpath = ctx.realpath ?? realpathSync;
  const realWorkspace = realpath(ctx.workspace);
  const node = realpath(process.execPath);
  const resolved = (file: string) => {
    try {
      return realpath(file);
    } catch {
      return path.resolve(file);
    }
  };
  const refuse = (reasons: string[]) => {
    if (reasons.length)
      throw new Error(
        `Strict isolation (input 'isolation') cannot build the agent's world: ${reasons.join('; ')}.`,
      );
  };
  refuse(
    worldObstacles({
      workspace: realWorkspace,
      node,
      actionDir: ctx.actionDir && resolved(ctx.actionDir),
      // A missing claude-path is reported later, naming the input (run.ts): judge its path as given.
      cli: ctx.cliPath && resolved(ctx.cliPath),
    }),
  );
  undo.world = true;
  const tools = await worldTools(system);
  const user = await agentUser(system, ctx, undo);
  const root = await system.mkdtemp(path.join(ctx.tmpRoot ?? os.tmpdir(), AGENT_DIR_PREFIX));
  undo.dirs.push(root);
  const share = path.join(root, 'share');
  await system.mkdir(share, 0o755);
  const copy = await makeRepoCopy(
    system,
    ctx.git ?? 'git',
    ctx.workspace,
    path.join(root, 'repo'),
    ctx.pinned,
  );
  await grantCopy(system, copy.dir, ctx.mode, user, ctx.fixPaths);
  const topLevel: WorldSpec['topLevel'] = [];
  for (const entry of SYSTEM_TOP_LEVEL) {
    const link = await system.readlink(entry);
    if (link !== undefined) topLevel.push({ path: entry, link });
    else if ((await system.stat(entry))?.isDirectory) topLevel.push({ path: entry, directory: true });
  }
  undo.egress = await applyEgressRules(system, user.uid, ctx.proxyPort);
  const paths: AgentPaths = { root, ...WORLD_AGENT_DIRS, settingsFile: path.join(share, 'settings.json') };
  const forbidden = [ctx.runnerHome, ctx.runnerTemp, ctx.workspace];
  const installs = (command: string) =>
    [command, process.execPath]
      .map((file) => installRoot(realpath(file), forbidden))
      .filter((d): d is string => d !== undefined);
  // The copy at the workspace path — writable where its ownership says (fix files, custom's working
  // tree), never in review mode — with its .git read-only over it; the action's hook bundle.
  const writes = ctx.mode !== 'review';
  const binds: WorldBind[] = [
    { source: copy.dir, target: ctx.workspace, writable: writes },
    ...(writes ? [{ source: path.join(copy.dir, '.git'), target: path.join(ctx.workspace, '.git') }] : []),
    ...(ctx.hookDir ? [{ source: realpath(ctx.hookDir), target: WORLD_HOOK_DIR }] : []),
  ];
  const spec = (command: string): WorldSpec => {
    if (!path.isAbsolute(command))
      throw new Error(`The agent's world: '${command}' is not an absolute path (set 'claude-path')`);
    refuse(worldObstacles({ workspace: realWorkspace, node, cli: realpath(command) }));
    return {
      uid: user.uid,
      gid: user.gid,
      topLevel,
      readOnly: [...new Set([share, ...installs(command)])],
      binds,
      cwd: ctx.workspace,
      setpriv: tools.setpriv,
      sh: tools.sh,
    };
  };
  const launcher = makeLauncher('strict', paths, undo, system, ctx.workspace, user);
  return {
    ...launcher,
    world: {
      share,
      copy: copy.dir,
      pinned: ctx.pinned ?? [],
      installs,
      hook: ctx.hookDir ? { node, script: path.join(WORLD_HOOK_DIR, 'index.js') } : undefined,
      writableTree: ctx.mode === 'custom',
    },
    wrap(command, args, env) {
      const fullEnv = agentEnv(paths, env, user);
      const inWorld = worldArgs(spec(command), realpath(command), args);
      if (system.uid === 0) return { command: tools.bwrap, args: inWorld, env: fullEnv };
      const assert = [`HOME=${paths.home}`, ...(env.PATH ? [`PATH=${env.PATH}`] : [])];
      return {
        command: 'sudo',
        args: ['-n', '-E', '--', 'env', ...assert, tools.bwrap, ...inWorld],
        env: fullEnv,
      };
    },
  };
}

/**
 * Sandbox, review mode: the agent works in a clean copy of the repository inside its own directory
 * (tracked files at HEAD, the history, a four-line .git/config: nothing secret, so git needs no read
 * deny that Claude Code's sandbox would turn into an unreadable config). Everything the CLI's sandbox
 * creates in its working directory (mount-point stubs in .git and .claude) lands in the copy and goes
 * with the agent directory; the live checkout is never the agent's working directory.
 */
async function prepareSandboxCopy(ctx: IsolationContext, undo: UndoRecord): Promise<AgentLauncher> {
  const { system } = ctx;
  const paths = await createAgentDir(system, ctx.tmpRoot ?? os.tmpdir(), undefined, undo.dirs);
  const copy = await makeRepoCopy(
    system,
    ctx.git ?? 'git',
    ctx.workspace,
    path.join(paths.root, 'repo'),
    ctx.pinned,
  );
  return makeLauncher('sandbox', paths, undo, system, copy.dir);
}

function makeLauncher(
  level: IsolationLevel,
  paths: AgentPaths,
  undo: UndoRecord,
  system: SystemPort,
  cwd: string,
  user?: AgentUser,
): AgentLauncher {
  return {
    level,
    agentDir: paths.root,
    paths,
    cwd,
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
