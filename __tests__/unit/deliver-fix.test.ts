/**
 * Delivering an accepted fix: hunks → suggestion findings (pure, patches made by real `git diff`),
 * the patch file, and the push — against a local bare repository through a git wrapper that records
 * every argv, so the test can show the token never reaches a command line.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FileDiff } from '../../src/findings/diff.js';
import {
  gitRunner,
  hunksToSuggestions,
  pushFix,
  pushRefusal,
  writePatchFile,
  type PushTarget,
} from '../../src/fix/deliver-fix.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('deliver-fix-');

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const text = (rows: string[], eol = true) => rows.join('\n') + (eol ? '\n' : '');

/** The patch real git writes for src/x.ts going from `before` to `after` (a/ and b/ prefixes). */
function patchOf(before: string, after: string, file = 'src/x.ts'): string {
  const dir = tempDir();
  for (const [side, content] of [
    ['a', before],
    ['b', after],
  ]) {
    fs.mkdirSync(path.join(dir, side, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(dir, side, file), content);
  }
  try {
    return git(dir, ['diff', '--no-index', '--no-prefix', '-U3', `a/${file}`, `b/${file}`]);
  } catch (error) {
    return (error as { stdout: string }).stdout; // exit 1: the files differ
  }
}

function prFile(hunks: [number, number][], file = 'src/x.ts'): FileDiff {
  return {
    path: file,
    status: 'modified',
    rightLines: new Set(),
    addedLines: new Set(),
    hunks: hunks.map(([startLine, endLine]) => ({ startLine, endLine })),
    patchAvailable: true,
  };
}

/** Applies suggestion findings to `before`, bottom-up, as GitHub would when each is committed. */
function applySuggestions(
  before: string,
  findings: { line: number; end_line?: number; suggestion?: string }[],
) {
  const rows = before.split('\n');
  for (const f of [...findings].sort((a, b) => b.line - a.line)) {
    const replacement = f.suggestion === '' ? [] : (f.suggestion ?? '').split('\n');
    rows.splice(f.line - 1, (f.end_line ?? f.line) - f.line + 1, ...replacement);
  }
  return rows.join('\n');
}

const edit = (n: number, changes: Record<number, string | null>, inserts: Record<number, string[]> = {}) => {
  const out: string[] = [];
  lines(n).forEach((row, i) => {
    out.push(...(inserts[i] ?? []));
    const change = changes[i + 1];
    if (change === undefined) out.push(row);
    else if (change !== null) out.push(change);
  });
  out.push(...(inserts[n] ?? []));
  return text(out);
};

describe('hunksToSuggestions', () => {
  test.each<
    [string, number, string, [number, number][], { line: number; end_line?: number; suggestion: string }[]]
  >([
    ['one replaced line', 20, edit(20, { 3: 'fixed 3' }), [[1, 10]], [{ line: 3, suggestion: 'fixed 3' }]],
    [
      'two changes with context between them',
      20,
      edit(20, { 3: 'fixed 3', 5: 'fixed 5' }),
      [[1, 10]],
      [{ line: 3, end_line: 5, suggestion: 'fixed 3\nline 4\nfixed 5' }],
    ],
    ['a deleted line', 20, edit(20, { 3: null }), [[1, 10]], [{ line: 3, suggestion: '' }]],
    [
      'an insertion, anchored on the line before',
      20,
      edit(20, {}, { 4: ['new a', 'new b'] }),
      [[1, 10]],
      [{ line: 4, suggestion: 'line 4\nnew a\nnew b' }],
    ],
    [
      'an insertion whose line before is outside the PR hunk: anchored on the line after',
      20,
      edit(20, {}, { 4: ['new'] }),
      [[5, 10]],
      [{ line: 5, suggestion: 'new\nline 5' }],
    ],
    [
      'two hunks, two suggestions',
      40,
      edit(40, { 2: 'fixed 2', 30: 'fixed 30' }),
      [
        [1, 5],
        [28, 33],
      ],
      [
        { line: 2, suggestion: 'fixed 2' },
        { line: 30, suggestion: 'fixed 30' },
      ],
    ],
  ])('%s', (_name, n, after, hunks, expected) => {
    const before = text(lines(n));
    const { findings, skipped } = hunksToSuggestions(patchOf(before, after), [prFile(hunks)]);
    expect(skipped).toEqual([]);
    expect(findings).toEqual(
      expected.map((e) => ({
        path: 'src/x.ts',
        severity: 'info',
        category: 'fix',
        title: 'Suggested fix',
        body: expect.stringMatching(/read the change from disk/),
        ...e,
      })),
    );
    expect(applySuggestions(before, findings)).toBe(after);
  });

  test.each<[string, string, string, FileDiff[], RegExp]>([
    [
      'a change outside the PR hunks',
      text(lines(20)),
      edit(20, { 15: 'x' }),
      [prFile([[1, 10]])],
      /not within one hunk/,
    ],
    [
      'a change spanning two PR hunks',
      text(lines(20)),
      edit(20, { 4: 'x', 6: 'y' }),
      [
        prFile([
          [1, 4],
          [6, 9],
        ]),
      ],
      /not within one hunk/,
    ],
    [
      'a file the PR did not change',
      text(lines(5)),
      edit(5, { 1: 'x' }),
      [prFile([[1, 5]], 'other.ts')],
      /not a changed file/,
    ],
    [
      'the final newline changed',
      text(lines(5)),
      text(lines(5), false),
      [prFile([[1, 5]])],
      /newline at the end/,
    ],
  ])('skips %s', (_name, before, after, pr, reason) => {
    const { findings, skipped } = hunksToSuggestions(patchOf(before, after), pr);
    expect(findings).toEqual([]);
    expect(skipped).toEqual([{ path: 'src/x.ts', reason: expect.stringMatching(reason) }]);
  });

  test('skips a binary change', () => {
    const patch =
      'diff --git a/img.png b/img.png\nindex 1..2 100644\nGIT binary patch\nliteral 3\nKcmZQz\n\n';
    expect(hunksToSuggestions(patch, [prFile([[1, 1]], 'img.png')]).skipped).toEqual([
      { path: 'img.png', reason: expect.stringMatching(/binary/) },
    ]);
  });
});

describe('writePatchFile', () => {
  test('writes fix.patch, 0644, byte for byte, and never over an existing file', async () => {
    const dir = tempDir();
    const patch = Buffer.from('diff --git a/x b/x\n\xff', 'latin1');
    const file = await writePatchFile(dir, patch);
    expect(file).toBe(path.join(dir, 'fix.patch'));
    expect(fs.readFileSync(file)).toEqual(patch);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    await expect(writePatchFile(dir, patch)).rejects.toThrow(/EEXIST/);
  });
});

describe('pushRefusal', () => {
  const ok: PushTarget = {
    headRef: 'feature/fix-1',
    headRepo: 'o/r',
    baseRepo: 'O/R',
    headSha: 'a'.repeat(40),
    serverUrl: 'https://github.com',
  };
  test.each<[string, Partial<PushTarget>, RegExp | undefined]>([
    ['a same-repository PR', {}, undefined],
    ['a fork', { headRepo: 'mallory/r' }, /fork/],
    ['a deleted head repository', { headRepo: '' }, /fork/],
    ['no head ref', { headRef: '' }, /head branch is unknown/],
    ['a ref that looks like an option', { headRef: '-x' }, /not one the action pushes to/],
    ['a ref with ..', { headRef: 'a..b' }, /not one/],
    ['a ref ending in .lock', { headRef: 'x.lock' }, /not one/],
    ['a ref with a colon', { headRef: 'a:b' }, /not one/],
    ['HEAD', { headRef: 'HEAD' }, /not one/],
    ['a short sha', { headSha: 'abc' }, /full sha/],
  ])('%s', (_name, change, expected) => {
    const reason = pushRefusal({ ...ok, ...change });
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });
});

describe('pushFix against a local bare repository', () => {
  const TOKEN = 'ghs_pushTokenCanary0123456789';
  const HEADER = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;

  /** origin at <server>/o/r.git with main and a PR branch; a wrapper around git that records argv and the header env. */
  function setup() {
    const server = tempDir();
    const remote = path.join(server, 'o', 'r.git');
    fs.mkdirSync(remote, { recursive: true });
    git(remote, ['init', '-q', '--bare', '-b', 'main']);
    const work = tempDir();
    git(work, ['init', '-q', '-b', 'main']);
    fs.writeFileSync(path.join(work, 'a.ts'), text(lines(10)));
    git(work, ['add', '.']);
    git(work, ['commit', '-q', '-m', 'base']);
    git(work, ['checkout', '-q', '-b', 'feature']);
    fs.writeFileSync(path.join(work, 'a.ts'), edit(10, { 2: 'pr 2' }));
    git(work, ['commit', '-q', '-am', 'pr']);
    git(work, ['push', '-q', remote, 'main', 'feature']);
    const headSha = git(work, ['rev-parse', 'HEAD']).trim();
    fs.writeFileSync(path.join(work, 'a.ts'), edit(10, { 2: 'pr 2', 7: 'fixed 7' }));
    const patch = Buffer.from(git(work, ['diff', '--binary', 'HEAD']));
    git(work, ['checkout', '-q', '--', 'a.ts']);

    const bin = tempDir();
    const argvLog = path.join(bin, 'argv.log');
    const envLog = path.join(bin, 'env.log');
    const recorder = path.join(bin, 'git');
    fs.writeFileSync(
      recorder,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\n` +
        `printf '%s=%s\\n' "$GIT_CONFIG_KEY_0" "$GIT_CONFIG_VALUE_0" >> '${envLog}'\n` +
        `exec '${execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()}' "$@"\n`,
      { mode: 0o755 },
    );
    const target: PushTarget = {
      headRef: 'feature',
      headRepo: 'o/r',
      baseRepo: 'o/r',
      headSha,
      serverUrl: `file://${server}`,
    };
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
    return {
      remote,
      work,
      headSha,
      patch,
      target,
      runDir: tempDir(),
      git: gitRunner(recorder),
      argv: () => read(argvLog),
      env: () => read(envLog),
    };
  }

  test('pushes one signed-off commit holding exactly the fix; the token travels only in the environment', async () => {
    const s = setup();
    const { commit, ref } = await pushFix({
      git: s.git,
      target: s.target,
      token: TOKEN,
      patch: s.patch,
      workDir: s.runDir,
    });
    expect(ref).toBe('refs/heads/feature');
    expect(git(s.remote, ['rev-parse', 'refs/heads/feature']).trim()).toBe(commit);
    expect(git(s.remote, ['rev-parse', `${commit}^`]).trim()).toBe(s.headSha);
    expect(git(s.remote, ['diff', s.headSha, commit])).toBe(
      s.patch.toString().replace(/^index .*\n/m, (l) => l),
    );
    expect(git(s.remote, ['show', `${commit}:a.ts`])).toBe(edit(10, { 2: 'pr 2', 7: 'fixed 7' }));
    expect(git(s.remote, ['log', '-1', '--format=%an <%ae>%n%B', commit])).toMatch(
      /^claude-guard <claude-guard@users\.noreply\.github\.com>\n[\s\S]*\nSigned-off-by: claude-guard <claude-guard@users\.noreply\.github\.com>\n/,
    );
    expect(git(s.remote, ['rev-parse', 'refs/heads/main']).trim()).toBe(
      git(s.work, ['rev-parse', 'main']).trim(),
    );

    const argv = s.argv();
    expect(argv).toMatch(/push -q --no-verify file:\/\/.*\/o\/r\.git HEAD:refs\/heads\/feature/);
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(HEADER.split(' ').pop());
    expect(s.env().trim().split('\n')).toEqual(
      argv
        .trim()
        .split('\n')
        .map(() => `http.${s.target.serverUrl}/.extraheader=${HEADER}`),
    );
  });

  test.each<[string, Partial<PushTarget>, RegExp]>([
    ['a fork PR', { headRepo: 'mallory/r' }, /fork/],
    ['a missing head ref', { headRef: '' }, /head branch is unknown/],
  ])('refuses %s before running git', async (_name, change, message) => {
    const s = setup();
    await expect(
      pushFix({
        git: s.git,
        target: { ...s.target, ...change },
        token: TOKEN,
        patch: s.patch,
        workDir: s.runDir,
      }),
    ).rejects.toThrow(message);
    expect(s.argv()).toBe('');
  });

  test('refuses when the branch moved while the agent worked, and leaves it alone', async () => {
    const s = setup();
    git(s.work, ['checkout', '-q', 'feature']);
    fs.writeFileSync(path.join(s.work, 'b.ts'), 'later\n');
    git(s.work, ['add', 'b.ts']);
    git(s.work, ['commit', '-q', '-m', 'later push']);
    git(s.work, ['push', '-q', s.remote, 'feature']);
    const moved = git(s.remote, ['rev-parse', 'refs/heads/feature']).trim();
    await expect(
      pushFix({ git: s.git, target: s.target, token: TOKEN, patch: s.patch, workDir: s.runDir }),
    ).rejects.toThrow(/moved/);
    expect(git(s.remote, ['rev-parse', 'refs/heads/feature']).trim()).toBe(moved);
  });

  test('refuses a patch that does not apply to the PR head', async () => {
    const s = setup();
    const foreign = Buffer.from(patchOf(text(lines(10)), edit(10, { 2: 'something else' }), 'a.ts'));
    await expect(
      pushFix({ git: s.git, target: s.target, token: TOKEN, patch: foreign, workDir: s.runDir }),
    ).rejects.toThrow(/does not apply/);
    expect(git(s.remote, ['rev-parse', 'refs/heads/feature']).trim()).toBe(s.headSha);
    expect(s.argv()).not.toMatch(/\bpush\b/);
  });
});
