/**
 * Delivery to the pull request never loses a finding: a review GitHub refuses (422) is re-checked
 * against the PR's current diff, refused comments move to the summary, the rest are posted again, and
 * the summary comment is posted whatever happened to the review.
 */
import { describe, expect, test } from '@jest/globals';
import { deliverToPullRequest, moveToSummary, recheckPlacement } from '../../src/deliver.js';
import { FakeGitHub } from '../support/fake-github.js';
import { SUMMARY_MARKER } from '../../src/report/summary-comment.js';
import { GitHubApiError, GitHubPermissionError } from '../../src/github/client.js';
import type { GateResult, GatedFinding } from '../../src/report/types.js';

const pr = { owner: 'acme', repo: 'widgets', number: 7 };
const PATCH = '@@ -1,2 +1,4 @@\n a\n+b\n+c\n d';
const files = [{ filename: 'src/a.ts', status: 'modified', additions: 2, deletions: 0, patch: PATCH }];

function finding(line: number, title = `at ${line}`): GatedFinding {
  return {
    path: 'src/a.ts',
    line,
    severity: 'high',
    category: 'bug',
    title,
    body: `body of ${title}`,
    placement: { line },
  };
}

function gate(inline: GatedFinding[]): GateResult {
  return {
    summary: 'Reviewed.',
    inline,
    summaryOnly: [],
    dropped: [],
    redactions: 0,
    neutralised: { mentions: 0, links: 0, html: 0 },
  };
}

const fp = (f: { line: number }) => String(f.line).padStart(16, '0');
const body = (notes: string[], g: GateResult) =>
  `${SUMMARY_MARKER}\nsummary inline=${g.inline.map((f) => f.line).join(',')} moved=${g.summaryOnly
    .map((f) => `${f.line}:${f.undelivered ?? ''}`)
    .join(',')} notes=${notes.join(' | ')}`;

describe('recheckPlacement', () => {
  test('a line outside the current diff is refused with the reason; a placeable one is kept', () => {
    const r = recheckPlacement([finding(2), finding(40)], files);
    expect(r.placeable.map((f) => f.line)).toEqual([2]);
    expect(r.refused).toEqual([
      expect.objectContaining({ line: 40, placement: null, undelivered: expect.stringMatching(/line 40/) }),
    ]);
  });

  test('a file gone from the diff is refused', () => {
    const r = recheckPlacement([finding(2)], []);
    expect(r.refused[0].undelivered).toMatch(/not in the diff/);
  });

  test('moveToSummary keeps every finding, only where it is listed changes', () => {
    const g = gate([finding(2), finding(3)]);
    const moved = moveToSummary(g, [{ ...finding(3), placement: null, undelivered: 'x' }]);
    expect(moved.inline.map((f) => f.line)).toEqual([2]);
    expect(moved.summaryOnly.map((f) => f.line)).toEqual([3]);
  });
});

describe('deliverToPullRequest', () => {
  test('422 for one comment: the others are posted, the refused one is in the summary comment', async () => {
    const github = new FakeGitHub();
    github.files = files;
    github.checkAnchors = true;
    // The head moved during the run: line 40 was in the diff the gate saw, not in the current one.
    const r = await deliverToPullRequest(github, pr, 'abc', gate([finding(2), finding(40)]), fp, body);
    expect(github.reviews).toHaveLength(1);
    expect(github.reviews[0].review.comments.map((c) => c.line)).toEqual([2]);
    expect(r.gate.inline.map((f) => f.line)).toEqual([2]);
    expect(r.gate.summaryOnly.map((f) => f.line)).toEqual([40]);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0].body).toMatch(/inline=2 moved=40:GitHub refused it: line 40/);
    expect(r.notes.join('\n')).toMatch(/GitHub refused 1 inline comment/);
  });

  test('a 422 nothing explains: summary only, and the summary comment is still posted', async () => {
    const github = new FakeGitHub();
    github.files = files;
    github.failures.createReview = new GitHubApiError('create a review', 422, 'Validation Failed');
    const r = await deliverToPullRequest(github, pr, 'abc', gate([finding(2)]), fp, body);
    expect(r.gate.inline).toEqual([]);
    expect(r.gate.summaryOnly[0].undelivered).toBe('the review could not be posted');
    expect(github.comments).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(
      /Could not post the review: GitHub API: could not create a review \(HTTP 422\)/,
    );
  });

  test('a 5xx on the review is a warning, not a failure; the summary comment is posted', async () => {
    const github = new FakeGitHub();
    github.files = files;
    github.failures.createReview = new GitHubApiError('create a review', 502, 'Bad Gateway');
    const r = await deliverToPullRequest(github, pr, 'abc', gate([finding(2)]), fp, body);
    expect(github.comments).toHaveLength(1);
    expect(r.gate.summaryOnly).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(/HTTP 502/);
  });

  test('the summary comment failing is a note, not an exception', async () => {
    const github = new FakeGitHub();
    github.files = files;
    github.failures.createIssueComment = new GitHubPermissionError(
      'create a comment',
      'pull-requests: write',
    );
    const r = await deliverToPullRequest(github, pr, 'abc', gate([finding(2)]), fp, body);
    expect(github.reviews).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(
      /Could not post the summary comment: the token lacks `pull-requests: write`/,
    );
  });

  test('reading earlier comments failing does not stop the review', async () => {
    const github = new FakeGitHub();
    github.files = files;
    github.failures.listReviewComments = new GitHubApiError('list review comments', 500, 'boom');
    const r = await deliverToPullRequest(github, pr, 'abc', gate([finding(2)]), fp, body);
    expect(github.reviews).toHaveLength(1);
    expect(github.comments).toHaveLength(1);
    expect(r.notes.join('\n')).toMatch(/HTTP 500/);
  });
});
