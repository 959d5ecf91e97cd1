/**
 * The agent's world at the strict level (threat rows S2, S3, S8, S9, S12, X4, X9): a root file system
 * built by bubblewrap, run as root, from only what the agent needs — defend by building what is allowed.
 * What is not bound here does not exist for the agent: the runner's HOME, RUNNER_TEMP, the tool cache,
 * the live workspace with its untracked files and .git/config, /run/lock, other users' /tmp files.
 *
 * Contents (all read-only unless said): /usr and the top-level links into it; a named list of public
 * /etc files; the node and CLI install directories; the action's Bash hook bundle (and nothing else of
 * the action) at WORLD_HOOK_DIR; the action's share directory (settings file, probe); the clean
 * repository copy at the workspace's path (its working tree writable in custom mode, its fix files in
 * fix mode, its .git never); fresh empty tmpfs at /tmp, /var/tmp,
 * /dev/shm and /run (writable, gone with the namespace); a minimal /dev; a /proc of its own PID
 * namespace (only its own processes). Inside, setpriv drops to the run's own uid with no groups, no
 * capabilities and no_new_privs, and the agent makes its empty HOME, config and TMPDIR on the fresh /tmp.
 *
 * Why bubblewrap as root rather than `unshare` + a mount script: bwrap builds a new root from explicit
 * binds on an empty tmpfs (an allow-list by construction), does pivot_root, mounts a PID namespace's
 * /proc, reaps as PID 1 and kills the whole namespace when the action dies (--die-with-parent), all
 * from one argv that a pure function produces and a table test checks. `unshare` would need a shell
 * script of mounts run as root: more code with privilege, and a deny-list's failure mode (forget one
 * tmpfs and the runner's directory shows through). Run as root, bwrap needs no user namespaces, so
 * Ubuntu's AppArmor restriction on them does not apply. The network namespace is shared on purpose:
 * the per-uid egress rules (egress.ts) let the agent reach only its own run's key proxy on loopback.
 */
import * as path from 'node:path';

/** Public /etc files the agent's tools need (name service, dynamic linker, time zone, CA certificates). */
export const ETC_PUBLIC_FILES = [
  'passwd',
  'group',
  'nsswitch.conf',
  'host.conf',
  'hosts',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'timezone',
  'alternatives',
  'ssl/certs',
  'ssl/openssl.cnf',
  'ca-certificates',
  'ca-certificates.conf',
  'os-release',
  'debian_version',
  'lsb-release',
  'mime.types',
  'protocols',
  'services',
  'gai.conf',
  'inputrc',
  'terminfo',
].map((name) => `/etc/${name}`);

/** Top-level entries that, on a merged-/usr system, are links into /usr (bound as directories otherwise). */
export const SYSTEM_TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Fresh, empty, writable (sticky, like the real ones) file systems of the world. */
export const WORLD_TMPFS = ['/tmp', '/var/tmp', '/dev/shm'];

/**
 * Where the action's Bash hook bundle (dist/hook: index.js and its package.json) is bound read-only in the
 * world: a fixed path outside everything else, so the settings file names the same hook at every run.
 */
export const WORLD_HOOK_DIR = '/claude-guard/hook';

/** Where the agent's own HOME, CLAUDE_CONFIG_DIR and TMPDIR are, inside the world (on its fresh /tmp). */
export const WORLD_AGENT_DIRS = {
  home: '/tmp/claude-guard/home',
  configDir: '/tmp/claude-guard/config',
  tmpDir: '/tmp/claude-guard/tmp',
};

export interface WorldBind {
  source: string;
  target: string;
  writable?: boolean;
}

export interface WorldSpec {
  uid: number;
  gid: number;
  /** How each SYSTEM_TOP_LEVEL entry looks on the host: a link target, a directory, or absent. */
  topLevel: { path: string; link?: string; directory?: boolean }[];
  /** Read-only binds at the same path (install directories of node and the CLI, the share directory). */
  readOnly: string[];
  /** Binds to another path, in order (the repository copy at the workspace's path, writable in custom
   * mode, then its .git read-only over it; the hook bundle at WORLD_HOOK_DIR). */
  binds: WorldBind[];
  /** The agent's working directory (the workspace path, where the copy is). */
  cwd: string;
  /** Absolute paths of setpriv and sh inside the world (under /usr). */
  setpriv: string;
  sh: string;
}

/** Every directory from / down to `dir` (exclusive of /), outermost first. */
function chain(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(dir); d !== '/'; d = path.dirname(d)) out.unshift(d);
  return out;
}

