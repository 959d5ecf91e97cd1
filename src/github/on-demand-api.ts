/**
 * The GitHub calls only an on-demand comment run makes: the triggering comment as it is now, and a reply
 * in a review thread (the pull request itself is client.ts's getPull). Kept beside client.ts, which
 * spreads them into its port; `call` is errors.ts's error mapping (403 → the missing permission named).
 */
import type { getOctokit } from '@actions/github';

type Octokit = ReturnType<typeof getOctokit>;
type Ref = { owner: string; repo: string };
type Pull = Ref & { number: number };

export type OnDemandOperation = 'read the triggering comment' | 'reply in a review thread';

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
