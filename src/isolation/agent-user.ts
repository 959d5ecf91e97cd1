/**
 * The dedicated agent user and the file permissions around it (defence 4; threat rows S2, S3, S7, S8,
 * S9, X4). A second, unprivileged uid cannot read the runner's /proc/<pid>/environ or memory, has no
 * sudo and no docker/adm/lxd group, and cannot write the runner's files. This module creates (or
 * reuses) that user and verifies it has no privilege, gives it the least file access it needs — its own
 * per-run directory outside RUNNER_TEMP, traverse to the workspace, read (review) or write (custom) in
 * the workspace — and closes RUNNER_TEMP to it. Every change is recorded so it can be undone exactly.
 */
import * as path from 'node:path';
import { asRoot, mustAsRoot, type FileStat, type SystemPort } from './system.js';

export const DEFAULT_AGENT_USER = 'claude-guard-agent';

/** Groups that are root-equivalent or expose secrets (logs, devices, container sockets). */
export const PRIVILEGED_GROUPS = [
  'root',
  'sudo',
  'wheel',
  'admin',
  'adm',
  'docker',
  'lxd',
  'incus',
  'libvirt',
  'kvm',
  'disk',
  'shadow',
  'systemd-journal',
];

/** Per-run directories are created with this prefix; removal refuses anything else. */
export const AGENT_DIR_PREFIX = 'claude-guard-agent-';

export interface AgentUser {
  name: string;
  uid: number;
  gid: number;
}

/** One ACL change: `saved` is getfacl's text for the entries that had extended ACLs before (often ''). */
export interface AclChange {
  path: string;
  recursive: boolean;
  saved: string;
}

export interface ModeChange {
  path: string;
  /** The mode before we changed it. */
  mode: number;
}

/** Files the agent created in a writable workspace, to be handed back to the workspace owner. */
export interface ChownBack {
  path: string;
  fromUid: number;
  toUid: number;
  toGid: number;
}

export interface AgentPaths {
  /** The per-run directory: not writable by the agent; holds the settings file. */
  root: string;
  home: string;
  configDir: string;
  tmpDir: string;
  settingsFile: string;
}

export function privilegedGroups(groups: string[]): string[] {
  return groups.filter((group) => PRIVILEGED_GROUPS.includes(group));
}

/** Reads `sudo -l -U <user>` output: 'none' only when sudo says so in so many words. */
export function sudoVerdict(output: string): 'none' | 'some' | 'unknown' {
  if (/is not allowed to run sudo/i.test(output)) return 'none';
  if (/may run the following commands/i.test(output)) return 'some';
  return 'unknown';
}

/** Directories from / down to (excluding) `target`, outermost first. */
export function ancestors(target: string): string[] {
  const result: string[] = [];
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    result.unshift(dir);
    if (dir === '/') return result;
  }
}

/** Whether a uid outside the owner and group of `stat` may search (traverse) the directory. */
export function otherCanTraverse(stat: FileStat): boolean {
  return (stat.mode & 0o001) !== 0;
}

