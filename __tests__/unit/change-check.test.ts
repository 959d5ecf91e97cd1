/**
 * The change check against real git in temporary repositories: the action's own view of what the agent
 * changed, the verdict, and the reset that puts the working tree back exactly.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import {
  checkChanges,
  collectChanges,
  confirmScopeOnDisk,
  parseStatus,
  resetWorkingTree,
  takeBaseline,
  workspaceGit,
  type ChangeSet,
} from '../../src/fix/change-check.js';
import { resolveTool } from '../../src/system-tools.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('change-check-');

const A_TS = Array.from({ length: 20 }, (_, i) => `export const v${i + 1} = ${i + 1};`).join('\n') + '\n';

/** A committed repository with two source files, a README, an ignored node_modules file and hook samples. */
function repo(): string {
  const dir = tempDir();
  git(dir, ['init', '-q', '-b', 'main']);
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/a.ts'), A_TS);
  fs.writeFileSync(path.join(dir, 'src/b.ts'), 'export const b = 1;\n');
  fs.writeFileSync(path.join(dir, 'README.md'), '# r\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  fs.mkdirSync(path.join(dir, '.git/hooks'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.git/hooks/pre-push.sample'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'base']);
  fs.mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'node_modules/x.js'), 'module.exports = 1;\n');
  return dir;
}

