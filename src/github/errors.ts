/**
 * What a failed GitHub call means: the workflow permission each operation needs, and the errors a call
 * ends in. `call` turns GitHub's 403 "Resource not accessible by integration" (GraphQL: an error of type
 * FORBIDDEN) into a GitHubPermissionError that names the missing permission, and anything else into a
 * GitHubApiError naming the operation and the HTTP status (never the token: threat model X3).
 */
import type { RepoRef } from './port.js';

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

export function statusOf(error: unknown): number | undefined {
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
