import { describe, expect, test } from '@jest/globals';
import {
  fromPullFiles,
  parseUnifiedDiff,
  placeFinding,
  unquoteGitPath,
  type FileDiff,
} from '../../src/findings/diff.js';

// Real output of `git diff --cached -M HEAD` (git 2.x) over a commit that modifies, adds, deletes,
// renames (with and without changes), changes a mode, a binary file, a file without a trailing
// newline, a path with a space and a non-ASCII path.
const GIT_DIFF = [
  'diff --git a/a.txt b/a.txt',
  'index e8823e1..2dea7a2 100644',
  '--- a/a.txt',
  '+++ b/a.txt',
  '@@ -2,7 +2,7 @@',
  ...[' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8'],
  '@@ -22,7 +22,7 @@',
  ...[' 22', ' 23', ' 24', '-25', '+twenty-five', ' 26', ' 27', ' 28'],
  'diff --git a/added.txt b/added.txt',
  'new file mode 100644',
  'index 0000000..3e75765',
  '--- /dev/null',
  '+++ b/added.txt',
  '@@ -0,0 +1 @@',
  '+new',
  'diff --git a/bin.dat b/bin.dat',
  'index bdc955b..8835708 100644',
  'Binary files a/bin.dat and b/bin.dat differ',
  'diff --git a/del.txt b/del.txt',
  'deleted file mode 100644',
  'index 286c5f5..0000000',
  '--- a/del.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-gone',
  'diff --git a/mode.sh b/mode.sh',
  'old mode 100644',
  'new mode 100755',
  'diff --git a/old.txt b/new.txt',
  'similarity index 100%',
  'rename from old.txt',
  'rename to new.txt',
  'diff --git a/nonl.txt b/nonl.txt',
  'index 1b32298..6e94b48 100644',
  '--- a/nonl.txt',
  '+++ b/nonl.txt',
  '@@ -1,2 +1,2 @@',
  ' x',
  '-y',
  '\\ No newline at end of file',
  '+z',
  '\\ No newline at end of file',
  'diff --git a/ren.txt b/ren2.txt',
  'similarity index 94%',
  'rename from ren.txt',
  'rename to ren2.txt',
  'index 0ff3bbb..d4de868 100644',
  '--- a/ren.txt',
  '+++ b/ren2.txt',
  '@@ -18,3 +18,4 @@',
  ...[' 18', ' 19', ' 20', '+21'],
  'diff --git a/sp ace.txt b/sp ace.txt',
  'index 45b983b..0e2f46c 100644',
  '--- a/sp ace.txt\t',
  '+++ b/sp ace.txt\t',
  '@@ -1 +1,2 @@',
  ' hi',
  '+there',
  'diff --git "a/t\\303\\251st.txt" "b/t\\303\\251st.txt"',
  'index 4ae8ef0..24188bd 100644',
  '--- "a/t\\303\\251st.txt"',
  '+++ "b/t\\303\\251st.txt"',
  '@@ -1 +1,2 @@',
  ' u',
  '+v',
  '',
].join('\n');

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const parsed = new Map(parseUnifiedDiff(GIT_DIFF).map((f) => [f.path, f]));

