/**
 * The pull request's diff as data: which files changed, and which head-side (RIGHT) lines GitHub will
 * accept a review comment on — those shown in a diff hunk, added or context. `placeFinding` decides,
 * as a pure function, whether a finding can go inline and where. Part of the output gate (threat model
 * defence 7): a finding is confined to the lines of the diff or it does not go inline (X2).
 *
 * Two sources: GitHub's `GET /pulls/{n}/files` (per-file patches, no headers) and a full `git diff`
 * (local runs). The git headers (renames, copies, new/deleted files, mode changes, binary files,
 * C-quoted paths) are read here; the hunks are parsed by parse-diff.
 */
import parseDiff from 'parse-diff';

export type FileStatus = 'added' | 'modified' | 'removed' | 'renamed' | 'copied' | 'changed' | 'unchanged';

/** One hunk's head-side line range, inclusive (a hunk that only deletes has none and is not kept). */
export interface Hunk {
  startLine: number;
  endLine: number;
}

export interface FileDiff {
  path: string;
  status: FileStatus;
  previousPath?: string;
  /** Head-side lines present in the diff: added + context. */
  rightLines: Set<number>;
  addedLines: Set<number>;
  /** The hunks, in order; a multi-line comment must fit inside one of them. */
  hunks: Hunk[];
  /** False when GitHub (or git) gave no patch: a binary file or one too large to diff. */
  patchAvailable: boolean;
}

export type Placement =
  { inline: true; line: number; startLine?: number } | { inline: false; reason: string };

/** Lines and hunks from a patch's hunks (a `@@ … @@` sequence, with or without file headers). */
function linesOf(patch: string): Pick<FileDiff, 'rightLines' | 'addedLines' | 'hunks'> {
  const rightLines = new Set<number>();
  const addedLines = new Set<number>();
  const hunks: Hunk[] = [];
  for (const file of parseDiff(patch)) {
    for (const chunk of file.chunks) {
      let start = Infinity;
      let end = -Infinity;
      for (const change of chunk.changes) {
        // parse-diff repeats the previous change for "\ No newline at end of file"; sets absorb it.
        if (change.type === 'del') continue;
        const line = change.type === 'add' ? change.ln : change.ln2;
        rightLines.add(line);
        if (change.type === 'add') addedLines.add(line);
        start = Math.min(start, line);
        end = Math.max(end, line);
      }
      if (end >= start) hunks.push({ startLine: start, endLine: end });
    }
  }
  return { rightLines, addedLines, hunks };
}

const PULL_STATUSES: readonly FileStatus[] = [
  'added',
  'modified',
  'removed',
  'renamed',
  'copied',
  'changed',
  'unchanged',
];

