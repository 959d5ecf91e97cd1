/**
 * End-to-end, the fork-safe pattern's trusted half: the bundled action on a `workflow_run` event whose
 * triggering `pull_request` run came from a fork (`workflow_run.pull_requests` is empty, as GitHub sends
 * it for forks) finds the pull request through GitHub's API, verifies it (open, this base, the fork as
 * head repository, the exact head commit) and posts the review and summary comment on it. A head that
 * moved since the triggering run is refused with the reason, and nothing is posted. The GitHub fake
 * checks every request against GitHub's OpenAPI description.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { createPullRepo, git, type PullRepo } from './support/index.mjs';
import {
  DEFAULT_BASE,
  DEFAULT_HEAD,
  leaks,
  OWNER,
  PR_NUMBER,
  REPO,
  scenarios,
  structured,
} from './support/scenario.js';

const go = scenarios();
const FORK = 'mallory/widgets';
const repos: PullRepo[] = [];
afterEach(() => {
  while (repos.length) repos.pop()!.cleanup();
});

/** A workflow_run payload as GitHub sends it when "claude-guard trigger" completes for a fork's PR. */
function workflowRun(headSha: string) {
  return {
    name: 'workflow_run',
    payload: {
      action: 'completed',
      number: undefined,
      pull_request: undefined,
      sender: { login: 'mallory', type: 'User' },
      workflow_run: {
        id: 4242,
        name: 'claude-guard trigger',
        event: 'pull_request',
        status: 'completed',
        conclusion: 'success',
        head_sha: headSha,
        head_branch: 'feature',
        head_repository: { full_name: FORK, owner: { login: 'mallory' } },
        repository: { full_name: `${OWNER}/${REPO}` },
        pull_requests: [],
      },
    },
  };
}

const finding = {
  path: 'src/app.js',
  line: 18,
  severity: 'medium',
  category: 'correctness',
  title: 'Division by zero',
  body: '`div(a, 0)` returns Infinity; check the divisor.',
};

describe('workflow_run (fork-safe review)', () => {
  test('a fork’s pull request is found, verified and reviewed: the review and summary land on it', async () => {
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    repos.push(repo);
    const s = await go({
      repo,
      event: workflowRun(repo.headSha),
      pr: { headRepo: FORK },
      collaborators: { mallory: 'read' },
      inputs: { 'allow-untrusted-pr': 'true' },
      script: [structured([finding], 'One problem.')],
    });
    expect(s.run.errors).toEqual([]);
    expect(s.run.main.code).toBe(0);
    expect(s.github.failures).toEqual([]);
    // Looked up by the fork's head branch, then reviewed from the checkout (the PR's head commit).
    const list = s.github.requests.find((r) => r.operationId === 'pulls/list');
    expect(new URL(list!.url, s.github.url).searchParams.get('head')).toBe('mallory:feature');
    expect(s.run.log).toMatch(
      new RegExp(`reviewing pull request #${PR_NUMBER} at ${repo.headSha} \\(verified\\)`),
    );
    expect(s.run.outputs.conclusion).toBe('findings');
    expect(s.github.state.reviews).toHaveLength(1);
    expect(s.github.state.reviews[0].commit_id).toBe(repo.headSha);
    expect(s.github.state.reviewComments.map((c) => [c.path, c.line])).toEqual([['src/app.js', 18]]);
    const summary = s.github.state.issueComments.map((c) => c.body).join('\n');
    expect(summary).toContain('Division by zero');
    // The run was untrusted: strict isolation when the machine offers it, and nothing leaked.
    if (process.getuid?.() === 0) expect(s.run.outputs.isolation).toBe('strict');
    expect(leaks(s)).toEqual([]);
    expect(s.run.post.code).toBe(0);
  });

  test('a head that moved since the triggering run is refused with the reason; nothing is reviewed or posted', async () => {
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    repos.push(repo);
    const stale = repo.baseSha; // any commit that is not the pull request's head
    const s = await go({
      repo,
      event: workflowRun(stale),
      pr: { headRepo: FORK },
      collaborators: { mallory: 'read' },
      inputs: { 'allow-untrusted-pr': 'true' },
      script: [structured([finding])],
    });
    expect(s.run.main.code).toBe(0);
    expect(s.run.outputs.conclusion).toBe('skipped');
    expect(s.run.log).toMatch(
      new RegExp(
        `::notice::.*refused to review: no pull request matches the triggering run: the head of pull request #${PR_NUMBER} is now ${repo.headSha.slice(0, 12)}, not ${stale.slice(0, 12)}`,
      ),
    );
    expect(s.model.requests).toHaveLength(0);
    expect(s.github.state.reviews).toHaveLength(0);
    expect(s.github.state.issueComments).toHaveLength(0);
    expect(s.github.failures).toEqual([]);
    expect(s.run.post.code).toBe(0);
  });

  test('a checkout of the default branch instead of the head fails, saying how to check out; nothing is posted', async () => {
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    repos.push(repo);
    git(repo.dir, ['checkout', '-q', '--detach', repo.baseSha]); // what a workflow_run job starts on
    const s = await go({
      repo,
      event: workflowRun(repo.headSha),
      pr: { headRepo: FORK },
      collaborators: { mallory: 'read' },
      inputs: { 'allow-untrusted-pr': 'true' },
      script: [structured([finding])],
    });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.outputs.conclusion).toBe('failed');
    expect(s.run.errors.join('\n')).toMatch(
      new RegExp(
        `workspace is at ${repo.baseSha.slice(0, 12)}, not at the head of pull request #${PR_NUMBER}`,
      ),
    );
    expect(s.run.errors.join('\n')).toContain('github.event.workflow_run.head_sha');
    expect(s.model.requests).toHaveLength(0);
    expect(s.github.state.reviews).toHaveLength(0);
    expect(s.github.state.issueComments).toHaveLength(0);
    expect(s.run.post.code).toBe(0);
  });
});
