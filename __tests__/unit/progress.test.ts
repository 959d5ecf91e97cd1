/**
 * The progress note in the summary comment: its text, what it carries over from the last finished review,
 * and its life on the stateful fake (posted, replaced by a failure, answered in a review thread, and a
 * token that cannot write losing only the note).
 */
import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../../src/github/fake.js';
import { GitHubPermissionError } from '../../src/github/client.js';
import { carryRecord, renderProgressComment, startProgress } from '../../src/report/progress.js';
import { SUMMARY_MARKER } from '../../src/report/summary-comment.js';
import type { OnDemandComment } from '../../src/triggers/on-demand.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const pr = { owner: 'o', repo: 'r', number: 3 };
const demand = (source: OnDemandComment['source'], commentId = 1): OnDemandComment => ({
  kind: 'comment',
  source,
  commentId,
  replyTo: commentId,
  author: 'alice',
  authorType: 'User',
  command: { scope: 'incremental', request: 'x', via: 'command' },
});

describe('renderProgressComment', () => {
  test('marker first, "reviewing…", the full commit, who asked', () => {
    const body = renderProgressComment({
      headSha: SHA,
      onDemand: demand('issue_comment'),
      runUrl: 'https://g/run/1',
    });
    expect(body.startsWith(`${SUMMARY_MARKER}\n`)).toBe(true);
    expect(body).toContain('reviewing…');
    expect(body).toContain(`\`${SHA}\``);
    expect(body).toContain('an incremental review, asked for in a comment by @alice');
    expect(body).toContain('(https://g/run/1)');
  });

  test('a label and an ordinary push are named too', () => {
    expect(
      renderProgressComment({ headSha: SHA, onDemand: { kind: 'label', label: 'ai`review' } }),
    ).toContain('with the label `aireview`');
    expect(renderProgressComment({ headSha: SHA })).toContain('a review of this push');
  });
});

describe('carryRecord', () => {
  const rec = '<!-- claude-guard:reviewed head=abc -->';
  test.each<[string, string | undefined, string, string]>([
    ['no earlier comment', undefined, `${SUMMARY_MARKER}\nnew`, `${SUMMARY_MARKER}\nnew`],
    [
      'an earlier record is kept',
      `${SUMMARY_MARKER}\n${rec}\nold`,
      `${SUMMARY_MARKER}\nnew`,
      `${SUMMARY_MARKER}\n${rec}\nnew`,
    ],
    [
      'the new body’s own record wins',
      `${SUMMARY_MARKER}\n${rec}\nold`,
      `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=def -->\nnew`,
      `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=def -->\nnew`,
    ],
    [
      'a second line that is not a record',
      `${SUMMARY_MARKER}\n<!-- other -->\nold`,
      `${SUMMARY_MARKER}\nnew`,
      `${SUMMARY_MARKER}\nnew`,
    ],
  ])('%s', (_name, previous, body, expected) => {
    expect(carryRecord(previous, body)).toBe(expected);
  });
});

describe('startProgress', () => {
  test('posts the note; a failure replaces it and keeps the earlier record', async () => {
    const gh = new FakeGitHub();
    gh.addComment(pr, `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=${'a'.repeat(40)} -->\nold result`);
    const p = await startProgress(gh, pr, { headSha: SHA });
    expect(gh.commentsOn(pr)).toHaveLength(1);
    expect(gh.commentsOn(pr)[0].body).toContain('reviewing…');
    expect(gh.commentsOn(pr)[0].body.split('\n')[1]).toContain('reviewed head=aaaa');
    await p!.finish(false, ({ headSha }) => `${SUMMARY_MARKER}\n❌ failed on ${headSha}`);
    expect(gh.commentsOn(pr)[0].body).toBe(
      `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=${'a'.repeat(40)} -->\n❌ failed on ${SHA}`,
    );
    await p!.finish(true, () => `${SUMMARY_MARKER}\nagain`); // once only
    expect(gh.commentsOn(pr)[0].body).toContain('❌ failed');
  });

  test('a review-thread request is answered in its thread; an issue comment is not answered twice', async () => {
    const gh = new FakeGitHub();
    const asked = gh.addReviewComment(
      pr,
      { path: 'a', line: 1, body: '/review' },
      { author: 'alice', authorType: 'User' },
    );
    const p = await startProgress(gh, pr, {
      headSha: SHA,
      onDemand: demand('pull_request_review_comment', asked.id),
    });
    await p!.finish(true);
    expect(gh.replies).toEqual([expect.objectContaining({ inReplyTo: asked.id })]);
    expect(gh.replies[0].body).toContain(`reviewed \`${SHA.slice(0, 12)}\``);
    const gh2 = new FakeGitHub();
    const p2 = await startProgress(gh2, pr, { headSha: SHA, onDemand: demand('issue_comment') });
    await p2!.finish(true);
    expect(gh2.replies).toHaveLength(0);
    expect(gh2.commentsOn(pr)).toHaveLength(1);
  });

  test('a token that cannot write: no note, no error', async () => {
    const gh = new FakeGitHub();
    gh.failures.createIssueComment = new GitHubPermissionError('create a comment', 'pull-requests: write');
    expect(await startProgress(gh, pr, { headSha: SHA })).toBeUndefined();
  });
});
