/**
 * Unified-diff reading shared by the e2e fakes: which lines of a file a GitHub `patch` shows on each
 * side (what GitHub lets a review comment anchor to), and splitting `git diff` output per file.
 * Deliberately independent of the action's own src/findings/diff.ts, so the fake is a second opinion.
 */

/**
 * @typedef {{ right: Set<number>, left: Set<number>, added: number[] }} Hunk
 *   right: new-file lines shown (added + context); left: old-file lines shown (deleted + context);
 *   added: new-file lines that were added, in order.
 */

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/**
 * Parse the hunks of one file's patch (GitHub's pulls/files `patch`: hunks only, no file header).
 * @param {string | undefined} patch
 * @returns {Hunk[]}
 */
export function parseHunks(patch) {
  /** @type {Hunk[]} */
  const hunks = [];
  /** @type {Hunk | undefined} */
  let hunk;
  let oldLine = 0;
  let newLine = 0;
  for (const line of (patch ?? '').split('\n')) {
    const header = HUNK_HEADER.exec(line);
    if (header) {
      hunk = { right: new Set(), left: new Set(), added: [] };
      hunks.push(hunk);
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
    } else if (!hunk || line.startsWith('\\')) {
      continue; // before the first hunk, or "\ No newline at end of file"
    } else if (line.startsWith('+')) {
      hunk.right.add(newLine);
      hunk.added.push(newLine++);
    } else if (line.startsWith('-')) {
      hunk.left.add(oldLine++);
    } else if (line.startsWith(' ')) {
      hunk.right.add(newLine++);
      hunk.left.add(oldLine++);
    }
  }
  return hunks;
}

/**
 * @typedef {{ path: string, status: 'added' | 'removed' | 'modified' | 'renamed', previousPath?: string,
 *   patch: string }} DiffFile
 */

/**
 * Split `git diff` output into per-file patches in GitHub's shape (hunks only, no trailing newline),
 * with GitHub's status names. Expects git's default a/ b/ prefixes.
 * @param {string} diff
 * @returns {DiffFile[]}
 */
export function splitGitDiff(diff) {
  /** @type {(DiffFile & { lines: string[] })[]} */
  const files = [];
  for (const line of diff.split('\n')) {
    const current = files.at(-1);
    if (line.startsWith('diff --git ')) {
      const same = /^diff --git a\/(.+) b\/\1$/.exec(line); // binary files have no ---/+++ lines
      files.push({ path: same?.[1] ?? '', status: 'modified', patch: '', lines: [] });
    } else if (!current) {
      continue;
    } else if (current.lines.length > 0 || line.startsWith('@@')) {
      current.lines.push(line);
    } else if (line.startsWith('new file mode')) {
      current.status = 'added';
    } else if (line.startsWith('deleted file mode')) {
      current.status = 'removed';
    } else if (line.startsWith('rename from ')) {
      current.status = 'renamed';
      current.previousPath = line.slice('rename from '.length);
    } else if (line.startsWith('rename to ')) {
      current.path = line.slice('rename to '.length);
    } else if (line.startsWith('+++ b/')) {
      current.path = line.slice('+++ b/'.length);
    } else if (line.startsWith('--- a/') && current.status === 'removed') {
      current.path = line.slice('--- a/'.length); // a deleted file: '+++ /dev/null' follows
    }
  }
  return files.map(({ lines, ...f }) => ({ ...f, patch: lines.join('\n').replace(/\n+$/, '') }));
}
