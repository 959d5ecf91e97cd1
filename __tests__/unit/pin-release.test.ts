/**
 * The release workflow's pin step (scripts/pin-release.mjs), run as the workflow runs it — `node
 * scripts/pin-release.mjs <sha> <tag>` — on a copy of the repository's files: every
 * `claude-guard/claude-guard@<sha> # vX.Y.Z` pin (the action and the reusable workflow) is rewritten to
 * the release, and nothing else in any file changes; a bad argument changes nothing at all.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs script without type declarations
import { PIN, pinnedFiles } from '../../scripts/pin-release.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts', 'pin-release.mjs');
const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const files: string[] = pinnedFiles(ROOT);
/** Files the script must never touch, copied beside the pinned ones. */
const UNTOUCHED = ['action.yml', 'package.json', 'CHANGELOG.md', '.github/workflows/release.yml'];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cg-pin-release-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function copyOfRepo(): string {
  const dir = mkdtempSync(path.join(tmp, 'repo-'));
  for (const f of [...files, ...UNTOUCHED]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    cpSync(path.join(ROOT, f), path.join(dir, f));
  }
  return dir;
}

const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
const read = (dir: string, f: string) => readFileSync(path.join(dir, f), 'utf8');
const pinsIn = (text: string) => [...text.matchAll(new RegExp(PIN.source, 'g'))];

describe('scripts/pin-release.mjs on a copy of the repository', () => {
  test('the files it pins include the README, the reusable workflow and every example workflow', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', '.github/workflows/review.yml']));
    expect(files).toEqual(
      expect.arrayContaining(['examples/fork-safe-review.yml', 'examples/pr-review.yml']),
    );
    expect(files.reduce((n, f) => n + pinsIn(read(ROOT, f)).length, 0)).toBeGreaterThan(5);
  });

  test('<sha> <tag> rewrites every pin and changes nothing else', () => {
    const dir = copyOfRepo();
    const r = run('--root', dir, SHA, 'v1.2.3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    let rewritten = 0;
    for (const f of files) {
      const before = read(ROOT, f).split('\n');
      const after = read(dir, f).split('\n');
      expect(after).toHaveLength(before.length);
      const oldPins = pinsIn(before.join('\n'));
      // Every pin now names the release, the action's and the reusable workflow's alike.
      const newPins = pinsIn(after.join('\n'));
      expect(newPins).toHaveLength(oldPins.length);
      for (const m of newPins) expect([m[2], m[3]]).toEqual([SHA, 'v1.2.3']);
      // Each changed line differs only in its pin: putting the old pin back gives the old line.
      before.forEach((line, i) => {
        if (line === after[i]) return;
        const old = pinsIn(line);
        expect(old).toHaveLength(1);
        expect(after[i].replace(`@${SHA} # v1.2.3`, `@${old[0][2]} # ${old[0][3]}`)).toBe(line);
        rewritten++;
      });
      if (oldPins.length) expect(r.stdout).toContain(`pinned ${f}`);
    }
    expect(rewritten).toBe(files.reduce((n, f) => n + pinsIn(read(ROOT, f)).length, 0));
    for (const f of UNTOUCHED) expect(read(dir, f)).toBe(read(ROOT, f));
    expect(run('--root', dir, '--check').status).toBe(0);
  });

  test('running it again with the same release changes nothing', () => {
    const dir = copyOfRepo();
    expect(run('--root', dir, SHA, 'v1.2.3').status).toBe(0);
    const once = files.map((f) => read(dir, f));
    const again = run('--root', dir, SHA, 'v1.2.3');
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(files.map((f) => read(dir, f))).toEqual(once);
  });

  test.each([
    ['a short SHA', ['abcdef0', 'v1.2.3'], /full commit SHA/],
    ['a tag that is not vX.Y.Z', [SHA, 'v1'], /version tag/],
    ['no arguments', [], /full commit SHA/],
  ])('%s fails and changes no file', (_name, args, message) => {
    const dir = copyOfRepo();
    const r = run('--root', dir, ...args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
    for (const f of [...files, ...UNTOUCHED]) expect(read(dir, f)).toBe(read(ROOT, f));
  });

  test('--check reports a pin in another form', () => {
    const dir = copyOfRepo();
    const file = 'examples/pr-review.yml';
    writeFileSync(
      path.join(dir, file),
      read(dir, file).replace(
        /claude-guard\/claude-guard@[0-9a-f]{40} # v\d+\.\d+\.\d+/,
        'claude-guard/claude-guard@v1',
      ),
    );
    const r = run('--root', dir, '--check');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /examples\/pr-review\.yml:\d+: 'claude-guard\/claude-guard@v1' is not in the form/,
    );
  });
});
