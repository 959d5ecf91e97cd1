import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { newEntries, removeStubs, snapshotStubs } from '../../src/isolation/sandbox-stubs.js';
import { tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('cg-stubs-');

describe('newEntries', () => {
  test.each([
    [['.git/HEAD'], ['.git/HEAD', '.git/worktrees'], ['.git/worktrees']],
    [[], ['.claude', '.claude/.cc-writes'], ['.claude']],
    [['.claude'], ['.claude', '.claude/.cc-writes'], ['.claude/.cc-writes']],
    [['.git/info/exclude'], ['.git/info/exclude'], []],
  ])('%j then %j: %j', (before, after, expected) => {
    const native = (list: string[]) => list.map((p) => p.split('/').join(path.sep));
    expect(newEntries(native(before), native(after))).toEqual(native(expected));
  });
});

describe('removeStubs', () => {
  test('removes what the sandbox left (new and empty), keeps what was there and reports new data', async () => {
    const ws = tempDir();
    const put = (rel: string, content?: string) => {
      const file = path.join(ws, rel);
      fs.mkdirSync(content === undefined ? file : path.dirname(file), { recursive: true });
      if (content !== undefined) fs.writeFileSync(file, content);
    };
    put('.git/HEAD', 'ref: refs/heads/main\n');
    put('.git/info/exclude', '');
    put('.git/branches');
    put('src/a.js', 'x\n');
    const snapshot = await snapshotStubs(ws);

    // What Claude Code 2.1.332's sandbox left (docs/claude-code-facts.md), plus a new file with data.
    for (const dir of [
      '.git/worktrees',
      '.git/remotes',
      '.git/glab-cli',
      '.git/NOTES_MERGE_WORKTREE',
      '.claude/.cc-writes',
    ])
      put(dir);
    put('.git/config.worktree', '');
    put('.git/info/.claude-sandbox-noreplace', '');
    put('.git/info/planted', 'data\n');
    put('src/new-empty.js', '');

    expect(await removeStubs(JSON.parse(JSON.stringify(snapshot)))).toEqual([
      path.join('.git', 'info', 'planted'),
    ]);
    const all = (fs.readdirSync(ws, { recursive: true }) as string[]).sort();
    expect(all).toEqual(
      [
        '.git',
        '.git/HEAD',
        '.git/branches',
        '.git/info',
        '.git/info/exclude',
        '.git/info/planted',
        'src',
        'src/a.js',
        'src/new-empty.js',
      ].map((p) => p.split('/').join(path.sep)),
    );
    // Idempotent.
    expect(await removeStubs(snapshot)).toEqual([path.join('.git', 'info', 'planted')]);
  });
});
