/**
 * The only place that talks to GitHub. `GitHubPort` is the small interface the rest of the action
 * uses (plain typed objects in and out); `createGitHub` implements it on Octokit with bounded retries
 * on 5xx and on rate limits (after the wait GitHub names, with no fixed spacing between requests: see
 * rate-limit.ts), and turns GitHub's 403 "Resource not accessible by integration" (GraphQL: an
 * error of type FORBIDDEN) into a GitHubPermissionError that names the missing workflow permission. The token lives only inside the
 * Octokit instance; it is never given to the agent (threat model S1) nor put in an error message (X3).
 */
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { paginateGraphQL } from '@octokit/plugin-paginate-graphql';
import { retry } from '@octokit/plugin-retry';
import type { Octokit } from '@octokit/core';
import { rateLimitPlugin, type RateLimitKind } from './rate-limit.js';
import { onDemandMethods, type CommentSnapshot } from './on-demand-api.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface PullRef extends RepoRef {
  number: number;
}

export interface PullFile {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  /** Unified diff of the file; absent for binary or very large files. */
  patch?: string;
  previous_filename?: string;
}

export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

export interface ReviewRequest {
  body: string;
  event: 'COMMENT';
  commit_id: string;
  comments: ReviewComment[];
}

export interface IssueComment {
  id: number;
  body: string;
  /** Login of the author ('' for a deleted account). */
  author: string;
  /** 'User', 'Bot', 'Organization' … ('' when unknown). */
  authorType: string;
  /** OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE … */
  authorAssociation: string;
  /** ISO time the comment was created ('' when unknown). */
  createdAt?: string;
}

export type { CommentSnapshot } from './on-demand-api.js';

/** An inline comment already on the pull request (GET pulls/{n}/comments). */
export interface PostedReviewComment {
  id: number;
  body: string;
  path: string;
  /** null when the comment is outdated (its line is no longer in the diff). */
  line: number | null;
  author: string;
  authorType: string;
  authorAssociation: string;
  nodeId?: string;
  createdAt?: string;
}

/** A review thread (GraphQL), identified by its node id and by the REST id of its first comment. */
export interface ReviewThread {
  id: string;
  isResolved: boolean;
  firstCommentId?: number;
}

/** A collaborator's role on a repository, highest first. */
export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

export interface Posted {
  id: number;
  url: string;
}

/** A pull request as GitHub records it (GET pulls/{n}); the text fields are untrusted (the author wrote them). */
export interface PullDetails {
  number: number;
  /** 'open' or 'closed'. */
  state: string;
  baseSha: string;
  /** `owner/name` of the base repository. */
  baseRepo: string;
  headSha: string;
  headRef: string;
  /** `owner/name` of the head repository; null when it was deleted. */
  headRepo: string | null;
  title: string;
  body: string;
  changedFiles?: number;
}

export interface GitHubPort {
  listPullFiles(pr: PullRef): Promise<PullFile[]>;
  createReview(pr: PullRef, review: ReviewRequest): Promise<Posted>;
  /** Every comment on the pull request's conversation, all pages, oldest first. */
  listIssueComments(pr: PullRef): Promise<IssueComment[]>;
  createIssueComment(pr: PullRef, body: string): Promise<Posted>;
  updateIssueComment(repo: RepoRef, id: number, body: string): Promise<Posted>;
  /** `username`'s role on `repo`; 'none' for someone who is not a collaborator (or does not exist). */
  getCollaboratorPermission(repo: RepoRef, username: string): Promise<RepoPermission>;
  /** Every inline review comment on the pull request, all pages, oldest first. */
  listReviewComments(pr: PullRef): Promise<PostedReviewComment[]>;
  /** Every review thread on the pull request, all pages (GraphQL). */
  listReviewThreads(pr: PullRef): Promise<ReviewThread[]>;
  /** Marks a review thread resolved (GraphQL `resolveReviewThread`). */
  resolveReviewThread(threadId: string): Promise<void>;
  /** A file's text at `ref` (a commit SHA, tag or branch; the default branch when unset). */
  getFileContent(repo: RepoRef, path: string, ref?: string): Promise<string>;
  /** GitHub's record of one pull request; undefined when there is none with that number. */
  getPull(pr: PullRef): Promise<PullDetails | undefined>;
  /** The open pull requests of `repo` whose head is `head` (`owner:branch`), first page (at most 100). */
  listOpenPullsByHead(repo: RepoRef, head: string): Promise<PullDetails[]>;
  /** A conversation comment as it is now (404 → GitHubApiError with status 404). */
  getIssueComment(repo: RepoRef, id: number): Promise<CommentSnapshot>;
  /** An inline review comment as it is now. */
  getReviewComment(repo: RepoRef, id: number): Promise<CommentSnapshot>;
  /** A reply in the review thread of comment `commentId`. */
  replyToReviewComment(pr: PullRef, commentId: number, body: string): Promise<Posted>;
}

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

