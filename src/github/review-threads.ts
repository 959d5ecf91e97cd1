/**
 * The review-thread operations, the only GraphQL the action sends: list every thread of a pull request
 * (paged by @octokit/plugin-paginate-graphql, which follows `$cursor` through `pageInfo` and joins the
 * nodes) and resolve one. client.ts wraps both in its error handling (a FORBIDDEN answer names the
 * missing permission).
 */

/** A review thread (GraphQL), identified by its node id and by the REST id of its first comment. */
export interface ReviewThread {
  id: string;
  isResolved: boolean;
  firstCommentId?: number;
}

const REVIEW_THREADS_QUERY = `query ($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;

interface ReviewThreadsPage {
  repository: {
    pullRequest: {
      reviewThreads: {
        nodes: { id: string; isResolved: boolean; comments: { nodes: { databaseId: number | null }[] } }[];
      };
    } | null;
  } | null;
}

const RESOLVE_THREAD_MUTATION = `mutation ($threadId: ID!) {
  resolveReviewThread(input: { threadId: $threadId }) { thread { id isResolved } }
}`;

/** The part of Octokit's `graphql` (with the paginate plugin) these operations use. */
export interface PagedGraphql {
  (query: string, variables?: Record<string, unknown>): Promise<unknown>;
  paginate<T extends object>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function reviewThreads(graphql: PagedGraphql) {
  return {
    async list(pr: { owner: string; repo: string; number: number }): Promise<ReviewThread[]> {
      const missing = () => new Error(`pull request ${pr.owner}/${pr.repo}#${pr.number} not found`);
      let all: ReviewThreadsPage;
      try {
        all = await graphql.paginate<ReviewThreadsPage>(REVIEW_THREADS_QUERY, {
          owner: pr.owner,
          repo: pr.repo,
          number: pr.number,
        });
      } catch (error) {
        // A null repository or pull request has no pageInfo for the plugin to follow.
        if ((error as Error).name === 'MissingPageInfo') throw missing();
        throw error;
      }
      const connection = all.repository?.pullRequest?.reviewThreads;
      if (!connection) throw missing();
      return connection.nodes.map((t) => {
        const first = t.comments.nodes[0]?.databaseId;
        return { id: t.id, isResolved: t.isResolved, ...(first ? { firstCommentId: first } : {}) };
      });
    },

    async resolve(threadId: string): Promise<void> {
      await graphql(RESOLVE_THREAD_MUTATION, { threadId });
    },
  };
}
