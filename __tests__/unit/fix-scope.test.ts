import { describe, expect, test } from '@jest/globals';
import type { FileDiff, FileStatus } from '../../src/findings/diff.js';
import { fixRules, fixScope, protectedReason } from '../../src/fix/fix-scope.js';

function file(path: string, status: FileStatus = 'modified', patchAvailable = true): FileDiff {
  return {
    path,
    status,
    rightLines: new Set([1]),
    addedLines: new Set([1]),
    hunks: [{ startLine: 1, endLine: 1 }],
    patchAvailable,
  };
}

describe('fixScope', () => {
  test.each<[string, FileDiff, RegExp | null]>([
    ['a modified source file', file('src/a.ts'), null],
    ['an added file', file('src/new.ts', 'added'), null],
    ['a renamed file (new path)', { ...file('src/b.ts', 'renamed'), previousPath: 'src/old.ts' }, null],
    ['a path with spaces inside', file('docs/read me.md'), null],
    ['a removed file', file('src/gone.ts', 'removed', false), /removed/],
    ['a binary file', file('img/logo.png', 'modified', false), /no patch/],
    ['a workflow', file('.github/workflows/ci.yml'), /GitHub configuration/],
    ['a workflow, other case', file('.GitHub/workflows/ci.yml'), /GitHub configuration/],
    ['an action in .github', file('.github/actions/x/action.yml'), /GitHub configuration/],
    ['CLAUDE.md', file('CLAUDE.md'), /agent configuration/],
    ['a nested CLAUDE.local.md', file('pkg/CLAUDE.local.md'), /agent configuration/],
    ['AGENTS.md', file('AGENTS.md'), /agent configuration/],
    ['.claude settings', file('.claude/settings.json'), /agent configuration/],
    ['.mcp.json', file('.mcp.json'), /agent configuration/],
    ['something in .git', file('sub/.git/config'), /\.git directory/],
    ['.gitmodules', file('.gitmodules'), /git control file/],
    ['.gitattributes', file('pkg/.gitattributes'), /git control file/],
    ['.gitignore', file('.gitignore'), /git control file/],
    ['a husky hook', file('.husky/pre-commit'), /hooks/],
    ['package-lock.json', file('package-lock.json'), /lockfile/],
    ['a nested Cargo.lock', file('crates/x/Cargo.lock'), /lockfile/],
    ['go.sum', file('go.sum'), /lockfile/],
    ['a glob character', file('src/*.ts'), /patterns/],
    ['a bracket', file('src/[id].tsx'), /patterns/],
    ['a backslash', file('src/a\\b.ts'), /patterns/],
    ['a leading !', file('!important.md'), /patterns/],
    ['a newline', file('a\nb.ts'), /patterns/],
    ['a .. component', file('src/../../etc/passwd'), /component/],
    ['an absolute path', file('/etc/passwd'), /repository-relative/],
    ['trailing whitespace', file('notes.md '), /whitespace/],
  ])('%s', (_name, diff, refused) => {
    const scope = fixScope([diff]);
    if (refused === null) {
      expect(scope).toEqual({ paths: [diff.path], refused: [] });
    } else {
      expect(scope.paths).toEqual([]);
      expect(scope.refused).toEqual([{ path: diff.path, reason: expect.stringMatching(refused) }]);
    }
  });

  test('keeps the allowed files, sorted and once each, and lists every refusal', () => {
    const scope = fixScope([
      file('src/z.ts'),
      file('src/a.ts'),
      file('src/a.ts'),
      file('.github/workflows/x.yml', 'added'),
      file('old.ts', 'removed', false),
    ]);
    expect(scope.paths).toEqual(['src/a.ts', 'src/z.ts']);
    expect(scope.refused.map((r) => r.path)).toEqual(['.github/workflows/x.yml', 'old.ts']);
  });

  test.each([
    ['src/app.ts', undefined],
    ['src/github/client.ts', undefined],
    ['docs/claude.md.txt', undefined],
    ['.github', expect.stringMatching(/GitHub/)],
  ])('protectedReason(%s)', (path, expected) => {
    expect(protectedReason(path)).toEqual(expected);
  });
});

describe('fixRules', () => {
  test('one exact absolute Edit rule per file (// marks an absolute path)', () => {
    expect(fixRules(['src/a.ts', 'docs/read me.md'], '/home/runner/work/r/r/')).toEqual([
      'Edit(//home/runner/work/r/r/src/a.ts)',
      'Edit(//home/runner/work/r/r/docs/read me.md)',
    ]);
  });

  test.each([
    [['src/*.ts'], '/ws', /pattern/],
    [['../x'], '/ws', /component/],
    [['a.ts'], 'relative/ws', /not absolute/],
    [['a.ts'], '/ws/[x]', /pattern characters/],
  ])('refuses %j in %s', (paths, workspace, message) => {
    expect(() => fixRules(paths, workspace)).toThrow(message);
  });
});
