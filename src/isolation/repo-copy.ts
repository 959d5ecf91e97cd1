/**
 * The repository the agent sees at strict (threat rows S4, S12, X4): a clean copy of the tracked files
 * at the checked-out commit, made by the action in a fresh directory, with the object store (so
 * `git log base..head`, `git diff`, `git blame` work) but none of the checkout's config, hooks,
 * credentials, reflogs' remote URLs, or untracked files (`.env`, build output, `gha-creds-*.json`).
 *
 * `git clone --local` hard-links the object files (a copy when the workspace is on another file
 * system), `--template=` makes no hooks directory, `--no-checkout` then a detached checkout of the
 * workspace's HEAD writes only tracked files, and the config is replaced by the four core lines git
 * needs. Agent-instruction files the action pinned to the base branch's version in the workspace
 * (agent-instructions.ts) are carried over as pinned.
 *
 * What the agent may write in it (`grantCopy`), by ownership — the copy is the action's, in a 0700
 * directory only root reaches, so nothing of the runner changes: review mode nothing; fix mode exactly
 * the fix files (each a regular file with one link reached through real directories: owned by the
 * agent, no directory write, so nothing can be created, removed or renamed); custom mode the working
 * tree (every entry but `.git`, which the world mounts read-only over it). The action reads the
 * agent's change from the copy afterwards (fix mode) and the copy is removed with the agent directory.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { asRoot, mustAsRoot, type SystemPort } from './system.js';

export const MINIMAL_GIT_CONFIG =
  '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = false\n';

/** Options every git call here gets: no hooks, no fsmonitor, the workspace trusted whoever owns it. */
const SAFE = ['-c', 'safe.directory=*', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

async function run(system: SystemPort, git: string, args: string[]): Promise<string> {
  const result = await system.run(git, [...SAFE, ...args]);
  if (result.exitCode !== 0)
    throw new Error(
      `Repository copy for the agent: 'git ${args.join(' ')}' failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  return result.stdout;
}

export interface RepoCopy {
  dir: string;
  head: string;
}

/**
 * Makes the copy at `dest` (which must not exist). `pinned` are repository-relative paths whose
 * workspace version (the base branch's, pinned by the action) replaces the committed one.
 */
export async function makeRepoCopy(
  system: SystemPort,
  git: string,
  workspace: string,
  dest: string,
  pinned: string[] = [],
): Promise<RepoCopy> {
  const head = (await run(system, git, ['-C', workspace, 'rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  await run(system, git, [
    'clone',
    '--quiet',
    '--local',
    '--no-checkout',
    '--template=',
    '--',
    workspace,
    dest,
  ]);
  await run(system, git, ['-C', dest, 'checkout', '--quiet', '--detach', head]);
  await fs.writeFile(path.join(dest, '.git', 'config'), MINIMAL_GIT_CONFIG);
  await fs.rm(path.join(dest, '.git', 'logs'), { recursive: true, force: true });
  for (const rel of pinned) await carryPinned(workspace, dest, rel);
  return { dir: dest, head };
}

/** Puts the workspace's (pinned) version of `rel` into the copy, or removes it when there is none. */
async function carryPinned(workspace: string, dest: string, rel: string): Promise<void> {
  if (path.isAbsolute(rel) || rel.split('/').includes('..')) return;
  const from = path.join(workspace, rel);
  const to = path.join(dest, rel);
  await fs.rm(to, { force: true });
  const stat = await fs.lstat(from).catch(() => undefined);
  if (!stat) return;
  await fs.mkdir(path.dirname(to), { recursive: true });
  if (stat.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
  else if (stat.isFile()) await fs.copyFile(from, to);
}

/**
 * Hands the agent (uid:gid) what it may write in the copy: the fix files (fix mode) or the working tree
 * without `.git` (custom mode). Review mode: nothing. Throws, naming the file, when a fix file is not a
 * plain repository-relative path to a regular, singly-linked file reached through real directories.
 */
export async function grantCopy(
  system: SystemPort,
  copy: string,
  mode: 'review' | 'custom' | 'fix',
  owner: { uid: number; gid: number },
  fixPaths: readonly string[] = [],
): Promise<void> {
  const to = `${owner.uid}:${owner.gid}`;
  if (mode === 'custom') {
    await mustAsRoot(system, "The agent's copy (custom mode)", 'find', [
      ...[copy, '-xdev', '-path', path.join(copy, '.git'), '-prune', '-o'],
      ...['-exec', 'chown', '-h', to, '{}', '+'],
    ]);
    return;
  }
  if (mode !== 'fix') return;
  const step = "The agent's copy (fix mode)";
  const realCopy = (await mustAsRoot(system, step, 'realpath', ['-e', '--', copy])).stdout.trim();
  for (const rel of fixPaths) {
    if (rel.startsWith('/') || rel.split('/').some((part) => ['', '.', '..', '.git'].includes(part)))
      throw new Error(`${step}: '${rel}' is not a plain repository-relative path`);
    const target = path.join(copy, rel);
    const resolved = await asRoot(system, 'realpath', ['-e', '--', target]);
    if (resolved.exitCode !== 0 || resolved.stdout.trim() !== path.join(realCopy, rel))
      throw new Error(`${step}: '${rel}' is missing or reached through a symbolic link`);
    const kind = (await mustAsRoot(system, step, 'stat', ['--format=%F:%h', '--', target])).stdout.trim();
    if (kind !== 'regular file:1')
      throw new Error(`${step}: '${rel}' is not a regular file with a single link (${kind})`);
    await mustAsRoot(system, step, 'chown', ['-h', to, '--', target]);
  }
}
