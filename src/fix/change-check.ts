/**
 * What the agent changed, as the action itself sees it on disk — never the agent's word — and whether
 * a fix may go further (threat model X4, X7; issue 6: nothing unreviewed lands).
 *
 * - `confirmScopeOnDisk` (before the agent): a file in scope must be a regular, singly-linked file
 *   reached through real directories — a link would turn a write grant on a PR file into a write on
 *   the runner's files.
 * - `takeBaseline` (before the agent): HEAD, every untracked path (ignored ones included: `git
 *   ls-files --others` without excludes) with its lstat signature (ctime included, which a process
 *   cannot set back), and every entry under `.git/hooks` and `.git/info` with its content.
 * - `collectChanges` (after the agent), through a fresh index read from the baseline HEAD (so nothing
 *   the agent may have done to the repository's index — stat data, assume-unchanged, staged files —
 *   hides a change): tracked changes from `git status --porcelain=v2` (HEAD and
 *   working-tree modes: executable bit, symbolic link 120000, gitlink 160000; link targets read from
 *   disk), untracked and ignored entries created, changed or removed since the baseline, the same for
 *   `.git/hooks` and `.git/info`, a moved HEAD — and the `git diff --binary` of the tracked changes.
 * - `checkChanges` (pure) accepts only content edits of files in the allowed set: any new file,
 *   deletion, type or mode change, symbolic link, submodule, untracked-file change, anything in `.git`,
 *   workflow or agent-config file refuses the whole fix, with every reason listed. Never partial.
 * - `resetWorkingTree` puts every changed path back as it was: new entries removed first (so no
 *   planted link is followed), then tracked paths checked out from HEAD (content and mode), `.git`
 *   entries rewritten from the baseline. What cannot be restored (an untracked file the agent edited)
 *   is returned.
 *
 * Git runs hardened: no system or global config, literal pathspecs, no fsmonitor, no hooks, no
 * external diff or textconv, file modes and links honoured whatever the repository config says.
 */
import type { BigIntStats } from 'node:fs';
import { constants } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readFile,
  readdir,
  readlink,
  rm,
  rmdir,
  symlink,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGit, splitNul } from '../git-runner.js';
import { protectedReason, type ScopeRefusal } from './fix-scope.js';

/**
 * Runs git in the workspace; resolves with stdout, rejects naming the subcommand and its stderr.
 * `indexFile` points git at another index (GIT_INDEX_FILE) than the repository's own.
 */
export type WorkspaceGit = (
  args: string[],
  options?: { input?: Buffer; indexFile?: string },
) => Promise<Buffer>;

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'typechange' | 'unmerged';

export interface FileChange {
  /** Repository-relative (`.git/hooks/…` for git's own directory). */
  path: string;
  kind: ChangeKind;
  /** Tracked by git, an untracked (or ignored) entry, or inside `.git`. */
  area: 'tracked' | 'untracked' | 'git-dir';
  /** Git-style modes: 100644, 100755, 120000 (link), 160000 (submodule), 040000 (directory). */
  oldMode?: string;
  newMode?: string;
  /** Where a new or changed symbolic link points. */
  symlinkTarget?: string;
}

export interface ChangeSet {
  changes: FileChange[];
  /** `git diff --binary HEAD` of the tracked changes (empty when none). */
  patch: Buffer;
}

export type CheckResult = { ok: true; patch: Buffer } | { ok: false; violations: ScopeRefusal[] };

