/**
 * Incremental review against real git: the record read back from our summary comment, the checks on
 * the recorded commit (exists, ancestor of head, not on base), the files the agent is told about, and
 * which earlier findings an incremental run may call gone.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createGit } from '../../src/git-runner.js';
import { resolveTool } from '../../src/system-tools.js';
import type { IssueComment } from '../../src/github/client.js';
import type { FileDiff } from '../../src/findings/diff.js';
import { loadDiffFor } from '../../src/diff-source.js';
import { chooseReviewScope, readRecorded, touchedBy, type ScopePorts } from '../../src/review-range.js';
import { reviewedMarker } from '../../src/review-scope.js';
import { SUMMARY_MARKER } from '../../src/report/summary-comment.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('review-range-');

function commit(dir: string, files: Record<string, string>, message: string): string {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

const comment = (body: string, over: Partial<IssueComment> = {}): IssueComment => ({
  id: 1,
  body,
  author: 'github-actions[bot]',
  authorType: 'Bot',
  authorAssociation: 'NONE',
  ...over,
});
const summaryOf = (sha: string) => `${SUMMARY_MARKER}\n${reviewedMarker(sha)}\n### 🛡️ claude-guard: ✅`;

/** A repository: base on main, then the PR branch with a first push (reviewed) and a second push. */
function repo() {
  const dir = tempDir();
  git(dir, ['init', '-q', '-b', 'main']);
  const base = commit(dir, { 'a.js': 'a1\n', 'b.js': 'b1\n', 'c.js': 'c1\n' }, 'base');
  git(dir, ['checkout', '-q', '-b', 'feature']);
  const first = commit(dir, { 'a.js': 'a1\na2\n' }, 'first push');
  const second = commit(dir, { 'b.js': 'b1\nb2\n' }, 'second push');
  return { dir, base, first, second };
}

async function portsFor(dir: string, comments: IssueComment[] | Error): Promise<ScopePorts> {
  const g = createGit(await resolveTool('git'), { workspace: dir });
  return {
    gitExit: async (args) => (await g.exec(args)).exitCode,
    gitText: (args) => g.text(args),
    listIssueComments: async () => {
      if (comments instanceof Error) throw comments;
      return comments;
    },
  };
}

async function prFiles(ports: ScopePorts, base: string, head: string): Promise<FileDiff[]> {
  const range = `${base}...${head}`;
  return (await loadDiffFor({ kind: 'pull', base, head, range }, { git: ports.gitText })).files;
}

const synchronize = { setting: 'incremental' as const, eventName: 'pull_request', action: 'synchronize' };

