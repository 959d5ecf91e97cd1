import { afterEach, describe, expect, test } from '@jest/globals';
import { codeContextAt, fingerprint } from '../../src/findings/fingerprint.js';
import {
  createGitHub,
  GitHubApiError,
  GitHubPermissionError,
  type GitHubPort,
  type IssueComment,
  type PostedReviewComment,
  type ReviewThread,
} from '../../src/github/client.js';
import { FakeGitHub } from '../../src/github/fake.js';
import { commentBody, postReview } from '../../src/report/review.js';
import {
  actionLogins,
  loadPostedFindings,
  parseFingerprintMarker,
  planReviewSync,
  postedFindings,
  syncNote,
  syncReview,
  withFingerprintMarker,
  type CurrentFinding,
  type PostedFinding,
  type ReviewSyncResult,
} from '../../src/report/review-sync.js';
import {
  renderSummaryComment,
  SUMMARY_MARKER,
  upsertSummaryComment,
} from '../../src/report/summary-comment.js';
import type { GatedFinding } from '../../src/report/types.js';
import { startGitHubFake, type GitHubFake } from '../e2e/support/index.mjs';

const FP_A = 'aaaaaaaaaaaaaaaa';
const FP_B = 'bbbbbbbbbbbbbbbb';
const FP_C = 'cccccccccccccccc';

describe('fingerprint marker', () => {
  test('round-trips and ends the body on its own line', () => {
    const body = withFingerprintMarker('**High**\n\ntext', FP_A);
    expect(body).toBe(`**High**\n\ntext\n\n<!-- claude-guard:finding fp=${FP_A} -->`);
    expect(parseFingerprintMarker(body)).toBe(FP_A);
  });

  test.each([
    ['trailing whitespace GitHub may add', `x\n\n<!-- claude-guard:finding fp=${FP_A} -->\r\n`, FP_A],
    [
      'the last marker wins when text before it carries another',
      `<!-- claude-guard:finding fp=${FP_B} -->\n\n<!-- claude-guard:finding fp=${FP_A} -->`,
      FP_A,
    ],
    ['no marker', 'just a comment', undefined],
    ['a marker not at the end', `<!-- claude-guard:finding fp=${FP_A} -->\n\nmore text`, undefined],
    ['upper-case hex', `<!-- claude-guard:finding fp=${FP_A.toUpperCase()} -->`, undefined],
    ['too short', '<!-- claude-guard:finding fp=abc -->', undefined],
    ['too long', `<!-- claude-guard:finding fp=${FP_A}0 -->`, undefined],
    ['another marker', '<!-- claude-guard:summary -->', undefined],
  ])('parse: %s', (_name, body, expected) => {
    expect(parseFingerprintMarker(body)).toBe(expected);
  });

  test.each(['', 'xyz', FP_A.toUpperCase(), `${FP_A} -->`, `${FP_A}\n`])(
    'refuses to write %j as a fingerprint',
    (fp) => {
      expect(() => withFingerprintMarker('x', fp)).toThrow(/not a finding fingerprint/);
    },
  );

  test('a marked comment at the longest body still fits GitHub’s 65,536-character limit', () => {
    const huge = finding({ body: 'x'.repeat(200_000) });
    const body = withFingerprintMarker(commentBody(huge), FP_A);
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(parseFingerprintMarker(body)).toBe(FP_A);
  });
});

function issueComment(author: string, body: string, over: Partial<IssueComment> = {}): IssueComment {
  return { id: 1, body, author, authorType: 'User', authorAssociation: 'NONE', ...over };
}

describe('actionLogins: whose markers count', () => {
  test.each<[string, IssueComment[], string[]]>([
    ['no summary yet: the default bot', [], ['github-actions[bot]']],
    [
      'a PAT user’s summary (an insider): that user too',
      [issueComment('Alice', `${SUMMARY_MARKER}\nhi`, { authorAssociation: 'OWNER' })],
      ['github-actions[bot]', 'alice'],
    ],
    [
      'a GitHub App’s summary: the app bot too',
      [issueComment('my-app[bot]', `${SUMMARY_MARKER}\nhi`, { authorType: 'Bot' })],
      ['github-actions[bot]', 'my-app[bot]'],
    ],
    [
      'an outsider pasting the summary marker: not them',
      [issueComment('mallory', `${SUMMARY_MARKER}\nfake`)],
      ['github-actions[bot]'],
    ],
    [
      'an insider’s ordinary comment: not them',
      [issueComment('bob', 'LGTM', { authorAssociation: 'MEMBER' })],
      ['github-actions[bot]'],
    ],
  ])('%s', (_name, comments, expected) => {
    expect([...actionLogins(comments)].sort()).toEqual(expected.sort());
  });
});