/** GitHub's `GET /pulls/{n}/files` items. A file without `patch` (binary, too large) has no lines. */
export function fromPullFiles(
  files: { filename: string; status: string; previous_filename?: string; patch?: string }[],
): FileDiff[] {
  return files.map((f) => {
    const status = PULL_STATUSES.find((s) => s === f.status) ?? 'modified';
    const lines =
      f.patch === undefined || status === 'removed'
        ? { rightLines: new Set<number>(), addedLines: new Set<number>(), hunks: [] }
        : linesOf(f.patch);
    return {
      path: f.filename,
      status,
      ...(f.previous_filename !== undefined ? { previousPath: f.previous_filename } : {}),
      ...lines,
      patchAvailable: f.patch !== undefined,
    };
  });
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** Git writes a path with unusual bytes C-quoted: "a/t\303\251st.txt". Unquote it (UTF-8). */
export function unquoteGitPath(raw: string): string {
  if (!(raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"'))) return raw;
  const bytes: number[] = [];
  const body = raw.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
    } else if (/[0-7]{3}/.test(body.slice(i + 1, i + 4))) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      const next = body[++i] ?? '';
      bytes.push(C_ESCAPES[next] ?? next.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Strip git's a/ or b/ prefix from an unquoted header path; /dev/null stays undefined. */
function sidePath(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const p = unquoteGitPath(raw.replace(/\t.*$/, ''));
  if (p === '/dev/null') return undefined;
  return p.replace(/^[abiwco12]\//, '');
}

/** `diff --git a/X b/Y`: when both sides are the same path, split it even if it contains spaces. */
function pathsOfDiffLine(rest: string): { from?: string; to?: string } {
  const quoted = /^("(?:[^"\\]|\\.)*") ("(?:[^"\\]|\\.)*")$/.exec(rest);
  if (quoted) return { from: sidePath(quoted[1]), to: sidePath(quoted[2]) };
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ' && rest.slice(2, half) === rest.slice(half + 3)) {
    return { from: sidePath(rest.slice(0, half)), to: sidePath(rest.slice(half + 1)) };
  }
  const m = /^(\S+) (\S+)$/.exec(rest);
  return m ? { from: sidePath(m[1]), to: sidePath(m[2]) } : {};
}

/** One file's section of a `git diff` (from its `diff --git` line to the next). */
function fromGitSection(section: string): FileDiff {
  const lines = section.split('\n');
  const header: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('@@')) break;
    header.push(line);
  }
  const value = (prefix: string) => {
    const line = header.find((l) => l.startsWith(prefix));
    return line === undefined ? undefined : line.slice(prefix.length);
  };
  const names = pathsOfDiffLine(lines[0].slice('diff --git '.length));
  const minus = value('--- ');
  const plus = value('+++ ');
  const from = value('rename from ') ?? value('copy from ');
  const to = value('rename to ') ?? value('copy to ');
  const oldPath =
    from !== undefined ? unquoteGitPath(from) : minus !== undefined ? sidePath(minus) : names.from;
  const newPath = to !== undefined ? unquoteGitPath(to) : plus !== undefined ? sidePath(plus) : names.to;

  let status: FileStatus = 'modified';
  if (value('new file mode ') !== undefined) status = 'added';
  else if (value('deleted file mode ') !== undefined) status = 'removed';
  else if (value('rename from ') !== undefined) status = 'renamed';
  else if (value('copy from ') !== undefined) status = 'copied';
  else if (value('old mode ') !== undefined && !lines.some((l) => l.startsWith('@@'))) status = 'changed';

  const binary = header.some((l) => /^Binary files .* differ$/.test(l) || l === 'GIT binary patch');
  const path = (status === 'removed' ? (oldPath ?? newPath) : (newPath ?? oldPath)) ?? '';
  const hasLines = !binary && status !== 'removed';
  return {
    path,
    status,
    ...((status === 'renamed' || status === 'copied') && oldPath !== undefined
      ? { previousPath: oldPath }
      : {}),
    ...(hasLines
      ? linesOf(section)
      : { rightLines: new Set<number>(), addedLines: new Set<number>(), hunks: [] }),
    patchAvailable: !binary,
  };
}

/** A full `git diff` output. Content lines always start with ' ', '+', '-' or '\', so a line starting
 * with `diff --git ` always begins a new file. */
export function parseUnifiedDiff(text: string): FileDiff[] {
  const sections = text.replace(/\r\n/g, '\n').split(/^(?=diff --git )/m);
  return sections.filter((s) => s.startsWith('diff --git ')).map(fromGitSection);
}

/**
 * Where a finding can go inline. GitHub accepts a review comment on a RIGHT-side line shown in a diff
 * hunk (added or context); a multi-line comment needs its first and last line in the SAME hunk.
 * A finding spanning two hunks is not shrunk to one line: its suggestion would replace the wrong lines.
 */
export function placeFinding(
  f: { path: string; line: number; end_line?: number },
  diff: Map<string, FileDiff> | FileDiff[],
): Placement {
  const files = diff instanceof Map ? [...diff.values()] : diff;
  const file = files.find((d) => d.path === f.path);
  if (file === undefined) {
    const renamed = files.find((d) => d.previousPath === f.path && d.status === 'renamed');
    return {
      inline: false,
      reason: renamed
        ? `${f.path} was renamed to ${renamed.path} in this change`
        : `${f.path} is not in the diff`,
    };
  }
  if (file.status === 'removed') return { inline: false, reason: `${f.path} is deleted in this change` };
  if (!file.patchAvailable)
    return { inline: false, reason: `${f.path} has no diff to comment on (binary or too large)` };
  const end = f.end_line ?? f.line;
  const hunk = file.hunks.find((h) => h.startLine <= f.line && f.line <= h.endLine);
  if (hunk === undefined)
    return { inline: false, reason: `line ${f.line} of ${f.path} is not in a diff hunk` };
  if (end === f.line) return { inline: true, line: f.line };
  if (end > hunk.endLine) {
    const endHunk = file.hunks.some((h) => h.startLine <= end && end <= h.endLine);
    return {
      inline: false,
      reason: endHunk
        ? `lines ${f.line}-${end} of ${f.path} span two diff hunks`
        : `line ${end} of ${f.path} is not in a diff hunk`,
    };
  }
  return { inline: true, line: end, startLine: f.line };
}