describe('chooseReviewScope', () => {
  test('a push after a reviewed one: only the new commits, by range and by file', async () => {
    const r = repo();
    const ports = await portsFor(r.dir, [comment(summaryOf(r.first))]);
    const pull = { baseSha: r.base, headSha: r.second };
    const scope = await chooseReviewScope(
      { ...synchronize, pull, prFiles: await prFiles(ports, r.base, r.second) },
      ports,
    );
    expect(scope.decision).toMatchObject({ scope: 'incremental', base: r.first, head: r.second });
    expect(scope.range).toBe(`${r.first}...${r.second}`);
    expect(scope.files.map((f) => f.path)).toEqual(['b.js']);
  });

  test('review-scope: full, or an event other than synchronize: the whole pull request', async () => {
    const r = repo();
    const ports = await portsFor(r.dir, [comment(summaryOf(r.first))]);
    const pull = { baseSha: r.base, headSha: r.second };
    const files = await prFiles(ports, r.base, r.second);
    for (const input of [
      { ...synchronize, setting: 'full' as const },
      { ...synchronize, action: 'opened' },
      { ...synchronize, action: 'labeled' },
    ]) {
      const scope = await chooseReviewScope({ ...input, pull, prFiles: files }, ports);
      expect(scope.range).toBe(`${r.base}...${r.second}`);
      expect(scope.files.map((f) => f.path)).toEqual(['a.js', 'b.js']);
      expect(scope.decision.fallback).toBeUndefined();
    }
  });

  test('an explicit request (a comment command) overrides the event rule, either way', async () => {
    const r = repo();
    const ports = await portsFor(r.dir, [comment(summaryOf(r.first))]);
    const pull = { baseSha: r.base, headSha: r.second };
    const files = await prFiles(ports, r.base, r.second);
    const asked = await chooseReviewScope(
      {
        ...synchronize,
        eventName: 'issue_comment',
        action: 'created',
        requested: 'incremental',
        pull,
        prFiles: files,
      },
      ports,
    );
    expect(asked.range).toBe(`${r.first}...${r.second}`);
    const full = await chooseReviewScope({ ...synchronize, requested: 'full', pull, prFiles: files }, ports);
    expect(full.range).toBe(`${r.base}...${r.second}`);
    // The workflow's `review-scope: full` is not overridden by a commenter's `/review incremental`.
    const configured = await chooseReviewScope(
      { ...synchronize, setting: 'full', requested: 'incremental', pull, prFiles: files },
      ports,
    );
    expect(configured.range).toBe(`${r.base}...${r.second}`);
  });

  test('a force-push that dropped the reviewed commit: the whole pull request, saying why', async () => {
    const r = repo();
    git(r.dir, ['checkout', '-q', '-B', 'feature', r.base]);
    const rewritten = commit(r.dir, { 'a.js': 'a1\nA2\n', 'b.js': 'b1\nb2\n' }, 'rewritten');
    const ports = await portsFor(r.dir, [comment(summaryOf(r.second))]);
    const pull = { baseSha: r.base, headSha: rewritten };
    const scope = await chooseReviewScope(
      { ...synchronize, pull, prFiles: await prFiles(ports, r.base, rewritten) },
      ports,
    );
    expect(scope.decision.scope).toBe('full');
    expect(scope.range).toBe(`${r.base}...${rewritten}`);
    expect(scope.decision.fallback).toMatch(/not an ancestor of the head.*force-push/);
    expect(scope.notes.join('\n')).toMatch(/Incremental review not possible/);
  });

  test('a recorded commit the checkout does not have: the whole pull request (fetch-depth hint)', async () => {
    const r = repo();
    const ports = await portsFor(r.dir, [comment(summaryOf('e'.repeat(40)))]);
    const pull = { baseSha: r.base, headSha: r.second };
    const scope = await chooseReviewScope(
      { ...synchronize, pull, prFiles: await prFiles(ports, r.base, r.second) },
      ports,
    );
    expect(scope.decision).toMatchObject({
      scope: 'full',
      fallback: expect.stringMatching(/fetch-depth: 0/),
    });
  });

  test('the base branch merged into the PR branch: its files are not the PR’s to review', async () => {
    const r = repo();
    git(r.dir, ['checkout', '-q', 'main']);
    commit(r.dir, { 'c.js': 'c1\nc2 on main\n' }, 'main moves on');
    git(r.dir, ['checkout', '-q', 'feature']);
    git(r.dir, ['merge', '-q', '--no-edit', 'main']);
    const head = commit(r.dir, { 'a.js': 'a1\na2\na3\n' }, 'third push');
    const newBase = git(r.dir, ['rev-parse', 'main']).trim();
    const ports = await portsFor(r.dir, [comment(summaryOf(r.second))]);
    const pull = { baseSha: newBase, headSha: head };
    const scope = await chooseReviewScope(
      { ...synchronize, pull, prFiles: await prFiles(ports, newBase, head) },
      ports,
    );
    expect(scope.decision.scope).toBe('incremental');
    expect(scope.files.map((f) => f.path)).toEqual(['a.js']);
  });
});

describe('readRecorded: only our newest summary comment counts', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  test.each<[string, IssueComment[] | Error, unknown]>([
    ['none', [], undefined],
    ['the newest of ours', [comment(summaryOf(A), { id: 1 }), comment(summaryOf(B), { id: 5 })], { sha: B }],
    [
      'an outsider’s copy of the marker is ignored',
      [
        comment(summaryOf(A), { id: 1 }),
        comment(summaryOf(B), { id: 9, authorType: 'User', author: 'mallory' }),
      ],
      { sha: A },
    ],
    ['comments unreadable', new Error('HTTP 502\nbody'), { unreadable: 'HTTP 502' }],
  ])('%s', async (_name, comments, expected) => {
    const ports = {
      listIssueComments: async () => (comments instanceof Error ? Promise.reject(comments) : comments),
    };
    expect(await readRecorded(ports)).toEqual(expected);
  });
});

describe('touchedBy: which earlier findings an incremental run may call gone', () => {
  const file = (over: Partial<FileDiff>): FileDiff => ({
    path: 'a.js',
    status: 'modified',
    rightLines: new Set(),
    addedLines: new Set(),
    hunks: [{ startLine: 10, endLine: 20 }],
    patchAvailable: true,
    ...over,
  });
  test.each<[string, FileDiff[], { path: string; line: number | null }, boolean]>([
    ['a file the new commits did not touch', [file({})], { path: 'other.js', line: 5 }, false],
    ['a line outside the new hunks', [file({})], { path: 'a.js', line: 5 }, false],
    ['a line inside a new hunk', [file({})], { path: 'a.js', line: 12 }, true],
    ['an outdated comment on a touched file', [file({})], { path: 'a.js', line: null }, true],
    [
      'a file the new commits removed',
      [file({ status: 'removed', hunks: [] })],
      { path: 'a.js', line: 3 },
      true,
    ],
    [
      'a file renamed away',
      [file({ path: 'b.js', previousPath: 'a.js', status: 'renamed' })],
      { path: 'a.js', line: 3 },
      true,
    ],
  ])('%s → %s', (_name, files, posted, expected) => {
    expect(touchedBy(files)(posted)).toBe(expected);
  });
});
