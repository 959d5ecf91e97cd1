/**
 * The workspace before the agent runs, as the fix check needs it (see change-check.ts): HEAD, every
 * untracked path with its lstat signature, the `.git/hooks` and `.git/info` entries with their
 * content; and the on-disk check of the scope paths. Git runs through the git runner, with file
 * modes and links honoured whatever the repository config says.
 */
import type { BigIntStats } from 'node:fs';
import { mkdtemp, readFile, readdir, readlink, rm, lstat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGit, splitNul } from '../git-runner.js';
import type { ScopeRefusal } from './fix-scope.js';

/**
 * Runs git in the workspace; resolves with stdout, rejects naming the subcommand and its stderr.
 * `indexFile` points git at another index (GIT_INDEX_FILE) than the repository's own.
 */
export type WorkspaceGit = (
  args: string[],
  options?: { input?: Buffer; indexFile?: string },
) => Promise<Buffer>;

export interface SavedEntry {
  signature: string;
  mode: number;
  /** Regular file content (base64), when small enough to put back. */
  content?: string;
  link?: string;
  dir?: boolean;
}

/** The workspace before the agent ran. Plain JSON. */
export interface Baseline {
  head: string;
  /** Untracked path (a trailing slash: a nested repository) → lstat signature. */
  untracked: Record<string, string>;
  /** Wholly untracked directories (empty ones included), ending in '/': never pruned by the reset. */
  untrackedDirs: string[];
  /** `.git/hooks/…` and `.git/info/…` entries. */
  gitDir: Record<string, SavedEntry>;
}

const GUARDED_GIT_DIRS = ['hooks', 'info'];
const MAX_SAVED_BYTES = 1024 * 1024;

/** The real port: the git runner, in the workspace, with file modes and links honoured whatever the repository config says. */
export function workspaceGit(gitPath: string, workspace: string): WorkspaceGit {
  const git = createGit(gitPath, {
    workspace,
    config: [
      ...['-c', 'core.fileMode=true', '-c', 'core.symlinks=true', '-c', 'core.untrackedCache=false'],
      ...['-c', 'diff.suppressBlankEmpty=false'],
    ],
  });
  return (args, options = {}) =>
    git.run(args, {
      env: options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {},
      input: options.input,
    });
}

function gitMode(stat: BigIntStats): string {
  if (stat.isSymbolicLink()) return '120000';
  if (stat.isDirectory()) return '040000';
  return (stat.mode & 0o100n) !== 0n ? '100755' : '100644';
}

/** A directory's times change with its entries (reported on their own): only its type, mode and inode. */
function signature(stat: BigIntStats): string {
  if (stat.isDirectory()) return [gitMode(stat), stat.mode, stat.ino].join(':');
  return [gitMode(stat), stat.mode, stat.size, stat.mtimeNs, stat.ctimeNs, stat.ino].join(':');
}

export async function lstatOrNull(file: string): Promise<BigIntStats | null> {
  try {
    return await lstat(file, { bigint: true });
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
}

/**
 * Keeps only the scope paths that are regular files with one link, reached through real directories
 * (no symbolic link anywhere below the workspace).
 */
export async function confirmScopeOnDisk(
  workspace: string,
  paths: readonly string[],
): Promise<{ paths: string[]; refused: ScopeRefusal[] }> {
  const kept: string[] = [];
  const refused: ScopeRefusal[] = [];
  for (const rel of paths) {
    const parts = rel.split('/');
    let reason: string | undefined;
    for (let i = 1; i <= parts.length && reason === undefined; i++) {
      const stat = await lstatOrNull(path.join(workspace, ...parts.slice(0, i)));
      const what = i < parts.length ? 'directory' : 'file';
      if (stat === null) reason = `the ${what} ${parts.slice(0, i).join('/')} does not exist in the checkout`;
      else if (stat.isSymbolicLink()) reason = `${parts.slice(0, i).join('/')} is a symbolic link`;
      else if (i < parts.length && !stat.isDirectory())
        reason = `${parts.slice(0, i).join('/')} is not a directory`;
      else if (i === parts.length && !stat.isFile()) reason = 'not a regular file';
      else if (i === parts.length && stat.nlink !== 1n) reason = 'the file has other hard links';
    }
    if (reason === undefined) kept.push(rel);
    else refused.push({ path: rel, reason });
  }
  return { paths: kept, refused };
}

/** Entries under .git/hooks and .git/info (not following links), with content for small files. */
export async function guardedGitEntries(workspace: string): Promise<Record<string, SavedEntry>> {
  const entries: Record<string, SavedEntry> = {};
  const gitDir = path.join(workspace, '.git');
  if (!(await lstatOrNull(gitDir))?.isDirectory()) return entries;
  const walk = async (rel: string): Promise<void> => {
    const stat = await lstatOrNull(path.join(workspace, rel));
    if (stat === null) return;
    const entry: SavedEntry = { signature: signature(stat), mode: Number(stat.mode & 0o7777n) };
    if (stat.isSymbolicLink()) entry.link = await readlink(path.join(workspace, rel));
    else if (stat.isDirectory()) entry.dir = true;
    else if (stat.isFile() && stat.size <= MAX_SAVED_BYTES)
      entry.content = (await readFile(path.join(workspace, rel))).toString('base64');
    entries[rel] = entry;
    if (stat.isDirectory())
      for (const name of (await readdir(path.join(workspace, rel))).sort()) await walk(`${rel}/${name}`);
  };
  for (const dir of GUARDED_GIT_DIRS) await walk(`.git/${dir}`);
  return entries;
}

export async function untrackedEntries(
  workspace: string,
  git: WorkspaceGit,
): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  for (const rel of splitNul(await git(['ls-files', '-z', '--others']))) {
    const stat = await lstatOrNull(path.join(workspace, rel));
    if (stat !== null) entries[rel] = signature(stat);
  }
  return entries;
}

/**
 * Runs `work` with git pointed at a fresh index read from `commit`: nothing in the repository's own
 * index (stat data, assume-unchanged or skip-worktree flags, staged entries) can hide a change.
 */
export async function withOwnIndex<T>(
  git: WorkspaceGit,
  commit: string,
  work: (g: WorkspaceGit) => Promise<T>,
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'claude-guard-index-'));
  const indexFile = path.join(dir, 'index');
  try {
    await git(['read-tree', commit], { indexFile });
    return await work((args, options = {}) => git(args, { ...options, indexFile }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Records the workspace as it is before the agent starts. */
export async function takeBaseline(workspace: string, git: WorkspaceGit): Promise<Baseline> {
  const head = (await git(['rev-parse', '--verify', 'HEAD'])).toString().trim();
  return withOwnIndex(git, head, async (g) => ({
    head,
    untracked: await untrackedEntries(workspace, g),
    untrackedDirs: splitNul(await g(['ls-files', '-z', '--others', '--directory'])).filter((p) =>
      p.endsWith('/'),
    ),
    gitDir: await guardedGitEntries(workspace),
  }));
}