function reviewComment(id: number, author: string, body: string): PostedReviewComment {
  return { id, body, path: 'a.ts', line: 1, author, authorType: 'User', authorAssociation: 'NONE' };
}

describe('postedFindings: our earlier inline findings', () => {
  const logins = new Set(['github-actions[bot]', 'alice']);
  const threads: ReviewThread[] = [
    { id: 'T1', isResolved: false, firstCommentId: 1 },
    { id: 'T2', isResolved: true, firstCommentId: 2 },
    { id: 'T9', isResolved: false },
  ];
  test.each<[string, PostedReviewComment, PostedFinding[]]>([
    [
      'the bot’s marked comment, open thread',
      reviewComment(1, 'github-actions[bot]', withFingerprintMarker('x', FP_A)),
      [{ commentId: 1, threadId: 'T1', fingerprint: FP_A, resolved: false, path: 'a.ts', line: 1 }],
    ],
    [
      'the summary author’s marked comment (any case), resolved thread',
      reviewComment(2, 'ALICE', withFingerprintMarker('x', FP_B)),
      [{ commentId: 2, threadId: 'T2', fingerprint: FP_B, resolved: true, path: 'a.ts', line: 1 }],
    ],
    [
      'ours but no thread starts with it: kept for de-duplication, cannot be resolved',
      reviewComment(3, 'github-actions[bot]', withFingerprintMarker('x', FP_C)),
      [{ commentId: 3, fingerprint: FP_C, resolved: false, path: 'a.ts', line: 1 }],
    ],
    ['an outsider’s forged marker', reviewComment(1, 'mallory', withFingerprintMarker('x', FP_A)), []],
    ['our comment without a marker', reviewComment(1, 'github-actions[bot]', 'a reply'), []],
  ])('%s', (_name, comment, expected) => {
    expect(postedFindings([comment], threads, logins)).toEqual(expected);
  });
});

const cur = (fingerprint: string, name = fingerprint): CurrentFinding<string> => ({
  finding: name,
  fingerprint,
});
const prev = (fingerprint: string, over: Partial<PostedFinding> = {}): PostedFinding => ({
  commentId: 1,
  threadId: `T-${fingerprint}`,
  fingerprint,
  resolved: false,
  path: 'a.ts',
  line: 1,
  ...over,
});

describe('planReviewSync', () => {
  test.each<[string, CurrentFinding<string>[], PostedFinding[], string[], string[], string[]]>([
    ['first run: everything is new', [cur(FP_A), cur(FP_B)], [], [FP_A, FP_B], [], []],
    ['same findings again: nothing posted, nothing resolved', [cur(FP_A)], [prev(FP_A)], [], [FP_A], []],
    ['one fixed, one new', [cur(FP_B)], [prev(FP_A)], [FP_B], [], [`T-${FP_A}`]],
    ['all fixed', [], [prev(FP_A), prev(FP_B)], [], [], [`T-${FP_A}`, `T-${FP_B}`]],
    ['an already resolved thread is not resolved again', [], [prev(FP_A, { resolved: true })], [], [], []],
    [
      'a resolved thread whose finding is back: kept, not posted again',
      [cur(FP_A)],
      [prev(FP_A, { resolved: true })],
      [],
      [FP_A],
      [],
    ],
    [
      'a gone finding without a thread cannot be resolved',
      [],
      [prev(FP_A, { threadId: undefined })],
      [],
      [],
      [],
    ],
    [
      'every open thread of a gone fingerprint is resolved',
      [],
      [prev(FP_A, { threadId: 'T1' }), prev(FP_A, { threadId: 'T2' })],
      [],
      [],
      ['T1', 'T2'],
    ],
    [
      'two findings sharing a new fingerprint (same code, other lines) are both posted',
      [cur(FP_A, 'line 3'), cur(FP_A, 'line 9')],
      [],
      ['line 3', 'line 9'],
      [],
      [],
    ],
  ])('%s', (_name, current, previous, post, keep, resolve) => {
    const plan = planReviewSync({ current, previous });
    expect(plan.post.map((c) => c.finding)).toEqual(post);
    expect(plan.keep.map((c) => c.finding)).toEqual(keep);
    expect(plan.resolve.map((p) => p.threadId)).toEqual(resolve);
  });

  test('mayResolve: an earlier finding outside what this run looked at stays open (incremental review)', () => {
    const plan = planReviewSync({
      current: [],
      previous: [prev(FP_A, { path: 'seen.ts' }), prev(FP_B, { path: 'untouched.ts' })],
      mayResolve: (p) => p.path === 'seen.ts',
    });
    expect(plan.resolve.map((p) => p.threadId)).toEqual([`T-${FP_A}`]);
  });
});