describe('parseUnifiedDiff', () => {
  test('finds every file once', () => {
    expect([...parsed.keys()].sort()).toEqual(
      [
        'a.txt',
        'added.txt',
        'bin.dat',
        'del.txt',
        'mode.sh',
        'new.txt',
        'nonl.txt',
        'ren2.txt',
        'sp ace.txt',
        'tést.txt',
      ].sort(),
    );
  });

  test.each<[string, Partial<FileDiff>, number[], number[]]>([
    ['a.txt', { status: 'modified', patchAvailable: true }, [...range(2, 8), ...range(22, 28)], [5, 25]],
    ['added.txt', { status: 'added', patchAvailable: true }, [1], [1]],
    ['bin.dat', { status: 'modified', patchAvailable: false }, [], []],
    ['del.txt', { status: 'removed', patchAvailable: true }, [], []],
    ['mode.sh', { status: 'changed', patchAvailable: true }, [], []],
    ['new.txt', { status: 'renamed', previousPath: 'old.txt', patchAvailable: true }, [], []],
    ['nonl.txt', { status: 'modified', patchAvailable: true }, [1, 2], [2]],
    [
      'ren2.txt',
      { status: 'renamed', previousPath: 'ren.txt', patchAvailable: true },
      [18, 19, 20, 21],
      [21],
    ],
    ['sp ace.txt', { status: 'modified', patchAvailable: true }, [1, 2], [2]],
    ['tést.txt', { status: 'modified', patchAvailable: true }, [1, 2], [2]],
  ])('%s', (path, fields, right, added) => {
    const f = parsed.get(path);
    expect(f).toMatchObject(fields);
    expect([...(f?.rightLines ?? [])].sort((a, b) => a - b)).toEqual(right);
    expect([...(f?.addedLines ?? [])].sort((a, b) => a - b)).toEqual(added);
  });

  test('keeps hunk identity: one range per hunk', () => {
    expect(parsed.get('a.txt')?.hunks).toEqual([
      { startLine: 2, endLine: 8 },
      { startLine: 22, endLine: 28 },
    ]);
  });

  test('CRLF output and empty input', () => {
    expect(parseUnifiedDiff(GIT_DIFF.replace(/\n/g, '\r\n')).length).toBe(10);
    expect(parseUnifiedDiff('')).toEqual([]);
  });

  test('a content line that looks like a header stays content', () => {
    const text = [
      'diff --git a/x b/x',
      '--- a/x',
      '+++ b/x',
      '@@ -1 +1,2 @@',
      ' a',
      '+diff --git a/y b/y',
      '',
    ].join('\n');
    const files = parseUnifiedDiff(text);
    expect(files.map((f) => f.path)).toEqual(['x']);
    expect([...files[0].addedLines]).toEqual([2]);
  });

  test.each([
    ['"a/t\\303\\251st.txt"', 'a/tést.txt'],
    ['"a/tab\\there"', 'a/tab\there'],
    ['"a/q\\"uote"', 'a/q"uote'],
    ['plain/path.txt', 'plain/path.txt'],
  ])('unquoteGitPath(%s)', (raw, expected) => {
    expect(unquoteGitPath(raw)).toBe(expected);
  });
});

describe('fromPullFiles', () => {
  const files = fromPullFiles([
    { filename: 'src/a.ts', status: 'modified', patch: '@@ -10,3 +10,4 @@ fn\n ctx\n+add\n ctx\n-del\n ctx' },
    { filename: 'img.png', status: 'added' },
    { filename: 'gone.ts', status: 'removed', patch: '@@ -1,2 +0,0 @@\n-a\n-b' },
    { filename: 'to.ts', status: 'renamed', previous_filename: 'from.ts', patch: '' },
    { filename: 'odd.ts', status: 'something-new', patch: '@@ -1 +1 @@\n-a\n+b' },
  ]);
  const byPath = new Map(files.map((f) => [f.path, f]));

  test.each<[string, Partial<FileDiff>, number[]]>([
    ['src/a.ts', { status: 'modified', patchAvailable: true }, [10, 11, 12, 13]],
    ['img.png', { status: 'added', patchAvailable: false }, []],
    ['gone.ts', { status: 'removed', patchAvailable: true }, []],
    ['to.ts', { status: 'renamed', previousPath: 'from.ts', patchAvailable: true }, []],
    ['odd.ts', { status: 'modified', patchAvailable: true }, [1]],
  ])('%s', (path, fields, right) => {
    const f = byPath.get(path);
    expect(f).toMatchObject(fields);
    expect([...(f?.rightLines ?? [])].sort((a, b) => a - b)).toEqual(right);
  });

  test('added lines are only the + lines', () => {
    expect([...(byPath.get('src/a.ts')?.addedLines ?? [])]).toEqual([11]);
  });
});

