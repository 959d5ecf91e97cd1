/**
 * Issue 12, the action's own cost: how many GitHub requests a pull-request run makes around the agent.
 * The main step's GitHub calls run here in the order orchestrator/execute.ts makes them (the progress note,
 * the incremental review's record, delivery, the progress note's end), on the stateful fake behind the
 * run's memo (orchestrator/real-ports.ts wraps the client the same way), and every call is counted: a
 * read repeated without a write of ours in between is a regression. Before this, every one of these runs
 * made 10 reads here (the trigger guard's permission check, outside this file, made the 11th): the issue
 * comments six times, the review comments and the review threads twice each.
 */
import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../support/fake-github.js';
import { withIssueCommentMemo } from '../../src/github/comment-memo.js';
import { startProgress } from '../../src/report/progress.js';
import { chooseReviewScope } from '../../src/review-range.js';
import { deliverToPullRequest } from '../../src/deliver.js';
import { SUMMARY_MARKER } from '../../src/report/summary-comment.js';
import { parseReviewedMarker, reviewedMarker } from '../../src/review-scope.js';
import type { Finding } from '../../src/findings/schema.js';
import { GitHubPermissionError } from '../../src/github/client.js';
import type { GateResult, GatedFinding } from '../../src/report/types.js';

const pr = { owner: 'o', repo: 'r', number: 7 };
const BASE = 'b'.repeat(40);
const PATCH = '@@ -1,2 +1,6 @@\n a\n+b\n+c\n+d\n+e\n f';
const files = [{ filename: 'src/a.ts', status: 'modified', additions: 4, deletions: 0, patch: PATCH }];

function finding(line: number): GatedFinding {
  return {
    path: 'src/a.ts',
    line,
    severity: 'high',
    category: 'bug',
    title: `at ${line}`,
    body: 'b',
    placement: { line },
  };
}

const gate = (inline: GatedFinding[]): GateResult => ({
  summary: 'Reviewed.',
  inline,
  summaryOnly: [],
  dropped: [],
  redactions: 0,
  neutralised: { mentions: 0, links: 0, html: 0 },
});

const fp = (f: { line: number }) => String(f.line).padStart(16, '0');

/** One run on the fake: a push (`synchronize`) reviewed at `head`, reporting `findings`. */
async function run(gh: FakeGitHub, head: string, findings: GatedFinding[]) {
  gh.calls.splice(0);
  const github = withIssueCommentMemo(gh);
  const progress = await startProgress(github, pr, { headSha: head });
  const scope = await chooseReviewScope(
    {
      setting: 'incremental',
      eventName: 'pull_request',
      action: 'synchronize',
      pull: { baseSha: BASE, headSha: head },
      prFiles: [],
    },
    {
      gitExit: async () => 1, // the recorded commit is not in the checkout: the whole pull request
      gitText: async () => '',
      listIssueComments: () => github.listIssueComments(pr),
    },
  );
  let links = new Map<Finding, number>();
  await deliverToPullRequest(
    github,
    pr,
    head,
    gate(findings),
    fp,
    (notes, _g, ids) => {
      links = new Map(ids);
      return `${SUMMARY_MARKER}\n${reviewedMarker(head)}\nresult ${notes.join(' ')}`;
    },
    scope.mayResolve,
  );
  await progress?.finish(true);
  return { calls: [...gh.calls], scope, links };
}

describe('GitHub round trips of a pull-request run', () => {
  test('the first review (no earlier comments): 4 reads for 3 writes, each read once', async () => {
    const gh = new FakeGitHub();
    gh.files = files;
    const { calls, links } = await run(gh, 'c'.repeat(40), [finding(2)]);
    expect(calls).toEqual([
      'listIssueComments', // progress note, its upsert, the reviewed-head record, trusted logins, the summary
      'createIssueComment', // "reviewing…"
      'listReviewComments', // earlier findings (these two at once)
      'listReviewThreads',
      'createReview',
      'listReviewComments', // only what the review changed: the new comments' ids, for the summary's links
      'updateIssueComment', // the summary replaces the progress note
    ]);
    // Behaviour kept: the summary links the new inline comment, one comment on the conversation.
    expect([...links.values()]).toEqual([gh.reviewComments[0].id]);
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(gh.commentsOn(pr)[0].body).toContain('result');
  });

  test('a second push with earlier findings: one kept, one gone, one new — still each read once', async () => {
    const gh = new FakeGitHub();
    gh.files = files;
    const first = 'c'.repeat(40);
    await run(gh, first, [finding(2), finding(3)]);
    const { calls, scope, links } = await run(gh, 'd'.repeat(40), [finding(2), finding(4)]);
    expect(calls).toEqual([
      'listIssueComments',
      'updateIssueComment', // "reviewing…" over the last summary
      'listReviewComments',
      'listReviewThreads',
      'createReview', // the new finding only
      'resolveReviewThread', // the gone one
      'listReviewComments',
      'updateIssueComment',
    ]);
    // The record was read from the memo after our progress note, which carried it over.
    expect(scope.decision.fallback).toMatch(
      new RegExp(`commit ${first.slice(0, 12)} is not in the checkout`),
    );
    expect(gh.reviews.map((r) => r.review.comments.map((c) => c.line))).toEqual([[2, 3], [4]]);
    expect(gh.reviewComments.filter((c) => c.resolved).map((c) => c.line)).toEqual([3]);
    const [kept, added] = [gh.reviewComments[0].id, gh.reviewComments[2].id];
    expect([...links.values()].sort()).toEqual([kept, added].sort());
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(parseReviewedMarker(gh.commentsOn(pr)[0].body)).toEqual({ sha: 'd'.repeat(40) });
  });

  test('a push that finds only what was already posted: no review, and no read after the agent but the first', async () => {
    const gh = new FakeGitHub();
    gh.files = files;
    await run(gh, 'c'.repeat(40), [finding(2)]);
    const { calls, links } = await run(gh, 'd'.repeat(40), [finding(2)]);
    expect(calls).toEqual([
      'listIssueComments',
      'updateIssueComment',
      'listReviewComments',
      'listReviewThreads',
      'updateIssueComment',
    ]);
    expect([...links.values()]).toEqual([gh.reviewComments[0].id]);
  });

  test('a token that may not write (a fork’s pull request): every read once, no read after a refused write', async () => {
    const gh = new FakeGitHub();
    gh.files = files;
    const refused = (op: string) => new GitHubPermissionError(op, 'pull-requests: write');
    gh.failures.createIssueComment = refused('create a comment');
    gh.failures.createReview = refused('create a review');
    const { calls } = await run(gh, 'c'.repeat(40), [finding(2)]);
    expect(calls).toEqual([
      'listIssueComments',
      'createIssueComment', // the progress note: refused
      'listReviewComments',
      'listReviewThreads',
      'createReview', // refused: nothing stored, nothing to read again
      'createIssueComment', // the summary: refused (a note in the job summary)
    ]);
  });

  test('a refused review (422) is read again after the retry: the links still point at what was stored', async () => {
    const gh = new FakeGitHub();
    gh.files = files;
    gh.checkAnchors = true;
    const { calls, links } = await run(gh, 'c'.repeat(40), [finding(2), finding(40)]);
    expect(calls).toEqual([
      'listIssueComments',
      'createIssueComment',
      'listReviewComments',
      'listReviewThreads',
      'createReview', // 422: line 40 is not in the diff
      'listPullFiles',
      'createReview',
      'listReviewComments',
      'updateIssueComment',
    ]);
    expect([...links.values()]).toEqual([gh.reviewComments[0].id]);
  });
});
