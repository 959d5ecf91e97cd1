/**
 * The run's GitHub context, read from the runner's environment and event payload: repository, API
 * base (GITHUB_API_URL, so GHES works), workspace, and the pull request when there is one. Pure
 * given its inputs; a missing or malformed value fails with a message that names it.
 */
import { readFileSync } from 'node:fs';

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  /** `owner/name` of the head repository (differs from the base for fork PRs). */
  headRepo: string;
  /** The PR's branch (`head.ref`), where `fix-delivery: push` commits. */
  headRef: string;
  /** Untrusted text: the PR author wrote it. Sanitised before it goes anywhere near the prompt. */
  title: string;
  body: string;
  /** `changed_files` as GitHub counts them (to tell when a file list was truncated). */
  changedFiles?: number;
}

export interface RunContext {
  eventName: string;
  repository: string;
  owner: string;
  repo: string;
  apiUrl: string;
  serverUrl: string;
  /** Host of the GitHub web UI (github.com or the GHES host): links to it stay clickable in posts. */
  githubHost: string;
  workspace: string;
  runnerTemp: string;
  actor: string;
  /** The event payload as the runner wrote it (untrusted fields included). */
  payload: unknown;
  pull?: PullRequestRef;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set: run claude-guard as a step of a GitHub Actions job`);
  return v;
}

export function parsePullRequest(payload: unknown, repository: string): PullRequestRef | undefined {
  const pr = (payload as { pull_request?: Record<string, unknown> } | null)?.pull_request as
    | {
        number?: unknown;
        changed_files?: unknown;
        title?: unknown;
        body?: unknown;
        base?: { sha?: unknown };
        head?: { sha?: unknown; ref?: unknown; repo?: { full_name?: unknown } | null };
      }
    | undefined;
  if (!pr) return undefined;
  const [owner, repo] = repository.split('/');
  if (typeof pr.number !== 'number' || typeof pr.base?.sha !== 'string' || typeof pr.head?.sha !== 'string') {
    throw new Error(
      'the event payload (GITHUB_EVENT_PATH) has a pull_request without number, base.sha or head.sha',
    );
  }
  const headRepo = typeof pr.head.repo?.full_name === 'string' ? pr.head.repo.full_name : '';
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    owner,
    repo,
    number: pr.number,
    baseSha: pr.base.sha,
    headSha: pr.head.sha,
    headRepo,
    headRef: text(pr.head.ref),
    title: text(pr.title),
    body: text(pr.body),
    ...(typeof pr.changed_files === 'number' ? { changedFiles: pr.changed_files } : {}),
  };
}

export function readRunContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const repository = required(env, 'GITHUB_REPOSITORY');
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new Error(`GITHUB_REPOSITORY '${repository}' is not owner/name`);
  const [owner, repo] = repository.split('/');
  const serverUrl = env.GITHUB_SERVER_URL || 'https://github.com';
  let payload: unknown = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch (e) {
      throw new Error(
        `GITHUB_EVENT_PATH (${env.GITHUB_EVENT_PATH}) is not a readable JSON event payload: ${(e as Error).message}`,
      );
    }
  }
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    repository,
    owner,
    repo,
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl,
    githubHost: new URL(serverUrl).host,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    runnerTemp: required(env, 'RUNNER_TEMP'),
    actor: env.GITHUB_ACTOR ?? '',
    payload,
    pull: parsePullRequest(payload, repository),
  };
}

/**
 * Why the event payload cannot be read, or undefined when it can (or there is none). Checked before any
 * module that reads the payload at import (@actions/github does) is loaded, so a malformed payload is a
 * clear error, not a stack trace.
 */
export function unreadablePayload(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env.GITHUB_EVENT_PATH;
  if (!file) return undefined;
  try {
    const payload: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      return `GITHUB_EVENT_PATH (${file}) does not hold a JSON object`;
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // @actions/github tolerates it too
    return `GITHUB_EVENT_PATH (${file}) is not a readable JSON event payload: ${(e as Error).message}`;
  }
}
