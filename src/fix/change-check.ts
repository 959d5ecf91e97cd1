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
 * Split by responsibility: baseline.ts (the workspace before the agent, the scope check on disk),
 * file-changes.ts (change records, the porcelain v2 parser), restore.ts (`resetWorkingTree`); this
 * module collects and checks, and re-exports the rest for its callers.
 *
 * Git runs hardened: no system or global config, literal pathspecs, no fsmonitor, no hooks, no
 * external diff or textconv, file modes and links honoured whatever the repository config says.
 */
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import { splitNul } from '../git-runner.js';
import {
  guardedGitEntries,
  untrackedEntries,
  withOwnIndex,
  type Baseline,
  type SavedEntry,
  type WorkspaceGit,
} from './baseline.js';
import { compare, parseStatus, type ChangeSet, type FileChange } from './file-changes.js';
import { protectedReason, type ScopeRefusal } from './fix-scope.js';

export {
  confirmScopeOnDisk,
  takeBaseline,
  workspaceGit,
  type Baseline,
  type WorkspaceGit,
} from './baseline.js';
export { parseStatus, type ChangeKind, type ChangeSet, type FileChange } from './file-changes.js';
export { resetWorkingTree } from './restore.js';

export type CheckResult = { ok: true; patch: Buffer } | { ok: false; violations: ScopeRefusal[] };

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