/**
 * The bwrap argv (after the bwrap command itself) that builds the world and runs `command` in it as the
 * agent. Pure. Nothing secret: paths, ids and the command; the environment is passed, not on argv.
 */
export function worldArgs(spec: WorldSpec, command: string, args: string[]): string[] {
  const out = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'claude-guard',
  ];
  // bwrap makes missing parents of a mount point 0700 (unreachable for the agent): make them 0755 first.
  const made = new Set<string>(['/']);
  const parents = (target: string) => {
    for (const dir of chain(path.dirname(target)))
      if (!made.has(dir)) {
        made.add(dir);
        out.push('--perms', '0755', '--dir', dir);
      }
  };
  const mount = (target: string, ...flags: string[]) => {
    parents(target);
    out.push(...flags);
    made.add(path.resolve(target));
  };
  mount('/usr', '--ro-bind', '/usr', '/usr');
  for (const entry of spec.topLevel) {
    if (entry.link !== undefined) mount(entry.path, '--symlink', entry.link, entry.path);
    else if (entry.directory) mount(entry.path, '--ro-bind', entry.path, entry.path);
  }
  for (const file of ETC_PUBLIC_FILES) mount(file, '--ro-bind-try', file, file);
  mount('/proc', '--proc', '/proc');
  mount('/dev', '--dev', '/dev');
  for (const dir of WORLD_TMPFS) mount(dir, '--perms', '1777', '--tmpfs', dir);
  mount('/run', '--perms', '0755', '--tmpfs', '/run');
  for (const dir of spec.readOnly) mount(dir, '--ro-bind', dir, dir);
  for (const bind of spec.binds)
    mount(bind.target, bind.writable ? '--bind' : '--ro-bind', bind.source, bind.target);
  out.push('--remount-ro', '/', '--chdir', spec.cwd, '--');
  out.push(
    spec.setpriv,
    `--reuid=${spec.uid}`,
    `--regid=${spec.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
    spec.sh,
    '-c',
    // The agent makes its own private HOME, config and TMPDIR on the fresh /tmp, then becomes the command.
    'umask 077 && mkdir -p -- "$HOME" "$CLAUDE_CONFIG_DIR" "$TMPDIR" && umask 022 && exec "$@"',
    'claude-guard-world',
    command,
    ...args,
  );
  return out;
}

/** Whether `inner` is `outer` or lies below it. */
const inside = (inner: string, outer: string) =>
  path.resolve(inner) === path.resolve(outer) || path.resolve(inner).startsWith(`${path.resolve(outer)}/`);

/**
 * The directory to bind for an executable at `realFile` (symlinks resolved): its install directory
 * (`<dir>/bin/<file>` → `<dir>`), or the file alone when that directory would contain the runner's
 * HOME, RUNNER_TEMP or workspace. Nothing when it is already under /usr.
 */
export function installRoot(realFile: string, forbidden: string[]): string | undefined {
  if (realFile.startsWith('/usr/')) return undefined;
  const root = path.dirname(path.dirname(realFile));
  if (root === '/' || forbidden.some((f) => inside(f, root))) return realFile;
  return root;
}

/**
 * Why the world cannot be built for this run (empty: it can). Pure. All paths are real (links resolved).
 * The world mounts the clean copy of the repository at the workspace's path, so anything else under
 * the workspace — node, the CLI — would be hidden from the agent; and an action living in the workspace
 * (`uses: ./`) is the checked-out ref's own code, hook included, which a pull request can change.
 */
export function worldObstacles(p: {
  workspace: string;
  node: string;
  actionDir?: string;
  cli?: string;
}): string[] {
  const out: string[] = [];
  const ws = p.workspace;
  if (p.actionDir !== undefined && inside(p.actionDir, ws))
    out.push(
      `the action's own directory (${p.actionDir}) lies inside the workspace (${ws}), as with \`uses: ./\`: its code and Bash hook come from the checked-out ref, which a pull request can change, and the agent's world replaces the workspace with a clean copy of the PR's files; use the action pinned to a release (\`uses: owner/claude-guard@<commit sha>\`) or input 'isolation: sandbox'`,
    );
  if (inside(p.node, ws))
    out.push(
      `node (${p.node}) lies inside the workspace (${ws}), which the agent's world replaces with a clean copy of the PR's files; install node outside the checkout (actions/setup-node does)`,
    );
  if (p.cli !== undefined && inside(p.cli, ws))
    out.push(
      `input 'claude-path' (${p.cli}) lies inside the workspace (${ws}), which the agent's world replaces with a clean copy of the PR's files; install Claude Code outside the checkout or leave 'claude-path' empty`,
    );
  return out;
}