describe('syncNote', () => {
  const res = (resolved: number, notPermitted: number): ReviewSyncResult => ({
    resolved: Array.from({ length: resolved }, (_, i) => `R${i}`),
    notPermitted: Array.from({ length: notPermitted }, (_, i) => `N${i}`),
    ...(notPermitted > 0 ? { missingPermission: 'pull-requests: write' } : {}),
  });
  test.each<[number, number, string | undefined]>([
    [0, 0, undefined],
    [1, 0, '1 earlier finding no longer occurs; its review thread was resolved.'],
    [3, 0, '3 earlier findings no longer occur; their review threads were resolved.'],
    [
      0,
      1,
      '1 earlier finding no longer occurs (could not resolve 1 review thread: missing `pull-requests: write`).',
    ],
    [
      1,
      2,
      '3 earlier findings no longer occur (could not resolve 2 review threads: missing `pull-requests: write`).',
    ],
  ])('%d resolved, %d not permitted', (resolved, notPermitted, expected) => {
    expect(syncNote(res(resolved, notPermitted))).toBe(expected);
  });
});

describe('syncReview', () => {
  const pr = { owner: 'o', repo: 'r', number: 1 };
  const open = (gh: FakeGitHub, n: number) =>
    Array.from({ length: n }, (_, i) => gh.addReviewComment(pr, { path: 'a.ts', line: i + 1, body: 'x' }));

  test('resolves every planned thread', async () => {
    const gh = new FakeGitHub();
    const [a, b, c] = open(gh, 3);
    const result = await syncReview(gh, {
      resolve: [a, c].map((x) => ({ ...prev(FP_A), threadId: x.threadId })),
    });
    expect(result).toEqual({ resolved: [a.threadId, c.threadId], notPermitted: [] });
    expect(gh.reviewComments.map((x) => x.resolved)).toEqual([true, false, true]);
    expect(b.resolved).toBe(false);
  });

  test('a permission refusal stops and reports the rest as not permitted, naming the permission', async () => {
    const gh = new FakeGitHub();
    const threads = open(gh, 2).map((x) => ({ ...prev(FP_A), threadId: x.threadId }));
    gh.failures.resolveReviewThread = new GitHubPermissionError(
      'resolve a review thread',
      'pull-requests: write',
    );
    const result = await syncReview(gh, { resolve: threads });
    expect(result).toEqual({
      resolved: [],
      notPermitted: threads.map((t) => t.threadId),
      missingPermission: 'pull-requests: write',
    });
    expect(gh.calls.filter((c) => c === 'resolveReviewThread')).toHaveLength(1);
    expect(gh.reviewComments.some((x) => x.resolved)).toBe(false);
  });

  test('any other failure is thrown', async () => {
    const gh = new FakeGitHub();
    const threads = open(gh, 1).map((x) => ({ ...prev(FP_A), threadId: x.threadId }));
    gh.failures.resolveReviewThread = new GitHubApiError('resolve a review thread', 502, 'Bad Gateway');
    await expect(syncReview(gh, { resolve: threads })).rejects.toBeInstanceOf(GitHubApiError);
  });
});

// ---- two pushes of one pull request, end to end through the port ----

const PR = { owner: 'acme', repo: 'widgets', number: 7 };
const HEAD = 'a'.repeat(40);

function finding(over: Partial<GatedFinding> = {}): GatedFinding {
  return {
    path: 'src/app.ts',
    line: 2,
    severity: 'high',
    category: 'security',
    title: 'SQL built from input',
    body: 'The query concatenates `id`.',
    placement: { line: 2 },
    ...over,
  };
}
const at = (f: GatedFinding, line: number): GatedFinding => ({ ...f, line, placement: { line } });