interface SavedEntry {
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

async function lstatOrNull(file: string): Promise<BigIntStats | null> {
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
async function guardedGitEntries(workspace: string): Promise<Record<string, SavedEntry>> {
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

async function untrackedEntries(workspace: string, git: WorkspaceGit): Promise<Record<string, string>> {
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
async function withOwnIndex<T>(git: WorkspaceGit, commit: string, work: (g: WorkspaceGit) => Promise<T>) {
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

/** Added / modified / deleted between two signature maps. */
function compare(
  before: Record<string, string>,
  after: Record<string, string>,
  area: FileChange['area'],
): FileChange[] {
  const modeOf = (sig: string | undefined) => sig?.split(':')[0];
  const changes: FileChange[] = [];
  for (const p of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [was, is] = [before[p], after[p]];
    if (was === is) continue;
    const [oldMode, newMode] = [modeOf(was), modeOf(is)];
    const kind: ChangeKind =
      was === undefined
        ? 'added'
        : is === undefined
          ? 'deleted'
          : oldMode !== newMode
            ? 'typechange'
            : 'modified';
    changes.push({ path: p.replace(/\/$/, ''), kind, area, oldMode, newMode });
  }
  return changes;
}

/** Tracked changes from porcelain v2 records (`1 XY sub mH mI mW hH hI path`, `u XY sub m1 m2 m3 mW …`). */
export function parseStatus(records: string[]): FileChange[] {
  const changes: FileChange[] = [];
  for (const record of records) {
    const fields = record.split(' ');
    if (fields[0] === '1') {
      const [mH, , mW] = fields.slice(3, 6);
      const pathText = fields.slice(8).join(' ');
      const oldMode = mH === '000000' ? undefined : mH;
      const newMode = mW === '000000' ? undefined : mW;
      const kind: ChangeKind =
        oldMode === undefined
          ? 'added'
          : newMode === undefined
            ? 'deleted'
            : oldMode.slice(0, 2) !== newMode.slice(0, 2)
              ? 'typechange'
              : 'modified';
      changes.push({ path: pathText, kind, area: 'tracked', oldMode, newMode });
    } else if (fields[0] === 'u') {
      changes.push({
        path: fields.slice(10).join(' '),
        kind: 'unmerged',
        area: 'tracked',
        newMode: fields[6],
      });
    } else if (fields[0] === '2') {
      throw new Error(`git status reported a rename although renames were off: ${record}`);
    }
  }
  return changes;
}

/** The action's own account of what changed since `baseline`, and the patch of the tracked part. */
export async function collectChanges(
  workspace: string,
  git: WorkspaceGit,
  baseline: Baseline,
): Promise<ChangeSet> {
  const changes: FileChange[] = [];
  const head = (await git(['rev-parse', '--verify', 'HEAD'])).toString().trim();
  if (head !== baseline.head)
    changes.push({
      path: '.git/HEAD',
      kind: 'modified',
      area: 'git-dir',
      oldMode: '100644',
      newMode: '100644',
    });
  const { tracked, untracked, patch } = await withOwnIndex(git, baseline.head, async (g) => {
    const status = await g(['status', '--porcelain=v2', '-z', '--untracked-files=no', '--no-renames']);
    const tracked = parseStatus(splitNul(status));
    const diff = [
      ...['diff', '--binary', '--full-index', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames'],
      ...['-U3', '--src-prefix=a/', '--dst-prefix=b/', baseline.head],
    ];
    return {
      tracked,
      untracked: await untrackedEntries(workspace, g),
      patch: tracked.length ? await g(diff) : Buffer.alloc(0),
    };
  });
  changes.push(...tracked, ...compare(baseline.untracked, untracked, 'untracked'));
  const sigs = (entries: Record<string, SavedEntry>) =>
    Object.fromEntries(Object.entries(entries).map(([p, e]) => [p, e.signature]));
  changes.push(...compare(sigs(baseline.gitDir), sigs(await guardedGitEntries(workspace)), 'git-dir'));
  for (const change of changes) {
    if (change.newMode === '120000' && change.area !== 'git-dir')
      change.symlinkTarget = await readlink(path.join(workspace, change.path)).catch(() => undefined);
  }
  return { changes, patch };
}

/** Why one change may not be part of a fix (several reasons joined), or undefined. */
function violation(change: FileChange, allowed: ReadonlySet<string>): string | undefined {
  const reasons: string[] = [];
  if (change.area === 'git-dir') reasons.push('inside .git (hooks, info, HEAD): git reads or runs it');
  if (change.area === 'untracked')
    reasons.push(
      change.kind === 'added' ? 'new file' : `${change.kind} an untracked or ignored file git cannot restore`,
    );
  else if (change.kind === 'added') reasons.push('new file');
  if (change.kind === 'deleted') reasons.push('deletion');
  if (change.kind === 'unmerged') reasons.push('unmerged entry');
  if (change.kind === 'typechange') reasons.push(`type change (${change.oldMode} → ${change.newMode})`);
  if (change.newMode === '120000')
    reasons.push(`symbolic link${change.symlinkTarget !== undefined ? ` to ${change.symlinkTarget}` : ''}`);
  if (change.oldMode === '160000' || change.newMode === '160000') reasons.push('submodule');
  if (change.kind === 'modified' && change.oldMode !== change.newMode)
    reasons.push(
      change.oldMode === '100644' && change.newMode === '100755'
        ? 'executable bit added'
        : `mode change (${change.oldMode} → ${change.newMode})`,
    );
  const protectedWhy = change.area === 'git-dir' ? undefined : protectedReason(change.path);
  if (protectedWhy) reasons.push(protectedWhy);
  if (!allowed.has(change.path)) reasons.push('outside the files the fix may edit');
  return reasons.length ? reasons.join('; ') : undefined;
}

/** Pure: the fix is acceptable only when every change is a content edit of an allowed file. */
export function checkChanges(set: ChangeSet, allowedPaths: readonly string[]): CheckResult {
  const allowed = new Set(allowedPaths);
  const violations: ScopeRefusal[] = [];
  for (const change of set.changes) {
    const reason = violation(change, allowed);
    if (reason !== undefined) violations.push({ path: change.path, reason });
  }
  return violations.length ? { ok: false, violations } : { ok: true, patch: set.patch };
}

/**
 * Removes an entry without following links, then its parent directories while they are empty — never
 * in .git, never a directory that was already there untracked.
 */
async function removeEntry(workspace: string, rel: string, keep: readonly string[]): Promise<void> {
  await rm(path.join(workspace, rel), { recursive: true, force: true });
  if (rel.startsWith('.git/')) return;
  for (let dir = path.dirname(rel); dir !== '.'; dir = path.dirname(dir)) {
    if (keep.some((k) => `${dir}/`.startsWith(k))) return;
    try {
      await rmdir(path.join(workspace, dir));
    } catch {
      return;
    }
  }
}

/** Writes a saved `.git` entry back (never through an existing link: the entry is removed first). */
async function putBack(workspace: string, rel: string, saved: SavedEntry): Promise<boolean> {
  const file = path.join(workspace, rel);
  if (saved.dir) {
    if ((await lstatOrNull(file))?.isDirectory() !== true) {
      await rm(file, { force: true });
      await mkdir(file);
    }
    await chmod(file, saved.mode);
    return true;
  }
  if (saved.link !== undefined) {
    await rm(file, { recursive: true, force: true });
    await symlink(saved.link, file);
    return true;
  }
  if (saved.content === undefined) return false;
  await rm(file, { recursive: true, force: true });
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(Buffer.from(saved.content, 'base64'));
  } finally {
    await handle.close();
  }
  await chmod(file, saved.mode);
  return true;
}

/**
 * Puts every path of `set` back as it was at `baseline`: new entries removed first, tracked paths
 * checked out from the baseline HEAD (index and working tree, content and mode), `.git` entries
 * rewritten. Returns what could not be restored, with why.
 */
export async function resetWorkingTree(
  workspace: string,
  git: WorkspaceGit,
  set: ChangeSet,
  baseline: Baseline,
): Promise<ScopeRefusal[]> {
  const left: ScopeRefusal[] = [];
  const byArea = (area: FileChange['area']) => set.changes.filter((c) => c.area === area);
  const pathspec = (paths: string[]) => ({ input: Buffer.from(paths.map((p) => `${p}\0`).join('')) });
  const fromFile = ['--pathspec-from-file=-', '--pathspec-file-nul'];
  const tracked = byArea('tracked');
  const created = [
    ...byArea('untracked').filter((c) => c.kind === 'added'),
    ...tracked.filter((c) => c.oldMode === undefined),
  ].map((c) => c.path);
  for (const c of byArea('untracked').filter((c) => c.kind !== 'added'))
    left.push({
      path: c.path,
      reason: `untracked file ${c.kind}; it was never in git, so it cannot be restored`,
    });
  for (const p of created) await removeEntry(workspace, p, baseline.untrackedDirs);
  // Anything the agent staged in the repository's own index goes too.
  if (created.length)
    await git(['rm', '-q', '-r', '--cached', '--ignore-unmatch', ...fromFile], pathspec(created));
  for (const c of byArea('git-dir').filter((c) => c.kind === 'added'))
    await removeEntry(workspace, c.path, baseline.untrackedDirs);
  const inHead = tracked.filter((c) => c.oldMode !== undefined).map((c) => c.path);
  for (const p of inHead) {
    // A directory or link the agent put where a tracked entry was: checkout must not follow it.
    const stat = await lstatOrNull(path.join(workspace, p));
    if (stat !== null && !stat.isFile()) await rm(path.join(workspace, p), { recursive: true, force: true });
  }
  if (inHead.length) await git(['checkout', '-q', baseline.head, ...fromFile], pathspec(inHead));
  const changedGitEntries = byArea('git-dir')
    .filter((c) => c.kind !== 'added')
    .sort((a, b) => a.path.localeCompare(b.path));
  for (const c of changedGitEntries) {
    const saved = baseline.gitDir[c.path];
    if (c.path === '.git/HEAD' || saved === undefined || !(await putBack(workspace, c.path, saved)))
      left.push({ path: c.path, reason: 'changed inside .git; restore it by hand or use a fresh checkout' });
  }
  return left;
}
