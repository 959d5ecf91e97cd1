/**
 * Every process the agent starts, found and killed as one tree — at every isolation level, also after
 * `setsid` or a double fork, and also from the post step when main was SIGKILLed.
 *
 * Two mechanisms, both set up before the CLI starts and both recorded in the action's state:
 * - a cgroup v2 of the run's own (when a cgroup2 hierarchy is mounted and the action is root, or has
 *   passwordless sudo — a GitHub-hosted runner's user does): the CLI joins it before it execs, every
 *   descendant is born in it and cannot leave it without root (not by `setsid`, a double fork or
 *   `env -i`); `cgroup.kill` kills them all at once. Without root, the cgroup is made, joined, killed and
 *   removed through `sudo -n` (moving a process into it needs write access to the root cgroup's
 *   `cgroup.procs`), and the post step does the same from saved state;
 * - a run-unique marker variable in the CLI's environment, inherited by every descendant that does not
 *   clear its environment; the processes carrying it are found through /proc/<pid>/environ.
 * The process group of the CLI is killed too (claude-cli.ts). At strict, the per-run agent user is
 * killed by uid on top (launcher.ts). With neither root nor sudo, a process that clears its environment
 * and leaves the process group (`env -i setsid …`) escapes: the README's known limits say so.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The marker variable every agent process inherits. */
export const RUN_MARKER_VAR = 'CLAUDE_GUARD_RUN';

export interface ProcessTree {
  /** The marker value (`<RUN_MARKER_VAR>=<marker>` in /proc/<pid>/environ). */
  marker: string;
  /** The run's cgroup v2 directory, when one could be made. */
  cgroup?: string;
  /** The action is not root: the cgroup is handled through this passwordless sudo (absolute path). */
  sudo?: string;
}

/** Where a sudo the process tree may use lives (the post step refuses any other path from state). */
export const SUDO_PATHS: readonly string[] = ['/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo'];

/** An absolute path to a sudo that runs without a password, if there is one. */
export function passwordlessSudo(): string | undefined {
  for (const candidate of SUDO_PATHS) {
    if (!existsSync(candidate)) continue;
    try {
      execFileSync(candidate, ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 });
      return candidate;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Runs `command args` as root: directly when `sudo` is undefined (the action is root). Throws on failure. */
function asRoot(sudo: string | undefined, command: string, args: string[], input?: string): void {
  const [file, argv] = sudo ? [sudo, ['-n', command, ...args]] : [command, args];
  execFileSync(file, argv, {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    timeout: 10_000,
  });
}

/** Pure: the cgroup2 mount point from /proc/self/mountinfo text (the first one), if any. */
export function cgroup2Mount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right || right.split(' ')[0] !== 'cgroup2') continue;
    const fields = left.split(' ');
    if (fields[4]) return fields[4].replace(/\\040/g, ' ');
  }
  return undefined;
}

/**
 * A fresh marker, and a cgroup of the run's own when this process may make one (as root, or through
 * passwordless sudo: `opts.sudo`, found when not given; `null` for none).
 */
export function createProcessTree(
  opts: { mountinfo?: string; uid?: number; sudo?: string | null } = {},
): ProcessTree {
  const marker = `cg-${randomUUID()}`;
  const uid = opts.uid ?? process.getuid?.() ?? -1;
  const sudo =
    uid === 0 ? undefined : opts.sudo === undefined ? passwordlessSudo() : (opts.sudo ?? undefined);
  if (uid !== 0 && !sudo) return { marker };
  let mountinfo = opts.mountinfo;
  try {
    mountinfo ??= readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return { marker };
  }
  const mount = cgroup2Mount(mountinfo);
  if (!mount) return { marker };
  const dir = path.join(mount, `claude-guard-${marker.slice(3)}`);
  try {
    if (sudo) asRoot(sudo, 'mkdir', [dir]);
    else mkdirSync(dir);
  } catch {
    return { marker };
  }
  // The kernel must support cgroup.kill (Linux 5.14+), or the cgroup cannot kill the tree at once.
  if (!existsSync(path.join(dir, 'cgroup.kill'))) {
    removeCgroup(dir, sudo);
    return { marker };
  }
  return { marker, cgroup: dir, ...(sudo ? { sudo } : {}) };
}

function removeCgroup(dir: string, sudo: string | undefined): boolean {
  try {
    if (sudo) asRoot(sudo, 'rmdir', [dir]);
    else rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command that runs `command args` inside the run's cgroup: a shell joins it, then execs the command
 * (so the CLI and everything it starts are born inside). Without a cgroup, the command unchanged.
 */
export function joinTree(
  tree: ProcessTree,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (!tree.cgroup) return { command, args };
  if (tree.sudo)
    return {
      command: '/bin/sh',
      args: [
        '-c',
        'echo $$ | "$1" -n tee "$0/cgroup.procs" >/dev/null && shift && exec "$@"',
        tree.cgroup,
        tree.sudo,
        command,
        ...args,
      ],
    };
  return {
    command: '/bin/sh',
    args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', tree.cgroup, command, ...args],
  };
}

/** The environment with the marker added. */
export function markEnv(tree: ProcessTree, env: Record<string, string>): Record<string, string> {
  return { ...env, [RUN_MARKER_VAR]: tree.marker };
}

/** Pids under `procRoot` whose environment carries the marker (this process excluded). */
export function findMarked(marker: string, procRoot = '/proc'): number[] {
  const needle = Buffer.from(`${RUN_MARKER_VAR}=${marker}\0`);
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(path.join(procRoot, name, 'environ'));
      if (environ.includes(needle)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function cgroupPids(dir: string): number[] {
  try {
    return readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Kill the whole tree: the cgroup at once, then every marked process, repeated until none is left (a
 * process forking while it is killed may add one). Returns how many processes were signalled.
 */
export async function killTree(tree: ProcessTree, procRoot = '/proc'): Promise<number> {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const inCgroup = tree.cgroup ? cgroupPids(tree.cgroup) : [];
    if (tree.cgroup && inCgroup.length) {
      try {
        const kill = path.join(tree.cgroup, 'cgroup.kill');
        if (tree.sudo) asRoot(tree.sudo, 'tee', [kill], '1');
        else writeFileSync(kill, '1');
      } catch {
        // fall through to the marker
      }
    }
    const marked = findMarked(tree.marker, procRoot).filter((p) => !inCgroup.includes(p));
    for (const pid of marked) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    killed += inCgroup.length + marked.length;
    if (inCgroup.length + marked.length === 0) return killed;
    await sleep(50);
  }
  return killed;
}

/** Kill the tree, then remove the cgroup (it can be removed only once empty). Idempotent. */
export async function endTree(tree: ProcessTree, procRoot = '/proc'): Promise<number> {
  const killed = await killTree(tree, procRoot);
  if (tree.cgroup && existsSync(tree.cgroup)) {
    for (let i = 0; i < 40; i++) {
      if (removeCgroup(tree.cgroup, tree.sudo)) break;
      await sleep(50); // the kernel releases a killed process's membership asynchronously
    }
  }
  return killed;
}

/** Only a directory named like ours under a cgroup2 mount may be removed (the post step reads it from state). */
export function isOurCgroup(dir: string): boolean {
  return /\/claude-guard-[0-9a-f-]{36}$/.test(dir);
}
