/**
 * The GitHub calls only an on-demand run makes (a `/review` comment, a label): the pull request and the
 * triggering comment as they are now, and a reply in a review thread. Kept beside client.ts, which spreads
 * them into its port; `call` is client.ts's error mapping (403 → the missing permission named).
 */
import type { getOctokit } from '@actions/github';

type Octokit = ReturnType<typeof getOctokit>;
type Ref = { owner: string; repo: string };
type Pull = Ref & { number: number };

export type OnDemandOperation =
  'read the pull request' | 'read the triggering comment' | 'reply in a review thread';

type Call = <T>(operation: OnDemandOperation, fn: () => Promise<T>) => Promise<T>;

/** One comment as the API reports it now (re-read to check the triggering comment was not edited). */
export interface CommentSnapshot {
  id: number;
  body: string;
  author: string;
  authorType: string;
  createdAt: string;
  updatedAt: string;
}

/** A pull request as the API reports it now (GET pulls/{n}). */
export interface PullRequestInfo {
  number: number;
  state: string;
  headSha: string;
  baseSha: string;
  /** `owner/name` of the head repository ('' when it was deleted). */
  headRepo: string;
  headRef: string;
  baseRepo: string;
  title: string;
  body: string;
  changedFiles?: number;
}

interface RawComment {
  id: number;
  body?: string | null;
  user?: { login?: string; type?: string } | null;
  created_at: string;
  updated_at: string;
}

const snapshot = (c: RawComment): CommentSnapshot => ({
  id: c.id,
  body: c.body ?? '',
  author: c.user?.login ?? '',
  authorType: c.user?.type ?? '',
  createdAt: c.created_at,
  updatedAt: c.updated_at,
});

export function onDemandMethods(octokit: Octokit, call: Call) {
  return {
    getPull: (pr: Pull): Promise<PullRequestInfo> =>
      call('read the pull request', async () => {
        const { data } = await octokit.rest.pulls.get({
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
        });
        return {
          number: data.number,
          state: data.state,
          headSha: data.head.sha,
          baseSha: data.base.sha,
          headRepo: data.head.repo?.full_name ?? '',
          headRef: data.head.ref,
          baseRepo: data.base.repo.full_name,
          title: data.title,
          body: data.body ?? '',
          ...(typeof data.changed_files === 'number' ? { changedFiles: data.changed_files } : {}),
        };
      }),

    getIssueComment: (repo: Ref, id: number): Promise<CommentSnapshot> =>
      call('read the triggering comment', async () => {
        const { data } = await octokit.rest.issues.getComment({ ...repo, comment_id: id });
        return snapshot(data);
      }),

    getReviewComment: (repo: Ref, id: number): Promise<CommentSnapshot> =>
      call('read the triggering comment', async () => {
        const { data } = await octokit.rest.pulls.getReviewComment({ ...repo, comment_id: id });
        return snapshot(data);
      }),

    replyToReviewComment: (pr: Pull, commentId: number, body: string) =>
      call('reply in a review thread', async () => {
        const { data } = await octokit.rest.pulls.createReplyForReviewComment({
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
          comment_id: commentId,
          body,
        });
        return { id: data.id, url: data.html_url };
      }),
  };
}
