/**
 * What changed in the workspace, as data: the change records, git's porcelain v2 status parsed into
 * them, and the comparison of two signature maps. Pure.
 */

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

/** Added / modified / deleted between two signature maps. */
export function compare(
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