export type Operation =
  | 'read the triggering comment'
  | 'reply in a review thread'
  | 'list the pull request files'
  | 'create a review'
  | 'list comments'
  | 'create a comment'
  | 'update a comment'
  | "read the actor's repository permission"
  | 'list review comments'
  | 'list review threads'
  | 'resolve a review thread'
  | 'read the policy file'
  | 'read the pull request'
  | 'list pull requests';

/** The workflow permission each operation needs. */
const PERMISSION: Record<Operation, string> = {
  'read the triggering comment': 'pull-requests: read',
  'reply in a review thread': 'pull-requests: write',
  'list the pull request files': 'pull-requests: read',
  'create a review': 'pull-requests: write',
  'list comments': 'pull-requests: read',
  'create a comment': 'pull-requests: write',
  'update a comment': 'pull-requests: write',
  // The endpoint needs only repository metadata, which every workflow token can read.
  "read the actor's repository permission": 'contents: read',
  'list review comments': 'pull-requests: read',
  'list review threads': 'pull-requests: read',
  'resolve a review thread': 'pull-requests: write',
  'read the policy file': 'contents: read',
  'read the pull request': 'pull-requests: read',
  'list pull requests': 'pull-requests: read',
};

const PERMISSIONS: readonly RepoPermission[] = ['admin', 'maintain', 'write', 'triage', 'read', 'none'];
const asPermission = (value: unknown): RepoPermission | undefined => PERMISSIONS.find((p) => p === value);

/** GitHub refused an operation because the token lacks a permission; the message says what to add. */
export class GitHubPermissionError extends Error {
  constructor(
    readonly operation: string,
    readonly permission: string,
  ) {
    super(
      `GitHub refused to ${operation} (HTTP 403 "Resource not accessible"): the token lacks the ` +
        `\`${permission}\` permission. Add it to the job (or workflow) that runs claude-guard:\n` +
        `  permissions:\n    contents: read\n    pull-requests: write\n` +
        `If you pass your own token (input github-token), grant it the same permission. Note that on ` +
        `the pull_request event a pull request from a fork always gets a read-only token.`,
    );
    this.name = 'GitHubPermissionError';
  }
}

/** Any other failed GitHub call, naming the operation and the HTTP status. */
export class GitHubApiError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`GitHub API: could not ${operation}${status ? ` (HTTP ${status})` : ''}: ${detail}`);
    this.name = 'GitHubApiError';
  }
}

/** What a 404 from the contents API means, for the real client and the fake alike. */
export function missingFileDetail(repo: RepoRef, path: string, ref?: string): string {
  return (
    `${repo.owner}/${repo.repo}/${path} was not found at ${ref ? `ref ${ref}` : 'the default branch'}: check the ` +
    `path and ref, and that github-token can read ${repo.owner}/${repo.repo} (GitHub answers 404 for a ` +
    `private repository the token cannot see)`
  );
}

interface PullData {
  number: number;
  state: string;
  title: string;
  body?: string | null;
  changed_files?: number;
  base: { sha: string; repo: { full_name: string } };
  head: { sha: string; ref: string; repo: { full_name: string } | null };
}

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

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** GraphQL answers a missing permission with HTTP 200 and an error of type FORBIDDEN. */
function graphqlForbidden(error: unknown): boolean {
  const errors = (error as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => (e as { type?: unknown } | null)?.type === 'FORBIDDEN');
}

export async function call<T>(operation: Operation, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = statusOf(error);
    const message = error instanceof Error ? error.message : String(error);
    if ((status === 403 && /Resource not accessible by/i.test(message)) || graphqlForbidden(error)) {
      throw new GitHubPermissionError(operation, PERMISSION[operation]);
    }
    throw new GitHubApiError(operation, status, message);
  }
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
        return comments.map((c) => ({
          id: c.id,
          body: c.body ?? '',
          author: c.user?.login ?? '',
          authorType: c.user?.type ?? '',
          authorAssociation: c.author_association,
          createdAt: c.created_at,
        }));
      }),

    createIssueComment: (pr, body) =>
      call('create a comment', async () => {
        const { data } = await octokit.rest.issues.createComment({
          owner: pr.owner,
          repo: pr.repo,
          issue_number: pr.number,
          body,
        });
        return { id: data.id, url: data.html_url };
      }),

    updateIssueComment: (repo, id, body) =>
      call('update a comment', async () => {
        const { data } = await octokit.rest.issues.updateComment({
          owner: repo.owner,
          repo: repo.repo,
          comment_id: id,
          body,
        });
        return { id: data.id, url: data.html_url };
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