/** Every entry of the working tree (and .git/hooks, .git/info) with its type, mode and content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    if (st.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(full)}`;
    else if (st.isFile())
      out[rel] = `file:${(st.mode & 0o777).toString(8)}:${fs.readFileSync(full, 'base64')}`;
    else {
      out[rel] = `dir:${(st.mode & 0o777).toString(8)}`;
      for (const name of fs.readdirSync(full)) {
        const child = rel === '.' ? name : `${rel}/${name}`;
        if (child === '.git')
          ['.git/hooks', '.git/info'].filter((p) => fs.existsSync(path.join(dir, p))).forEach(walk);
        else walk(child);
      }
    }
  };
  walk('.');
  return out;
}

async function run(dir: string, act: (dir: string) => void, allowed = ['src/a.ts']) {
  const port = workspaceGit(await resolveTool('git'), dir);
  const baseline = await takeBaseline(dir, port);
  const before = snapshot(dir);
  act(dir);
  const set = await collectChanges(dir, port, baseline);
  const verdict = checkChanges(set, allowed);
  const left = await resetWorkingTree(dir, port, set, baseline);
  return {
    set,
    verdict,
    left,
    before,
    after: snapshot(dir),
    status: git(dir, ['status', '--porcelain', '--untracked-files=all']),
  };
}

const write = (rel: string, text: string) => (dir: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
};

describe('a fix inside its scope', () => {
  test('is accepted, and its patch applies cleanly to a fresh clone', async () => {
    const dir = repo();
    const edited = A_TS.replace('v2 = 2', 'v2 = 22').replace('v19 = 19', 'v19 = 190');
    const { verdict, set, left, before, after, status } = await run(dir, write('src/a.ts', edited));
    expect(set.changes).toEqual([
      { path: 'src/a.ts', kind: 'modified', area: 'tracked', oldMode: '100644', newMode: '100644' },
    ]);
    if (!verdict.ok) throw new Error(JSON.stringify(verdict.violations));
    expect(verdict.patch.toString()).toContain('+export const v2 = 22;');

    const clone = tempDir();
    git(clone, ['clone', '-q', dir, '.']);
    git(clone, ['apply', '--check', '-'], verdict.patch);
    git(clone, ['apply', '-'], verdict.patch);
    expect(fs.readFileSync(path.join(clone, 'src/a.ts'), 'utf8')).toBe(edited);

    expect(left).toEqual([]);
    expect(status).toBe('');
    expect(after).toEqual(before);
  });

  test('a binary edit is carried by the patch', async () => {
    const dir = repo();
    fs.writeFileSync(path.join(dir, 'logo.bin'), Buffer.from([0, 1, 2, 3, 255]));
    git(dir, ['add', 'logo.bin']);
    git(dir, ['commit', '-q', '-m', 'bin']);
    const { verdict } = await run(
      dir,
      (d) => fs.writeFileSync(path.join(d, 'logo.bin'), Buffer.from([0, 9, 255])),
      ['logo.bin'],
    );
    if (!verdict.ok) throw new Error(JSON.stringify(verdict.violations));
    const clone = tempDir();
    git(clone, ['clone', '-q', dir, '.']);
    git(clone, ['apply', '-'], verdict.patch);
    expect(fs.readFileSync(path.join(clone, 'logo.bin'))).toEqual(Buffer.from([0, 9, 255]));
  });

  test('no change at all: accepted with an empty patch', async () => {
    const { verdict, set } = await run(repo(), () => undefined);
    expect(set.changes).toEqual([]);
    expect(verdict).toEqual({ ok: true, patch: Buffer.alloc(0) });
  });
});

describe('refused changes, and the reset that undoes them', () => {
  test.each<[string, (dir: string) => void, string, RegExp]>([
    [
      'an edit to an out-of-scope file',
      write('src/b.ts', 'export const b = 2;\n'),
      'src/b.ts',
      /outside the files/,
    ],
    [
      'a new workflow file',
      write('.github/workflows/evil.yml', 'on: push\n'),
      '.github/workflows/evil.yml',
      /new file.*GitHub configuration/,
    ],
    [
      'a new symlink to /etc/passwd',
      (d) => fs.symlinkSync('/etc/passwd', path.join(d, 'src/passwd')),
      'src/passwd',
      /new file.*symbolic link to \/etc\/passwd/,
    ],
    [
      'an allowed file turned into a symlink',
      (d) => {
        fs.rmSync(path.join(d, 'src/a.ts'));
        fs.symlinkSync('/etc/passwd', path.join(d, 'src/a.ts'));
      },
      'src/a.ts',
      /type change \(100644 → 120000\).*symbolic link to \/etc\/passwd/,
    ],
    [
      'chmod +x on an allowed file',
      (d) => fs.chmodSync(path.join(d, 'src/a.ts'), 0o755),
      'src/a.ts',
      /executable bit added/,
    ],
    [
      'a new .git/hooks/pre-commit',
      (d) => fs.writeFileSync(path.join(d, '.git/hooks/pre-commit'), '#!/bin/sh\ncurl x\n', { mode: 0o755 }),
      '.git/hooks/pre-commit',
      /inside \.git/,
    ],
    [
      'an edited hook sample',
      (d) => fs.appendFileSync(path.join(d, '.git/hooks/pre-push.sample'), 'curl x\n'),
      '.git/hooks/pre-push.sample',
      /inside \.git/,
    ],
    ['a deleted allowed file', (d) => fs.rmSync(path.join(d, 'src/a.ts')), 'src/a.ts', /deletion/],
    [
      'a new file in an ignored directory',
      write('node_modules/.bin/jest', '#!/bin/sh\ncurl x\n'),
      'node_modules/.bin/jest',
      /new file/,
    ],
    [
      'an edit hidden from the index with assume-unchanged',
      (d) => {
        git(d, ['update-index', '--assume-unchanged', 'src/b.ts']);
        write('src/b.ts', 'export const b = 2;\n')(d);
      },
      'src/b.ts',
      /outside the files/,
    ],
    [
      'a new file staged in the index',
      (d) => {
        write('src/c.ts', 'export const c = 1;\n')(d);
        git(d, ['add', 'src/c.ts']);
      },
      'src/c.ts',
      /new file/,
    ],
    ['an edit to .gitignore', write('.gitignore', 'node_modules/\nevil\n'), '.gitignore', /git control file/],
    [
      'an allowed directory replaced by a link',
      (d) => {
        fs.renameSync(path.join(d, 'src'), path.join(d, 'moved'));
        fs.symlinkSync(path.join(d, 'moved'), path.join(d, 'src'));
      },
      'src',
      /new file.*symbolic link/,
    ],
  ])('%s', async (_name, act, offending, reason) => {
    const dir = repo();
    const { verdict, left, before, after, status } = await run(dir, act);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.violations).toContainEqual({ path: offending, reason: expect.stringMatching(reason) });
    expect(left).toEqual([]);
    expect(status).toBe('');
    if (fs.existsSync(path.join(dir, 'moved'))) fs.rmSync(path.join(dir, 'moved'), { recursive: true });
    expect(after).toEqual(before);
  });

  test('one bad change refuses the whole fix, and every change is reset', async () => {
    const dir = repo();
    const { verdict, before, after, status } = await run(dir, (d) => {
      write('src/a.ts', 'export const fixed = 1;\n')(d);
      write('.github/workflows/x.yml', 'on: push\n')(d);
    });
    expect(verdict).toEqual({
      ok: false,
      violations: [{ path: '.github/workflows/x.yml', reason: expect.stringMatching(/new file/) }],
    });
    expect(status).toBe('');
    expect(after).toEqual(before);
  });

  test('a moved HEAD is refused', async () => {
    const dir = repo();
    const { verdict } = await run(dir, (d) => git(d, ['commit', '-q', '--allow-empty', '-m', 'sneak']));
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.violations[0]).toMatchObject({ path: '.git/HEAD' });
  });

  test('a changed ignored file is refused and reported as not restorable', async () => {
    const dir = repo();
    const { verdict, left } = await run(dir, write('node_modules/x.js', 'evil();\n'));
    expect(verdict.ok).toBe(false);
    expect(left).toEqual([
      { path: 'node_modules/x.js', reason: expect.stringMatching(/cannot be restored/) },
    ]);
  });

  test('untracked files that existed before the agent are not its changes', async () => {
    const dir = repo();
    fs.writeFileSync(path.join(dir, 'build.log'), 'earlier step\n');
    const { set, verdict } = await run(dir, () => undefined);
    expect(set.changes).toEqual([]);
    expect(verdict.ok).toBe(true);
  });
});

describe('confirmScopeOnDisk', () => {
  test('keeps regular files; refuses links, link directories, hard links, directories and missing files', async () => {
    const dir = repo();
    fs.symlinkSync('/etc/passwd', path.join(dir, 'link.ts'));
    fs.symlinkSync(path.join(dir, 'src'), path.join(dir, 'srclink'));
    fs.linkSync(path.join(dir, 'README.md'), path.join(dir, 'hard.md'));
    const result = await confirmScopeOnDisk(dir, [
      'src/a.ts',
      'link.ts',
      'srclink/a.ts',
      'hard.md',
      'src',
      'nope.ts',
    ]);
    expect(result.paths).toEqual(['src/a.ts']);
    expect(result.refused).toEqual([
      { path: 'link.ts', reason: 'link.ts is a symbolic link' },
      { path: 'srclink/a.ts', reason: 'srclink is a symbolic link' },
      { path: 'hard.md', reason: 'the file has other hard links' },
      { path: 'src', reason: 'not a regular file' },
      { path: 'nope.ts', reason: expect.stringMatching(/does not exist/) },
    ]);
  });
});

describe('pure parts', () => {
  test.each([
    [
      '1 .M N... 100644 100644 100644 aa bb src/a b.ts',
      { path: 'src/a b.ts', kind: 'modified', oldMode: '100644', newMode: '100644' },
    ],
    [
      '1 .M N... 100644 100644 100755 aa bb x',
      { path: 'x', kind: 'modified', oldMode: '100644', newMode: '100755' },
    ],
    [
      '1 .T N... 100644 100644 120000 aa bb x',
      { path: 'x', kind: 'typechange', oldMode: '100644', newMode: '120000' },
    ],
    [
      '1 .D N... 100644 100644 000000 aa bb x',
      { path: 'x', kind: 'deleted', oldMode: '100644', newMode: undefined },
    ],
    [
      '1 A. N... 000000 100644 100644 aa bb x',
      { path: 'x', kind: 'added', oldMode: undefined, newMode: '100644' },
    ],
    ['u UU N... 100644 100644 100644 100644 a b c x', { path: 'x', kind: 'unmerged', newMode: '100644' }],
  ])('parseStatus(%s)', (record, expected) => {
    expect(parseStatus([record])).toEqual([{ area: 'tracked', ...expected }]);
  });

  const set = (changes: ChangeSet['changes']): ChangeSet => ({ changes, patch: Buffer.from('P') });
  test.each<[string, ChangeSet['changes'][number], RegExp | null]>([
    [
      'content edit, allowed',
      { path: 'a', kind: 'modified', area: 'tracked', oldMode: '100644', newMode: '100644' },
      null,
    ],
    [
      'executable stays executable',
      { path: 'a', kind: 'modified', area: 'tracked', oldMode: '100755', newMode: '100755' },
      null,
    ],
    [
      'executable bit removed',
      { path: 'a', kind: 'modified', area: 'tracked', oldMode: '100755', newMode: '100644' },
      /mode change/,
    ],
    [
      'submodule moved',
      { path: 'a', kind: 'modified', area: 'tracked', oldMode: '160000', newMode: '160000' },
      /submodule/,
    ],
    ['unmerged', { path: 'a', kind: 'unmerged', area: 'tracked', newMode: '100644' }, /unmerged/],
    ['staged new file', { path: 'a', kind: 'added', area: 'tracked', newMode: '100644' }, /new file/],
    [
      'agent config even if listed',
      { path: 'CLAUDE.md', kind: 'modified', area: 'tracked', oldMode: '100644', newMode: '100644' },
      /agent configuration/,
    ],
  ])('checkChanges: %s', (_name, change, refused) => {
    const result = checkChanges(set([change]), ['a', 'CLAUDE.md']);
    if (refused === null) expect(result).toEqual({ ok: true, patch: Buffer.from('P') });
    else
      expect(result).toEqual({
        ok: false,
        violations: [{ path: change.path, reason: expect.stringMatching(refused) }],
      });
  });
});