async function idOf(system: SystemPort, flag: string, name: string): Promise<string | undefined> {
  const result = await system.run('id', [flag, name]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Creates the agent user when missing (system account, no login shell, no home directory), removes it
 * from privileged groups and verifies it has no sudo rights. Throws when it cannot be made safe.
 */
export async function ensureAgentUser(
  system: SystemPort,
  name: string = DEFAULT_AGENT_USER,
): Promise<AgentUser> {
  const step = `Agent user '${name}'`;
  if (!/^[a-z_][a-z0-9_-]{0,30}$/.test(name)) throw new Error(`${step}: not a valid user name`);
  let uidText = await idOf(system, '-u', name);
  if (uidText === undefined) {
    await mustAsRoot(system, step, 'useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
    uidText = await idOf(system, '-u', name);
  }
  const uid = Number(uidText);
  const [gidText, groupsText] = await Promise.all([idOf(system, '-g', name), idOf(system, '-Gn', name)]);
  const gid = Number(gidText);
  if (!Number.isInteger(uid) || uid <= 0 || uid === system.uid) {
    throw new Error(
      `${step}: uid ${uid} is root or the action's own uid; choose another name for the agent user`,
    );
  }
  const privileged = privilegedGroups((groupsText ?? '').split(/\s+/));
  if (privileged.length > 0) {
    for (const group of privileged) await asRoot(system, 'gpasswd', ['-d', name, group]);
    const left = privilegedGroups(((await idOf(system, '-Gn', name)) ?? '').split(/\s+/));
    if (left.length > 0)
      throw new Error(
        `${step}: still in privileged group(s) ${left.join(', ')}; remove it from them and re-run`,
      );
  }
  const sudo = await asRoot(system, 'sudo', ['-n', '-l', '-U', name]);
  const verdict = sudo.exitCode === 127 && system.uid === 0 ? 'none' : sudoVerdict(sudo.stdout + sudo.stderr);
  if (verdict !== 'none') {
    throw new Error(
      `${step}: sudo rights are ${verdict === 'some' ? 'granted' : 'unverifiable'} for this user (sudo -l -U ${name}); remove them from sudoers`,
    );
  }
  return { name, uid, gid };
}

/** Per-run user names: this prefix and 8 hex digits. Removal refuses any other name. */
export const RUN_USER_PREFIX = 'claude-guard-';
const RUN_USER = /^claude-guard-[0-9a-f]{8}$/;

export function isRunUserName(name: string): boolean {
  return RUN_USER.test(name);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh unprivileged user for this run only (its own uid: two runs on one host never share one, and
 * nothing a run leaves under its uid is the next run's). Verified like any agent user. `random` gives
 * the 8 hex digits (injected for tests). useradd is retried while another run holds /etc/passwd's lock.
 */
export async function createRunUser(
  system: SystemPort,
  random: () => string = () =>
    Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0'),
): Promise<AgentUser> {
  const name = `${RUN_USER_PREFIX}${random()}`;
  if (!isRunUserName(name)) throw new Error(`Run user: '${name}' is not a valid per-run user name`);
  for (let attempt = 0; ; attempt++) {
    const made = await asRoot(system, 'useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
    if (made.exitCode === 0) break;
    // 10: cannot lock /etc/passwd (another run is adding or removing its user right now).
    if (made.exitCode !== 10 || attempt >= 50)
      throw new Error(`Run user '${name}': useradd failed (exit ${made.exitCode}): ${made.stderr.trim()}`);
    await sleep(100);
  }
  try {
    return await ensureAgentUser(system, name);
  } catch (error) {
    await removeRunUser(system, name);
    throw error;
  }
}

/**
 * Removes a per-run user and its group (after its processes are killed). Idempotent: a user that is gone
 * is success. Retried while the kernel is still reaping its processes or another run holds the lock.
 */
export async function removeRunUser(system: SystemPort, name: string): Promise<void> {
  if (!isRunUserName(name)) throw new Error(`Run user: refusing to remove '${name}' (not a per-run user)`);
  for (let attempt = 0; ; attempt++) {
    const result = await asRoot(system, 'userdel', [name]);
    // 6: no such user.
    if (result.exitCode === 0 || result.exitCode === 6) return;
    // 8: still has processes; 10: cannot lock /etc/passwd.
    if (![8, 10].includes(result.exitCode) || attempt >= 50)
      throw new Error(
        `Run user '${name}': userdel failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
      );
    if (result.exitCode === 8) await asRoot(system, 'pkill', ['-KILL', '-u', name]);
    await sleep(100);
  }
}

/**
 * Creates the per-run agent directory under `tmpRoot` (outside RUNNER_TEMP): the root stays owned by
 * the action (0711, so the agent can reach its subdirectories and read the settings file but not
 * replace it); home, config and tmp belong to the agent (0700). Without an agent user (the weaker
 * levels) everything stays the action's own, 0700. `dirs` receives the directory before anything else.
 */
export async function createAgentDir(
  system: SystemPort,
  tmpRoot: string,
  user: AgentUser | undefined,
  dirs: string[],
): Promise<AgentPaths> {
  const root = await system.mkdtemp(path.join(tmpRoot, AGENT_DIR_PREFIX));
  dirs.push(root);
  const paths: AgentPaths = {
    root,
    home: path.join(root, 'home'),
    configDir: path.join(root, 'config'),
    tmpDir: path.join(root, 'tmp'),
    settingsFile: path.join(root, 'settings.json'),
  };
  for (const dir of [paths.home, paths.configDir, paths.tmpDir]) await system.mkdir(dir, 0o700);
  if (user) {
    const step = 'Agent directory';
    await mustAsRoot(system, step, 'chown', [
      '-R',
      `${user.uid}:${user.gid}`,
      paths.home,
      paths.configDir,
      paths.tmpDir,
    ]);
    await mustAsRoot(system, step, 'chmod', ['0711', root]);
  }
  return paths;
}

/** Removes a per-run agent directory (as root: the agent owns files in it). Refuses any other path. */
export async function removeAgentDir(system: SystemPort, dir: string): Promise<void> {
  if (!path.isAbsolute(dir) || !path.basename(dir).startsWith(AGENT_DIR_PREFIX)) {
    throw new Error(`Agent directory: refusing to remove '${dir}' (not a per-run agent directory)`);
  }
  await mustAsRoot(system, 'Agent directory', 'rm', ['-rf', '--one-file-system', '--', dir]);
}

/** Adds an ACL entry for the agent; the previous extended ACLs are saved into `acls` first. */
export async function grantAcl(
  system: SystemPort,
  acls: AclChange[],
  target: string,
  entry: string,
  recursive: boolean,
): Promise<void> {
  const step = `ACL on ${target}`;
  const saved = await mustAsRoot(system, step, 'getfacl', [
    ...(recursive ? ['-R'] : []),
    '--skip-base',
    '--absolute-names',
    target,
  ]);
  acls.push({ path: target, recursive, saved: saved.stdout });
  await mustAsRoot(system, step, 'setfacl', [...(recursive ? ['-R'] : []), '-m', entry, target]);
}

/** Puts the ACLs of `change.path` back to what they were. Idempotent. */
export async function restoreAcl(system: SystemPort, change: AclChange): Promise<void> {
  const step = `Restoring ACL on ${change.path}`;
  if ((await asRoot(system, 'test', ['-e', change.path])).exitCode !== 0) return;
  await mustAsRoot(system, step, 'setfacl', [...(change.recursive ? ['-R'] : []), '-b', change.path]);
  if (change.saved.trim() !== '')
    await mustAsRoot(system, step, 'setfacl', ['--restore=-'], { input: change.saved });
}

/** Files that are never opened to the agent by an ACL, whatever their mode. */
export const SECRET_NAME_PATTERNS = [
  '.env*',
  '*.pem',
  '*.key',
  '.npmrc',
  '.netrc',
  '.pypirc',
  '.git-credentials',
  'id_*',
];

/**
 * Gives the agent traverse (x) on each ancestor of the workspace that others cannot traverse (on
 * hosted runners /home/runner is 0750), and read — or, in custom mode, write, `.git` read-only — on the
 * workspace: directories it cannot enter, and files the owner left group-readable (never private ones).
 */
export async function grantWorkspace(
  system: SystemPort,
  user: AgentUser,
  workspace: string,
  writable: boolean,
  acls: AclChange[],
): Promise<ChownBack | undefined> {
  const owner = `u:${user.name}`;
  for (const dir of ancestors(workspace)) {
    const stat = await system.stat(dir);
    if (stat === undefined) throw new Error(`Workspace access: cannot stat ${dir}`);
    if (!otherCanTraverse(stat)) await grantAcl(system, acls, dir, `${owner}:x`, false);
  }
  if (writable) {
    await grantTree(system, acls, workspace, owner, true);
    const git = path.join(workspace, '.git');
    if ((await system.stat(git)) !== undefined) await grantTree(system, acls, git, owner, false, true);
    const stat = await system.stat(workspace);
    return stat && { path: workspace, fromUid: user.uid, toUid: stat.uid, toGid: stat.gid };
  }
  await grantTree(system, acls, workspace, owner, false);
  return undefined;
}

/**
 * ACLs on a tree (saved first, for an exact undo). Directories get r-x (rwx when writable); files get rX
 * (rwX when writable) only when their owner left them group-readable — a 0600 file (a local .env, a key)
 * stays private — and never files named like secrets. A blanket recursive grant would hand over exactly
 * the files the owner hid. Read-only grants skip what others can already read; `all` grants every
 * directory and file (used to turn a writable grant back into read-only, e.g. for .git).
 */
async function grantTree(
  system: SystemPort,
  acls: AclChange[],
  root: string,
  owner: string,
  writable: boolean,
  all = writable,
): Promise<void> {
  const step = `Workspace ACL on ${root}`;
  const saved = await mustAsRoot(system, step, 'getfacl', ['-R', '--skip-base', '--absolute-names', root]);
  acls.push({ path: root, recursive: true, saved: saved.stdout });
  const secretNames = [
    '(',
    ...SECRET_NAME_PATTERNS.flatMap((p, i) => [...(i ? ['-o'] : []), '-name', p]),
    ')',
  ];
  await mustAsRoot(system, step, 'find', [
    root,
    ...['-type', 'd', ...(all ? [] : ['!', '-perm', '-o=rx'])],
    ...['-exec', 'setfacl', '-m', `${owner}:${writable ? 'rwX' : 'rX'}`, '{}', '+'],
  ]);
  await mustAsRoot(system, step, 'find', [
    root,
    ...['-type', 'f', '-perm', '-g=r', ...(all ? [] : ['!', '-perm', '-o=r']), '!', ...secretNames],
    // X keeps an executable file executable (a script the job may run), and adds nothing to others.
    ...['-exec', 'setfacl', '-m', `${owner}:${writable ? 'rwX' : 'rX'}`, '{}', '+'],
  ]);
}

/** Hands files the agent created in the workspace back to the workspace owner. */
export async function chownBack(system: SystemPort, change: ChownBack): Promise<void> {
  if ((await system.stat(change.path)) === undefined) return;
  await mustAsRoot(system, `Returning agent files in ${change.path}`, 'find', [
    change.path,
    '-xdev',
    '-uid',
    String(change.fromUid),
    '-exec',
    'chown',
    '-h',
    `${change.toUid}:${change.toGid}`,
    '{}',
    '+',
  ]);
}

/** Removes all access for "others" from a directory (RUNNER_TEMP), recording its mode. */
export async function closeToOthers(system: SystemPort, dir: string, modes: ModeChange[]): Promise<void> {
  const stat = await system.stat(dir);
  if (stat === undefined || (stat.mode & 0o007) === 0) return;
  if (path.dirname(path.resolve(dir)) === '/') {
    throw new Error(
      `Closing ${dir}: refusing to change the mode of a top-level directory; point RUNNER_TEMP/HOME at dedicated directories`,
    );
  }
  modes.push({ path: dir, mode: stat.mode });
  await mustAsRoot(system, `Closing ${dir}`, 'chmod', [
    (stat.mode & ~0o007).toString(8).padStart(4, '0'),
    dir,
  ]);
}

export async function restoreMode(system: SystemPort, change: ModeChange): Promise<void> {
  if ((await system.stat(change.path)) === undefined) return;
  await mustAsRoot(system, `Restoring mode of ${change.path}`, 'chmod', [
    change.mode.toString(8).padStart(4, '0'),
    change.path,
  ]);
}

/**
 * `mode: fix` at the strict level: write (rw, never x) on exactly `paths` (repository-relative), each a
 * regular file with one link, reached from the workspace through real directories (checked as root
 * with `realpath` and `stat`, so a PR's link cannot turn the grant into a write on the runner's files).
 * No directory gets write, so the agent can create, delete or rename nothing, and only the owner may
 * chmod. Call after `grantWorkspace(…, false, …)` (traverse and read). Each ACL is recorded in `acls`.
 */
export async function grantFixScope(
  system: SystemPort,
  user: AgentUser,
  workspace: string,
  paths: string[],
  acls: AclChange[],
): Promise<void> {
  const step = 'Fix scope';
  const realWorkspace = (await mustAsRoot(system, step, 'realpath', ['-e', '--', workspace])).stdout.trim();
  for (const rel of paths) {
    if (rel.startsWith('/') || rel.split('/').some((part) => ['', '.', '..'].includes(part)))
      throw new Error(`${step}: '${rel}' is not a plain repository-relative path`);
    const target = path.join(workspace, rel);
    const resolved = await asRoot(system, 'realpath', ['-e', '--', target]);
    if (resolved.exitCode !== 0 || resolved.stdout.trim() !== path.join(realWorkspace, rel))
      throw new Error(
        `${step}: '${rel}' is missing or reached through a symbolic link; the agent gets no write through links`,
      );
    const kind = (await mustAsRoot(system, step, 'stat', ['--format=%F:%h', '--', target])).stdout.trim();
    if (kind !== 'regular file:1')
      throw new Error(`${step}: '${rel}' is not a regular file with a single link (${kind})`);
    await grantAcl(system, acls, target, `u:${user.name}:rw`, false);
  }
}