const SQL = finding();
const EVAL = finding({ title: 'eval of user input', body: 'Runs arbitrary code.' });
const PATH = finding({ title: 'Path traversal', body: 'userPath is not confined.' });

/** src/app.ts at the first push: SQL at line 2, eval at line 4. */
const PUSH_1 = [
  "import fs from 'node:fs';",
  "const q = 'SELECT * FROM t WHERE id=' + id;",
  '',
  'eval(input);',
].join('\n');
/** The second push: SQL fixed, a line inserted (eval moves to 5), a new path traversal at 7. */
const PUSH_2 = [
  "import fs from 'node:fs';",
  "const q = db.prepare('SELECT * FROM t WHERE id=?');",
  '',
  '// run it',
  'eval(input);',
  '',
  'fs.readFileSync(userPath);',
].join('\n');

/** One run's reporting stage as run.ts wires it: plan, post the new comments marked, resolve, summary. */
async function report(port: GitHubPort, fileText: string, findings: GatedFinding[]) {
  const current = findings.map((f) => ({
    finding: f,
    fingerprint: fingerprint(f, codeContextAt(fileText, f.line, f.end_line)),
  }));
  const plan = planReviewSync({ current, previous: await loadPostedFindings(port, PR) });
  await postReview(port, PR, {
    body: 'claude-guard review',
    event: 'COMMENT',
    commit_id: HEAD,
    comments: plan.post.map(({ finding: f, fingerprint: fp }) => ({
      path: f.path,
      line: f.line,
      side: 'RIGHT' as const,
      body: withFingerprintMarker(commentBody(f), fp),
    })),
  });
  const sync = await syncReview(port, plan);
  await upsertSummaryComment(
    port,
    PR,
    renderSummaryComment({
      conclusion: 'findings',
      isolation: 'strict',
      rejected: [],
      withheldEnv: [],
      notes: [],
    }),
  );
  return { plan, sync };
}

const titleOf = (body: string) => /\*\*([^*]+)\*\*\n/.exec(body.split('\n\n')[1] + '\n')?.[1];

describe('two pushes against the stateful in-memory fake', () => {
  test('the second run posts the new finding only, resolves the fixed one, duplicates nothing', async () => {
    const gh = new FakeGitHub();
    const first = await report(gh, PUSH_1, [SQL, at(EVAL, 4)]);
    expect(first.plan.post).toHaveLength(2);
    expect(first.sync).toEqual({ resolved: [], notPermitted: [] });

    const second = await report(gh, PUSH_2, [at(EVAL, 5), at(PATH, 7)]);
    expect(second.plan.post.map((p) => p.finding.title)).toEqual(['Path traversal']);
    expect(second.plan.keep.map((p) => p.finding.title)).toEqual(['eval of user input']);
    expect(gh.reviews).toHaveLength(2);
    expect(gh.reviews[1].review.comments).toHaveLength(1);
    expect(gh.reviewComments.map((c) => [titleOf(c.body), c.resolved])).toEqual([
      ['SQL built from input', true],
      ['eval of user input', false],
      ['Path traversal', false],
    ]);
    expect(second.sync.resolved).toEqual([gh.reviewComments[0].threadId]);
    expect(syncNote(second.sync)).toBe('1 earlier finding no longer occurs; its review thread was resolved.');
    expect(gh.commentsOn(PR)).toHaveLength(1);

    const third = await report(gh, PUSH_2, [at(EVAL, 5), at(PATH, 7)]);
    expect(third.plan.post).toEqual([]);
    expect(third.sync.resolved).toEqual([]);
    expect(gh.reviews).toHaveLength(2);
  });

  test('an outsider’s comment with a forged marker neither suppresses a finding nor is resolved', async () => {
    const gh = new FakeGitHub();
    const fpSql = fingerprint(SQL, codeContextAt(PUSH_1, 2));
    const outsider = { author: 'mallory', authorType: 'User', authorAssociation: 'CONTRIBUTOR' };
    gh.addComment(PR, `${SUMMARY_MARKER}\nforged summary`, outsider);
    gh.addReviewComment(
      PR,
      { path: 'src/app.ts', line: 2, body: withFingerprintMarker('nit', fpSql) },
      outsider,
    );
    gh.addReviewComment(
      PR,
      { path: 'src/app.ts', line: 3, body: withFingerprintMarker('x', FP_C) },
      outsider,
    );
    const run = await report(gh, PUSH_1, [SQL]);
    expect(run.plan.post.map((p) => p.fingerprint)).toEqual([fpSql]);
    expect(run.plan.resolve).toEqual([]);
    expect(gh.reviewComments.some((c) => c.resolved)).toBe(false);
  });
});

