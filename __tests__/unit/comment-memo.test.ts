/**
 * The run's memo of a pull request's conversation (src/github/comment-memo.ts): one read per pull request,
 * our own writes applied to it from GitHub's answers, and every doubt (a failed read or write, a write
 * answered without the comment) forgetting it, so the next call reads again.
 */
import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../support/fake-github.js';
import { withComment, withIssueCommentMemo } from '../../src/github/comment-memo.js';
import { GitHubApiError, GitHubPermissionError, type IssueComment } from '../../src/github/client.js';
import { SUMMARY_MARKER, upsertSummaryComment } from '../../src/report/summary-comment.js';

const pr = { owner: 'o', repo: 'r', number: 7 };
const other = { ...pr, number: 8 };
const lists = (gh: FakeGitHub) => gh.calls.filter((c) => c === 'listIssueComments').length;
const bodies = (cs: IssueComment[]) => cs.map((c) => c.body);

describe('withComment (pure)', () => {
  const a = { id: 1, body: 'a', author: 'x', authorType: 'User', authorAssociation: 'NONE' };
  test.each([
    ['a new comment is added last', [a], { ...a, id: 2, body: 'b' }, true, ['a', 'b']],
    ['an update replaces the comment with its id', [a], { ...a, body: 'a2' }, false, ['a2']],
    ['an update of a comment not in the list adds nothing', [a], { ...a, id: 9 }, false, ['a']],
    ['a create already in the list (read after the write) is not doubled', [a], a, true, ['a']],
  ])('%s', (_name, list, comment, isNew, expected) => {
    expect(bodies(withComment(list, comment, isNew))).toEqual(expected);
  });
});

describe('withIssueCommentMemo', () => {
  test('one read per pull request, shared by calls in a row and at once', async () => {
    const gh = new FakeGitHub();
    gh.addComment(pr, 'hello');
    gh.addComment(other, 'elsewhere');
    const memo = withIssueCommentMemo(gh);
    const [x, y] = await Promise.all([memo.listIssueComments(pr), memo.listIssueComments(pr)]);
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['hello']);
    expect([bodies(x), bodies(y)]).toEqual([['hello'], ['hello']]);
    expect(lists(gh)).toBe(1);
    expect(bodies(await memo.listIssueComments(other))).toEqual(['elsewhere']);
    expect(lists(gh)).toBe(2);
  });

  test('our create and update are in the next answer without another read; other lists are untouched', async () => {
    const gh = new FakeGitHub();
    gh.addComment(pr, 'hello');
    const elsewhere = gh.addComment(other, 'elsewhere');
    const memo = withIssueCommentMemo(gh);
    await memo.listIssueComments(pr);
    await memo.listIssueComments(other);
    const posted = await memo.createIssueComment(pr, 'mine');
    await memo.updateIssueComment(pr, posted.id, 'mine, edited');
    const now = await memo.listIssueComments(pr);
    expect(bodies(now)).toEqual(['hello', 'mine, edited']);
    // As GitHub stored it: the author and association came from the answer, not from a guess.
    expect(now[1]).toEqual(gh.commentsOn(pr).map(({ pr: _pr, ...c }) => c)[1]);
    expect(bodies(await memo.listIssueComments(other))).toEqual(['elsewhere']);
    await memo.updateIssueComment(other, elsewhere.id, 'elsewhere, edited');
    expect(bodies(await memo.listIssueComments(other))).toEqual(['elsewhere, edited']);
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['hello', 'mine, edited']);
    expect(lists(gh)).toBe(2);
  });

  test('a failed read is not remembered', async () => {
    const gh = new FakeGitHub();
    gh.failures.listIssueComments = new GitHubApiError('list comments', 502, 'Bad Gateway');
    const memo = withIssueCommentMemo(gh);
    await expect(memo.listIssueComments(pr)).rejects.toThrow(/502/);
    delete gh.failures.listIssueComments;
    gh.addComment(pr, 'hello');
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['hello']);
    expect(lists(gh)).toBe(2);
  });

  test('a failed write (it may have happened) and a write answered without the comment: read again', async () => {
    const gh = new FakeGitHub();
    const memo = withIssueCommentMemo(gh);
    await memo.listIssueComments(pr);
    gh.failures.createIssueComment = new GitHubApiError('create a comment', 502, 'Bad Gateway');
    await expect(memo.createIssueComment(pr, 'x')).rejects.toThrow(/502/);
    gh.addComment(pr, 'stored after all');
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['stored after all']);
    expect(lists(gh)).toBe(2);

    const bare = Object.assign(Object.create(gh) as FakeGitHub, {
      createIssueComment: async () => ({ id: 1, url: 'u' }),
    });
    const memo2 = withIssueCommentMemo(bare);
    await memo2.listIssueComments(pr);
    await memo2.createIssueComment(pr, 'y');
    gh.addComment(pr, 'seen on the next read');
    expect(bodies(await memo2.listIssueComments(pr))).toContain('seen on the next read');
    expect(lists(gh)).toBe(4);
  });

  test('a write refused for lack of permission (a read-only token) changed nothing: no second read', async () => {
    const gh = new FakeGitHub();
    gh.addComment(pr, 'hello');
    const memo = withIssueCommentMemo(gh);
    await memo.listIssueComments(pr);
    gh.failures.createIssueComment = new GitHubPermissionError('create a comment', 'pull-requests: write');
    await expect(memo.createIssueComment(pr, 'x')).rejects.toThrow(/pull-requests: write/);
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['hello']);
    expect(lists(gh)).toBe(1);
  });

  test('answers are copies: a caller cannot change what the next one sees', async () => {
    const gh = new FakeGitHub();
    gh.addComment(pr, 'hello');
    const memo = withIssueCommentMemo(gh);
    (await memo.listIssueComments(pr))[0].body = 'changed';
    expect(bodies(await memo.listIssueComments(pr))).toEqual(['hello']);
  });

  test('every other call goes straight to the port', async () => {
    const gh = new FakeGitHub();
    gh.permissions.octocat = 'write';
    const memo = withIssueCommentMemo(gh);
    expect(await memo.getCollaboratorPermission(pr, 'octocat')).toBe('write');
    expect(await memo.getCollaboratorPermission(pr, 'octocat')).toBe('write');
    expect(gh.calls).toEqual(['getCollaboratorPermission', 'getCollaboratorPermission']);
  });

  test('our summary comment deleted since it was read: the update’s 404 leads to a fresh read and a new comment', async () => {
    const gh = new FakeGitHub();
    const memo = withIssueCommentMemo(gh);
    const progress = await upsertSummaryComment(memo, pr, `${SUMMARY_MARKER}\nreviewing…`);
    gh.comments.splice(0); // someone deleted it during the run
    const result = await upsertSummaryComment(memo, pr, `${SUMMARY_MARKER}\nresult`);
    expect(result.action).toBe('created');
    expect(result.id).not.toBe(progress.id);
    expect(bodies(gh.commentsOn(pr))).toEqual([`${SUMMARY_MARKER}\nresult`]);
    expect(gh.calls).toEqual([
      'listIssueComments',
      'createIssueComment',
      'updateIssueComment',
      'listIssueComments',
      'createIssueComment',
    ]);
  });
});