describe('placeFinding', () => {
  const diff = parseUnifiedDiff(GIT_DIFF);
  const asMap = new Map(diff.map((f) => [f.path, f]));
  test.each<[string, { path: string; line: number; end_line?: number }, ReturnType<typeof placeFinding>]>([
    ['added line', { path: 'a.txt', line: 5 }, { inline: true, line: 5 }],
    ['context line', { path: 'a.txt', line: 3 }, { inline: true, line: 3 }],
    ['first line of a hunk', { path: 'a.txt', line: 2 }, { inline: true, line: 2 }],
    ['last line of a hunk', { path: 'a.txt', line: 8 }, { inline: true, line: 8 }],
    [
      'one before a hunk',
      { path: 'a.txt', line: 1 },
      { inline: false, reason: 'line 1 of a.txt is not in a diff hunk' },
    ],
    [
      'one after a hunk',
      { path: 'a.txt', line: 9 },
      { inline: false, reason: 'line 9 of a.txt is not in a diff hunk' },
    ],
    [
      'between hunks',
      { path: 'a.txt', line: 15 },
      { inline: false, reason: 'line 15 of a.txt is not in a diff hunk' },
    ],
    [
      'beyond the last hunk',
      { path: 'a.txt', line: 29 },
      { inline: false, reason: 'line 29 of a.txt is not in a diff hunk' },
    ],
    [
      'multi-line in one hunk',
      { path: 'a.txt', line: 2, end_line: 8 },
      { inline: true, line: 8, startLine: 2 },
    ],
    [
      'multi-line ending one past the hunk',
      { path: 'a.txt', line: 4, end_line: 9 },
      { inline: false, reason: 'line 9 of a.txt is not in a diff hunk' },
    ],
    [
      'multi-line spanning two hunks',
      { path: 'a.txt', line: 5, end_line: 25 },
      { inline: false, reason: 'lines 5-25 of a.txt span two diff hunks' },
    ],
    ['end_line equal to line', { path: 'a.txt', line: 6, end_line: 6 }, { inline: true, line: 6 }],
    ['new file', { path: 'added.txt', line: 1 }, { inline: true, line: 1 }],
    [
      'deleted file',
      { path: 'del.txt', line: 1 },
      { inline: false, reason: 'del.txt is deleted in this change' },
    ],
    [
      'binary file',
      { path: 'bin.dat', line: 1 },
      { inline: false, reason: 'bin.dat has no diff to comment on (binary or too large)' },
    ],
    ['renamed file, new path', { path: 'ren2.txt', line: 21 }, { inline: true, line: 21 }],
    [
      'renamed file, old path',
      { path: 'ren.txt', line: 21 },
      { inline: false, reason: 'ren.txt was renamed to ren2.txt in this change' },
    ],
    [
      'pure rename',
      { path: 'new.txt', line: 1 },
      { inline: false, reason: 'line 1 of new.txt is not in a diff hunk' },
    ],
    [
      'mode-only change',
      { path: 'mode.sh', line: 1 },
      { inline: false, reason: 'line 1 of mode.sh is not in a diff hunk' },
    ],
    [
      'file not in the diff',
      { path: 'other.ts', line: 1 },
      { inline: false, reason: 'other.ts is not in the diff' },
    ],
    ['path with a space', { path: 'sp ace.txt', line: 2 }, { inline: true, line: 2 }],
    ['no newline at end of file', { path: 'nonl.txt', line: 2 }, { inline: true, line: 2 }],
  ])('%s', (_name, finding, expected) => {
    expect(placeFinding(finding, diff)).toEqual(expected);
    expect(placeFinding(finding, asMap)).toEqual(expected);
  });
});
