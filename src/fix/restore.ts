/**
 * Putting the workspace back after a refused fix: new entries removed first (so no planted link is
 * followed), tracked paths checked out from the baseline HEAD, `.git` entries rewritten from the
 * baseline. What cannot be restored is returned.
 */
import { chmod, mkdir, rm, rmdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { writeNewFile } from '../safe-write.js';
import { lstatOrNull, type Baseline, type SavedEntry, type WorkspaceGit } from './baseline.js';
import type { ChangeSet, FileChange } from './file-changes.js';
import type { ScopeRefusal } from './fix-scope.js';

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
  await writeNewFile(file, Buffer.from(saved.content, 'base64'), saved.mode);
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
