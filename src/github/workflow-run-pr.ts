/**
 * The pull request a `workflow_run` run reviews: the trusted half of the fork-safe pattern (threat model
 * X7). The triggering `pull_request` run had no secrets and a read-only token; this run has the key and a
 * token that can comment, so WHICH pull request it reviews and posts on comes from GitHub's record, never
 * from anything the pull request's side controls (an artifact, the triggering workflow's own files).
 *
 * Candidates: the numbers in `workflow_run.pull_requests` (GitHub lists same-repository pull requests
 * there; for a fork the list is empty), else the open pull requests whose head is the triggering run's
 * head branch in its head repository. Each is checked against GitHub (`checkPull`, pure): open, its base
 * repository this one, its head repository the triggering run's, its head commit exactly the run's
 * `head_sha` (a newer push has its own run). Exactly one must pass. Then the checkout must be that head
 * commit: a `workflow_run` job starts on the default branch, and reviewing that would post a review of
 * the wrong code on the pull request.
 */
import type { PullRequestRef } from '../context.js';
import type { GitHubPort, PullDetails } from './client.js';

/** What the `workflow_run` payload says about the run that triggered this one. */
export interface TriggeringRun {
  /** The triggering run's event ('pull_request', 'push', …). */
  event: string;
  headSha: string;
  /** The head branch (text the pull request's author chose: only ever a query value). */
  headBranch: string;
  /** `owner/name` of the head repository; null when it was deleted. */
  headRepo: string | null;
  /** `workflow_run.pull_requests[].number` (same-repository pull requests only). */
  listed: number[];
}

/** The pull request cannot be verified against GitHub: nothing is reviewed and nothing is posted. */
export class PullNotVerified extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PullNotVerified';
  }
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const short = (sha: string) => sha.slice(0, 12);
const same = (a: string | null | undefined, b: string | null | undefined) =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

/** Pure: the triggering run from the event payload; a missing or malformed field is an error naming it. */
export function readTriggeringRun(payload: unknown): TriggeringRun {
  const run = (payload as { workflow_run?: Record<string, unknown> } | null)?.workflow_run;
  if (!run || typeof run !== 'object')
    throw new Error('the workflow_run event payload (GITHUB_EVENT_PATH) has no workflow_run object');
  const text = (name: string) => {
    const v = run[name];
    if (typeof v !== 'string' || v === '')
      throw new Error(`the workflow_run event payload has no workflow_run.${name}`);
    return v;
  };
  const headSha = text('head_sha');
  if (!SHA.test(headSha)) throw new Error('the workflow_run event payload has a malformed head_sha');
  const head = run.head_repository as { full_name?: unknown } | null | undefined;
  const listed = Array.isArray(run.pull_requests)
    ? run.pull_requests
        .map((p) => (p as { number?: unknown } | null)?.number)
        .filter((n): n is number => Number.isSafeInteger(n) && (n as number) > 0)
    : [];
  return {
    event: text('event'),
    headSha,
    headBranch: typeof run.head_branch === 'string' ? run.head_branch : '',
    headRepo: typeof head?.full_name === 'string' ? head.full_name : null,
    listed: [...new Set(listed)],
  };
}

/** Pure: why `pull` is not the pull request `run` ran on (undefined when it is). */
export function checkPull(run: TriggeringRun, pull: PullDetails, repository: string): string | undefined {
  const which = `pull request #${pull.number}`;
  if (!same(pull.baseRepo, repository)) return `${which} is not a pull request into ${repository}`;
  if (pull.state !== 'open') return `${which} is ${pull.state}, not open`;
  if (pull.headSha !== run.headSha)
    return `the head of ${which} is now ${short(pull.headSha)}, not ${short(run.headSha)}, the commit the triggering run ran on (a newer push is reviewed by its own run)`;
  if (pull.headRepo === null) return `the head repository of ${which} no longer exists`;
  if (!same(pull.headRepo, run.headRepo))
    return `the head of ${which} is in ${pull.headRepo}, not in ${run.headRepo ?? 'a deleted repository'} where the triggering run ran`;
  return undefined;
}

/** Pure: the one candidate that passes `checkPull`, or why there is none. */
export function choosePull(
  run: TriggeringRun,
  candidates: readonly PullDetails[],
  repository: string,
): { pull: PullDetails } | { refuse: string } {
  const unique = [...new Map(candidates.map((p) => [p.number, p])).values()];
  const verdicts = unique.map((pull) => ({ pull, why: checkPull(run, pull, repository) }));
  const passed = verdicts.filter((v) => v.why === undefined);
  if (passed.length === 1) return { pull: passed[0].pull };
  if (passed.length > 1)
    return {
      refuse: `more than one open pull request has the head commit ${short(run.headSha)} (${passed.map((v) => `#${v.pull.number}`).join(', ')}); claude-guard reviews one pull request per run`,
    };
  if (verdicts.length)
    return { refuse: `no pull request matches the triggering run: ${verdicts.map((v) => v.why).join('; ')}` };
  return {
    refuse: `no open pull request into ${repository} has the head ${run.headRepo ?? '(a deleted repository)'}:${run.headBranch} at ${short(run.headSha)}`,
  };
}

export interface WorkflowRunPorts {
  github: Pick<GitHubPort, 'getPull' | 'listOpenPullsByHead'>;
  /** The commit checked out in the workspace (`git rev-parse HEAD`). */
  headCommit(): Promise<string>;
}

/**
 * The verified pull request of a `workflow_run` event, or undefined when the triggering run was not a
 * pull request's (then nothing is looked up). Throws PullNotVerified when no pull request passes, and a
 * plain Error when the checkout is not the pull request's head commit (a workflow to fix).
 */
export async function resolveWorkflowRunPull(
  payload: unknown,
  repository: string,
  ports: WorkflowRunPorts,
): Promise<PullRequestRef | undefined> {
  const run = readTriggeringRun(payload);
  if (run.event !== 'pull_request') return undefined;
  const [owner, repo] = repository.split('/');
  const candidates: PullDetails[] = [];
  for (const number of run.listed) {
    const pull = await ports.github.getPull({ owner, repo, number });
    if (pull) candidates.push(pull);
  }
  if (
    !candidates.some((p) => checkPull(run, p, repository) === undefined) &&
    run.headRepo &&
    run.headBranch
  ) {
    const headOwner = run.headRepo.split('/')[0];
    candidates.push(
      ...(await ports.github.listOpenPullsByHead({ owner, repo }, `${headOwner}:${run.headBranch}`)),
    );
  }
  const chosen = choosePull(run, candidates, repository);
  if ('refuse' in chosen) throw new PullNotVerified(chosen.refuse);
  const pull = chosen.pull;
  const checkedOut = (await ports.headCommit()).trim();
  if (checkedOut !== pull.headSha) {
    throw new Error(
      `The workspace is at ${short(checkedOut) || '(no commit)'}, not at the head of pull request #${pull.number} (${short(pull.headSha)}): on workflow_run, check it out with actions/checkout 'ref: \${{ github.event.workflow_run.head_sha }}', 'fetch-depth: 0' and 'persist-credentials: false' (the job starts on the default branch, and a review of that would be posted on the pull request).`,
    );
  }
  return {
    owner,
    repo,
    number: pull.number,
    baseSha: pull.baseSha,
    headSha: pull.headSha,
    headRepo: pull.headRepo ?? '',
    headRef: pull.headRef,
    title: pull.title,
    body: pull.body,
    ...(pull.changedFiles !== undefined ? { changedFiles: pull.changedFiles } : {}),
  };
}