describe('two pushes over HTTP: the Octokit client against the GitHub fake (REST + GraphQL)', () => {
  let fake: GitHubFake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const PATCH = `@@ -0,0 +1,9 @@\n${Array.from({ length: 9 }, (_, i) => `+line ${i + 1}`).join('\n')}`;
  const PULL = {
    number: PR.number,
    headSha: HEAD,
    baseSha: 'b'.repeat(40),
    files: [{ filename: 'src/app.ts', status: 'added', patch: PATCH }],
  };
  const client = (f: GitHubFake) =>
    createGitHub({ token: f.token, baseUrl: f.url, retryBaseMs: 1, log: { warn: () => {} } });

  test('new finding posted once, fixed one resolved through resolveReviewThread, no request GitHub would refuse', async () => {
    fake = await startGitHubFake({ ...PR, pull: PULL });
    const gh = client(fake);
    await report(gh, PUSH_1, [SQL, at(EVAL, 4)]);
    const second = await report(gh, PUSH_2, [at(EVAL, 5), at(PATH, 7)]);

    expect(second.plan.post.map((p) => p.finding.title)).toEqual(['Path traversal']);
    expect(fake.state.reviewComments.map((c) => titleOf(c.body))).toEqual([
      'SQL built from input',
      'eval of user input',
      'Path traversal',
    ]);
    expect(fake.state.reviewThreads.map((t) => t.isResolved)).toEqual([true, false, false]);
    expect(second.sync.resolved).toEqual([fake.state.reviewThreads[0].id]);
    expect(fake.state.issueComments).toHaveLength(1);
    expect(fake.failures).toEqual([]);
  });

  test('a read-only token: the thread stays open and the result says which permission is missing', async () => {
    const fpGone = fingerprint(SQL, codeContextAt(PUSH_1, 2));
    fake = await startGitHubFake({
      ...PR,
      pull: PULL,
      permissions: { 'pull-requests': 'read' },
      reviewComments: [
        {
          path: 'src/app.ts',
          line: 2,
          body: withFingerprintMarker('old', fpGone),
          user: 'github-actions[bot]',
        },
      ],
    });
    const gh = client(fake);
    const plan = planReviewSync({ current: [], previous: await loadPostedFindings(gh, PR) });
    const sync = await syncReview(gh, plan);
    expect(sync).toEqual({
      resolved: [],
      notPermitted: [fake.state.reviewThreads[0].id],
      missingPermission: 'pull-requests: write',
    });
    expect(syncNote(sync)).toContain('missing `pull-requests: write`');
    expect(fake.state.reviewThreads[0].isResolved).toBe(false);
  });

  test('every page of comments and threads is read: open threads on both pages are resolved', async () => {
    const fps = Array.from({ length: 150 }, (_, i) => i.toString(16).padStart(16, '0'));
    fake = await startGitHubFake({
      ...PR,
      pull: PULL,
      reviewComments: fps.map((fp, i) => ({
        path: 'src/app.ts',
        line: (i % 9) + 1,
        body: withFingerprintMarker('old', fp),
        user: 'github-actions[bot]',
        // Two threads open, one on each page of the GraphQL listing.
        resolved: i !== 1 && i !== 148,
      })),
    });
    const gh = client(fake);
    const previous = await loadPostedFindings(gh, PR);
    expect(previous.map((p) => p.fingerprint)).toEqual(fps);
    expect(previous.every((p) => p.threadId !== undefined)).toBe(true);
    const sync = await syncReview(gh, planReviewSync({ current: [], previous }));
    expect(sync.resolved).toEqual([1, 148].map((i) => fake?.state.reviewThreads[i].id));
    expect(fake.state.reviewThreads.every((t) => t.isResolved)).toBe(true);
    const threadPages = fake.graphql.filter((b) =>
      /reviewThreads/.test(String((b as { query: string }).query)),
    );
    expect(threadPages).toHaveLength(2);
    expect(fake.failures).toEqual([]);
  });
});
