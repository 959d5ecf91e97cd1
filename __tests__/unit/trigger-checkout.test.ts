/**
 * The action checks out the pull request's head itself on a comment run, with real git: already there
 * (nothing moves), present in the clone, or fetched by SHA from the repository (a file:// remote stands
 * in for GitHub); HEAD is verified, and the job's checkout (branch or detached commit) is put back.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { systemGit } from '../../src/git-runner.js';
import { checkoutHead, restoreHead } from '../../src/triggers/checkout.js';
import { placeReviewedHead, restoreCheckoutFromRecord } from '../../src/triggers/workspace.js';
import type { RunContext } from '../../src/context.js';
import type { OnDemand } from '../../src/triggers/on-demand.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('trigger-checkout-');

/** origin: main (base) and the PR head on refs/pull/7/head only, as GitHub keeps a fork's commits. */
function origin() {
  const dir = tempDir();
  git(dir, ['init', '-q', '-b', 'main']);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'base\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-qm', 'base']);
  const base = git(dir, ['rev-parse', 'HEAD']).trim();
  git(dir, ['checkout', '-qb', 'pr']);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'head\n');
  git(dir, ['commit', '-qam', 'head']);
  const head = git(dir, ['rev-parse', 'HEAD']).trim();
  git(dir, ['update-ref', 'refs/pull/7/head', head]);
  git(dir, ['checkout', '-q', 'main']);
  git(dir, ['branch', '-qD', 'pr']);
  return { dir, base, head, url: `file://${dir}` };
}

function clone(url: string) {
  const dir = path.join(tempDir(), 'ws');
  git(path.dirname(dir), ['clone', '-q', url, dir]);
  return dir;
}

describe('checkoutHead', () => {
  test('fetches a head the clone lacks, checks it out, and puts the branch back', async () => {
    const o = origin();
    const ws = clone(o.url);
    const g = await systemGit({ workspace: ws });
    const placed = await checkoutHead(g, o.head, o.base, { url: o.url });
    expect(placed).toMatchObject({ moved: true, previous: { branch: 'main', sha: o.base } });
    expect(git(ws, ['rev-parse', 'HEAD']).trim()).toBe(o.head);
    expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('head\n');
    await restoreHead(g, placed);
    expect(git(ws, ['symbolic-ref', '--short', 'HEAD']).trim()).toBe('main');
    expect(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8')).toBe('base\n');
  });

  test('HEAD already at the head: nothing moves', async () => {
    const o = origin();
    const ws = clone(o.url);
    git(ws, ['fetch', '-q', 'origin', 'refs/pull/7/head']);
    git(ws, ['checkout', '-q', '--detach', o.head]);
    const g = await systemGit({ workspace: ws });
    expect(await checkoutHead(g, o.head, o.base, { url: 'file:///nonexistent' })).toMatchObject({
      moved: false,
    });
  });

  test('a detached checkout is put back detached', async () => {
    const o = origin();
    const ws = clone(o.url);
    git(ws, ['checkout', '-q', '--detach', o.base]);
    const g = await systemGit({ workspace: ws });
    const placed = await checkoutHead(g, o.head, o.base, { url: o.url });
    await restoreHead(g, placed);
    expect(git(ws, ['rev-parse', 'HEAD']).trim()).toBe(o.base);
    expect(() => git(ws, ['symbolic-ref', '-q', 'HEAD'])).toThrow();
  });

  test('a head nobody has: a clear error, and the checkout untouched', async () => {
    const o = origin();
    const ws = clone(o.url);
    const g = await systemGit({ workspace: ws });
    await expect(checkoutHead(g, 'f'.repeat(40), o.base, { url: o.url })).rejects.toThrow(
      /Could not fetch the pull request's head ffffffffffff/,
    );
    expect(git(ws, ['rev-parse', 'HEAD']).trim()).toBe(o.base);
  });

  test('a head that is not a SHA is refused before git runs', async () => {
    const g = await systemGit({ workspace: tempDir() });
    await expect(checkoutHead(g, 'main', 'x', { url: 'file:///x' })).rejects.toThrow(/not a commit SHA/);
  });
});

describe('placeReviewedHead and the post step', () => {
  test('the record in the run dir lets post put the checkout back when main could not', async () => {
    const o = origin();
    // The repository as the action addresses it: <serverUrl>/<owner>/<repo>.git
    const server = tempDir();
    fs.mkdirSync(path.join(server, 'acme'));
    git(server, ['clone', '-q', '--bare', o.dir, path.join(server, 'acme', 'widgets.git')]);
    git(path.join(server, 'acme', 'widgets.git'), ['update-ref', 'refs/pull/7/head', o.head]);
    const ws = clone(o.url);
    const runDir = tempDir();
    const ctx = {
      serverUrl: `file://${server}`,
      repository: 'acme/widgets',
      workspace: ws,
      pull: { headSha: o.head, baseSha: o.base },
    } as unknown as RunContext;
    const demand = { kind: 'comment' } as OnDemand;
    const notes: string[] = [];
    const undo = await placeReviewedHead(ctx, demand, '', runDir, notes);
    expect(undo).toBeDefined();
    expect(git(ws, ['rev-parse', 'HEAD']).trim()).toBe(o.head);
    expect(notes.join()).toMatch(/checked out by claude-guard/);
    expect(fs.existsSync(path.join(runDir, 'checkout.json'))).toBe(true);
    // main died before its undo: post does it from the record, once.
    expect(await restoreCheckoutFromRecord(runDir)).toMatch(/main again/);
    expect(git(ws, ['symbolic-ref', '--short', 'HEAD']).trim()).toBe('main');
    expect(await restoreCheckoutFromRecord(runDir)).toBeUndefined();
  });

  test('not a comment run (a label, an ordinary push): the checkout is the workflow’s', async () => {
    const ctx = { pull: { headSha: 'a'.repeat(40) } } as unknown as RunContext;
    expect(await placeReviewedHead(ctx, { kind: 'label', label: 'x' }, '', tempDir(), [])).toBeUndefined();
    expect(await placeReviewedHead(ctx, undefined, '', tempDir(), [])).toBeUndefined();
  });
});
