/**
 * The only place that talks to GitHub: `createGitHub` implements the GitHubPort (port.ts) on Octokit
 * with bounded retries on 5xx and on rate limits (after the wait GitHub names, with no fixed spacing
 * between requests: see rate-limit.ts); every call goes through errors.ts's `call`, which names the
 * missing workflow permission on a refusal. The token lives only inside the Octokit instance; it is
 * never given to the agent (threat model S1) nor put in an error message (X3).
 */
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { paginateGraphQL } from '@octokit/plugin-paginate-graphql';
import { retry } from '@octokit/plugin-retry';
import type { Octokit } from '@octokit/core';
import { rateLimitPlugin, type RateLimitKind } from './rate-limit.js';
import { onDemandMethods } from './on-demand-api.js';
import type { GitHubPort, IssueComment, PullDetails, RepoPermission } from './port.js';
import { call, missingFileDetail, statusOf } from './errors.js';

// The port's types and the errors, for the many callers that import them from here.
export type * from './port.js';
export { GitHubApiError, GitHubPermissionError, missingFileDetail } from './errors.js';

export interface Logger {
  warn(message: string): void;
}

export interface GitHubOptions {
  token: string;
  /** GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server. */
  baseUrl: string;
  userAgent?: string;
  log?: Logger;
  /** Unit of the 5xx retry back-off in ms (attempt n waits n² units). Default 1000; tests use less. */
  retryBaseMs?: number;
  /** How a rate-limit wait is spent, and the clock it is measured on (tests inject both). */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** How many times a 5xx answer is retried. */
export const SERVER_ERROR_RETRIES = 3;
/** How many times a rate-limited request is retried, and the longest wait accepted for one. */
export const RATE_LIMIT_RETRIES = 2;
export const RATE_LIMIT_MAX_WAIT_S = 60;
/**
 * The 5xx retry (plugin-retry) leaves every 4xx alone: a refused request only repeats the refusal, and a
 * rate limit (403/429) is retried by the rate-limit plugin after the time GitHub asks for.
 */
const DO_NOT_RETRY = Array.from({ length: 100 }, (_, i) => 400 + i);

const PERMISSIONS: readonly RepoPermission[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
const asPermission = (value: unknown): RepoPermission | undefined => PERMISSIONS.find((p) => p === value);

interface PullData {
  number: number;
  state: string;
  title: string;
  body?: string | null;
  changed_files?: number;
  base: { sha: string; repo: { full_name: string } };
  head: { sha: string; ref: string; repo: { full_name: string } | null };
}

interface IssueCommentData {
  id: number;
  body?: string | null;
  user?: { login?: string; type?: string } | null;
  author_association: string;
  created_at: string;
}

/** GitHub's issue comment object → IssueComment (the same shape whether listed, created or updated). */
const issueComment = (c: IssueCommentData): IssueComment => ({
  id: c.id,
  body: c.body ?? '',
  author: c.user?.login ?? '',
  authorType: c.user?.type ?? '',
  authorAssociation: c.author_association,
  createdAt: c.created_at,
});

/** GitHub's pull request object (full or simple) → PullDetails. */
function pullDetails(p: PullData): PullDetails {
  return {
    number: p.number,
    state: p.state,
    baseSha: p.base.sha,
    baseRepo: p.base.repo.full_name,
    headSha: p.head.sha,
    headRef: p.head.ref,
    headRepo: p.head.repo?.full_name ?? null,
    title: p.title,
    body: p.body ?? '',
    ...(typeof p.changed_files === 'number' ? { changedFiles: p.changed_files } : {}),
  };
}

/** An Octokit plugin registered before the retry plugin, so it sees every failed attempt. */
function attemptLogger(log: Logger) {
  return (octokit: Octokit) => {
    octokit.hook.error('request', (error, options) => {
      const status = statusOf(error);
      if (status === undefined || status >= 500) {
        log.warn(`GitHub API ${options.method} ${options.url}: ${status ? `HTTP ${status}` : error.message}`);
      }
      throw error;
    });
  };
}

/** Paged by @octokit/plugin-paginate-graphql: it follows `$cursor` through `pageInfo` and joins the nodes. */
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

export function createGitHub(opts: GitHubOptions): GitHubPort {
  const log = opts.log ?? { warn: (m: string) => core.warning(m) };
  const onLimit = (
    kind: RateLimitKind,
    seconds: number,
    request: { method: string; url: string },
    retryCount: number,
  ): boolean => {
    const again = retryCount < RATE_LIMIT_RETRIES && seconds <= RATE_LIMIT_MAX_WAIT_S;
    log.warn(
      `GitHub API ${kind} rate limit on ${request.method} ${request.url}: ` +
        (again ? `retrying in ${seconds}s` : 'giving up'),
    );
    return again;
  };
  const octokit = getOctokit(
    opts.token,
    {
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
      userAgent: opts.userAgent ?? 'claude-guard',
      log: {
        debug: () => {},
        info: () => {},
        warn: (m: string) => log.warn(m),
        error: (m: string) => log.warn(m),
      },
      retry: {
        retries: SERVER_ERROR_RETRIES,
        doNotRetry: DO_NOT_RETRY,
        retryAfterBaseValue: opts.retryBaseMs ?? 1000,
      },
    },
    attemptLogger(log),
    retry,
    rateLimitPlugin({
      onLimit,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    }),
  );

  const { graphql } = paginateGraphQL(octokit);

  return {
    ...onDemandMethods(octokit, call),
    listPullFiles: (pr) =>
      call('list the pull request files', async () => {
        const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
          per_page: 100,
        });
        return files.map((f) => ({
          filename: f.filename,
          status: f.status,
          additions: f.additions,
          deletions: f.deletions,
          ...(f.patch !== undefined ? { patch: f.patch } : {}),
          ...(f.previous_filename !== undefined ? { previous_filename: f.previous_filename } : {}),
        }));
      }),

    createReview: (pr, review) =>
      call('create a review', async () => {
        const { data } = await octokit.rest.pulls.createReview({
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
          ...review,
        });
        return { id: data.id, url: data.html_url };
      }),

    listIssueComments: (pr) =>
      call('list comments', async () => {
        const comments = await octokit.paginate(octokit.rest.issues.listComments, {
          owner: pr.owner,
          repo: pr.repo,
          issue_number: pr.number,
          per_page: 100,
        });
        return comments.map(issueComment);
      }),

    createIssueComment: (pr, body) =>
      call('create a comment', async () => {
        const { data } = await octokit.rest.issues.createComment({
          owner: pr.owner,
          repo: pr.repo,
          issue_number: pr.number,
          body,
        });
        return { id: data.id, url: data.html_url, comment: issueComment(data) };
      }),

    updateIssueComment: (repo, id, body) =>
      call('update a comment', async () => {
        const { data } = await octokit.rest.issues.updateComment({
          owner: repo.owner,
          repo: repo.repo,
          comment_id: id,
          body,
        });
        return { id: data.id, url: data.html_url, comment: issueComment(data) };
      }),

    getCollaboratorPermission: (repo, username) =>
      call("read the actor's repository permission", async () => {
        try {
          const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
            owner: repo.owner,
            repo: repo.repo,
            username,
          });
          // role_name names custom roles too; those fall back to their legacy base `permission`.
          // Anything unrecognised counts as no access.
          return asPermission(data.role_name) ?? asPermission(data.permission) ?? 'none';
        } catch (error) {
          if (statusOf(error) === 404) return 'none';
          throw error;
        }
      }),

    listReviewComments: (pr) =>
      call('list review comments', async () => {
        const comments = await octokit.paginate(octokit.rest.pulls.listReviewComments, {
          owner: pr.owner,
          repo: pr.repo,
          pull_number: pr.number,
          per_page: 100,
        });
        return comments.map((c) => ({
          id: c.id,
          body: c.body,
          path: c.path,
          line: c.line ?? null,
          author: c.user?.login ?? '',
          authorType: c.user?.type ?? '',
          authorAssociation: c.author_association,
          ...(c.node_id ? { nodeId: c.node_id } : {}),
          createdAt: c.created_at,
        }));
      }),

    listReviewThreads: (pr) =>
      call('list review threads', async () => {
        let all: ReviewThreadsPage;
        try {
          all = await graphql.paginate<ReviewThreadsPage>(REVIEW_THREADS_QUERY, {
            owner: pr.owner,
            repo: pr.repo,
            number: pr.number,
          });
        } catch (error) {
          // A null repository or pull request has no pageInfo for the plugin to follow.
          if ((error as Error).name === 'MissingPageInfo')
            throw new Error(`pull request ${pr.owner}/${pr.repo}#${pr.number} not found`);
          throw error;
        }
        const connection = all.repository?.pullRequest?.reviewThreads;
        if (!connection) throw new Error(`pull request ${pr.owner}/${pr.repo}#${pr.number} not found`);
        return connection.nodes.map((t) => {
          const first = t.comments.nodes[0]?.databaseId;
          return { id: t.id, isResolved: t.isResolved, ...(first ? { firstCommentId: first } : {}) };
        });
      }),

    resolveReviewThread: (threadId) =>
      call('resolve a review thread', async () => {
        await octokit.graphql(RESOLVE_THREAD_MUTATION, { threadId });
      }),

    getPull: (pr) =>
      call('read the pull request', async () => {
        try {
          const { data } = await octokit.rest.pulls.get({
            owner: pr.owner,
            repo: pr.repo,
            pull_number: pr.number,
          });
          return pullDetails(data);
        } catch (error) {
          if (statusOf(error) === 404) return undefined;
          throw error;
        }
      }),

    listOpenPullsByHead: (repo, head) =>
      call('list pull requests', async () => {
        const { data } = await octokit.rest.pulls.list({
          owner: repo.owner,
          repo: repo.repo,
          state: 'open',
          head,
          per_page: 100,
        });
        return data.map(pullDetails);
      }),

    getFileContent: (repo, path, ref) =>
      call('read the policy file', async () => {
        const where = `${repo.owner}/${repo.repo}/${path}${ref ? `@${ref}` : ''}`;
        // Each segment encoded, the slashes kept: the documented form of the path (octokit's {path}
        // would send them as %2F).
        const encoded = path.split('/').map(encodeURIComponent).join('/');
        let data: unknown;
        try {
          ({ data } = await octokit.request(`GET /repos/{owner}/{repo}/contents/${encoded}`, {
            owner: repo.owner,
            repo: repo.repo,
            ...(ref ? { ref } : {}),
          }));
        } catch (error) {
          if (statusOf(error) === 404) {
            throw Object.assign(new Error(missingFileDetail(repo, path, ref)), { status: 404 });
          }
          throw error;
        }
        const file = data as { type?: unknown; encoding?: unknown; content?: unknown };
        if (Array.isArray(data) || file.type !== 'file') throw new Error(`${where} is not a file`);
        if (file.encoding !== 'base64' || typeof file.content !== 'string') {
          throw new Error(`${where} is too large for the contents API (over 1 MB)`);
        }
        return Buffer.from(file.content, 'base64').toString('utf8');
      }),
  };
}
