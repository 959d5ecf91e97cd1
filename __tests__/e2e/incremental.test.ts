/**
 * End-to-end, incremental review (input `review-scope`): a push after a reviewed one asks the agent —
 * the real CLI against the scripted model — to review only the commits since the recorded head, while
 * findings still land inline anywhere on the pull request's diff; a force-push that dropped the recorded
 * commit falls back to the whole pull request with a notice; `review-scope: full` always reviews the
 * whole pull request.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { git, type GitHubFake, type Script, type ToolResult } from './support/index.mjs';
import { leaks, PR_NUMBER, scenarios, structured, type Scenario } from './support/scenario.js';

const go = scenarios();
const DIFF_ID = 'toolu_incremental_diff';
const MUL = 'export function mul(a, b) {\n  return a * b;\n}\n';

/**
 * A model that does what the prompt asks: runs the `git diff <range>` the prompt names, then answers with
 * `findings`. What it saw (the prompt and the diff's output) is kept for the test.
 */
function reviewer(findings: object[]) {
  const seen: { prompt: string; diff?: ToolResult } = { prompt: '' };
  const script: Script = (_request, ctx) => {
    seen.prompt = ctx.prompt;
    const diff = ctx.toolResults.find((r) => r.tool_use_id === DIFF_ID);
    if (diff) {
      seen.diff = diff;
      return structured(findings);
    }
    const range = /`git diff ([0-9a-f]{40}\.\.\.[0-9a-f]{40})`/.exec(ctx.prompt)?.[1];
    if (!range) return structured([], 'The prompt named no range.');
    return {
      toolUse: {
        id: DIFF_ID,
        name: 'Bash',
        input: { command: `git diff ${range}`, description: 'The change' },
      },
    };
  };
  return { seen, script };
}

const divByZero = {
  path: 'src/app.js',
  line: 18,
  severity: 'high',
  category: 'correctness',
  title: 'Division by zero',
  body: 'Guard b.',
};
/** add()'s body: a context line of the PR's diff, untouched by the later push. */
const addNaN = {
  path: 'src/app.js',
  line: 14,
  severity: 'medium',
  category: 'correctness',
  title: 'add() ignores NaN',
  body: 'Check inputs.',
};
const mulOverflow = {
  path: 'src/mul.js',
  line: 2,
  severity: 'low',
  category: 'correctness',
  title: 'mul() may overflow',
  body: 'Consider BigInt.',
};

const short = (sha: string) => sha.slice(0, 12);

/** The first review of the PR (whole PR), then a push adding src/mul.js. */
async function reviewedThenPushed(): Promise<{ first: Scenario; reviewedHead: string }> {
  const first = await go({ script: [structured([divByZero])] });
  expect(first.run.main.code).toBe(0);
  const reviewedHead = first.repo.headSha;
  expect(first.github.state.issueComments[0].body).toContain(
    `<!-- claude-guard:reviewed head=${reviewedHead} -->`,
  );
  expect(first.run.summary).toContain(
    `reviewed commits ${short(first.repo.baseSha)}..${short(reviewedHead)} (full)`,
  );
  first.repo.push({ 'src/mul.js': MUL }, 'Add mul()');
  return { first, reviewedHead };
}

describe('incremental review', () => {
  test('a later push: the prompt and the diff the agent reads cover only the new commits; findings still go inline on the PR diff', async () => {
    const { first, reviewedHead } = await reviewedThenPushed();
    const { seen, script } = reviewer([mulOverflow, addNaN]);
    const second = await go({ github: first.github, repo: first.repo, script });
    expect(second.run.main.code).toBe(0);
    const head = first.repo.headSha;

    // The prompt names only the new range and only the file it changed.
    expect(seen.prompt).toContain(`git diff ${reviewedHead}...${head}`);
    expect(seen.prompt).toContain('This is an incremental review');
    expect(seen.prompt).not.toContain(first.repo.baseSha);
    expect(seen.prompt).toContain('Changed files (1):\n- "src/mul.js" (added)');
    expect(seen.prompt).not.toContain('"src/app.js"');
    // The diff the agent read holds the new commit's change and nothing of the first push.
    expect(seen.diff?.is_error).toBe(false);
    expect(seen.diff?.content).toContain('+export function mul(a, b) {');
    expect(seen.diff?.content).not.toContain('div');

    const state = first.github.state;
    // add() at line 14 is outside the new commits but on the PR's diff: still an inline comment.
    expect(state.reviewComments.map((c) => [c.path, c.line, c.body])).toEqual([
      ['src/app.js', 18, expect.stringContaining('Division by zero')],
      ['src/mul.js', 2, expect.stringContaining('mul() may overflow')],
      ['src/app.js', 14, expect.stringContaining('add() ignores NaN')],
    ]);
    // The first push's finding was not repeated, but its code was not touched: its thread stays open.
    expect(state.reviewThreads.filter((t) => t.isResolved)).toHaveLength(0);
    // One summary comment, now recording the new head and naming the reviewed range.
    expect(state.issueComments).toHaveLength(1);
    const summary = state.issueComments[0].body;
    expect(summary).toContain(`<!-- claude-guard:reviewed head=${head} -->`);
    expect(summary).toContain(`reviewed commits ${short(reviewedHead)}..${short(head)} (incremental)`);
    expect(second.run.summary).toContain(
      `reviewed commits ${short(reviewedHead)}..${short(head)} (incremental)`,
    );
    expect(first.github.failures).toEqual([]);
    expect(leaks(second)).toEqual([]);
  });

  test('a force-push that dropped the reviewed commit: the whole pull request, with a notice', async () => {
    const first = await go({ script: [structured([])] });
    expect(first.run.main.code).toBe(0);
    const dropped = first.repo.headSha;
    // Rewrite the branch: a new commit on the base replaces the reviewed one.
    git(first.repo.dir, ['checkout', '-q', '--detach', first.repo.baseSha]);
    first.repo.push(
      {
        'src/app.js': fs
          .readFileSync(path.join(first.repo.dir, 'src/app.js'), 'utf8')
          .concat('\nexport function div(a, b) {\n  return b === 0 ? NaN : a / b;\n}\n'),
      },
      'Add div(), rewritten',
    );
    const head = first.repo.headSha;
    const { seen, script } = reviewer([]);
    const second = await go({ github: first.github, repo: first.repo, script });
    expect(second.run.main.code).toBe(0);

    expect(seen.prompt).toContain(`git diff ${first.repo.baseSha}...${head}`);
    expect(seen.prompt).not.toContain(dropped);
    expect(seen.diff?.content).toContain('return b === 0 ? NaN : a / b;');
    expect(second.run.main.stdout).toMatch(
      new RegExp(
        `::notice::claude-guard: incremental review not possible: the last reviewed commit ${short(dropped)} is not an ancestor of the head ${short(head)} \\(a force-push`,
      ),
    );
    const summary = first.github.state.issueComments[0].body;
    expect(summary).toContain(`reviewed commits ${short(first.repo.baseSha)}..${short(head)} (full)`);
    expect(summary).toContain('Incremental review not possible');
    expect(summary).toContain(`<!-- claude-guard:reviewed head=${head} -->`);
  });

  test('fail-on-severity set: a trivial push cannot turn a failed gate green; the whole PR is reviewed again', async () => {
    const gate = { 'fail-on-severity': 'high' };
    const first = await go({ inputs: gate, script: [structured([divByZero])] });
    expect(first.run.main.code).not.toBe(0);
    first.repo.push({ 'README.md': '# widgets\n\nNow with div().\n' }, 'Docs');
    // A model that reports what it is shown: the whole PR still holds div() without a guard.
    const { seen, script } = reviewer([divByZero]);
    const second = await go({ github: first.github, repo: first.repo, inputs: gate, script });
    const head = first.repo.headSha;
    expect(seen.prompt).toContain(`git diff ${first.repo.baseSha}...${head}`);
    expect(seen.prompt).not.toContain('This is an incremental review');
    expect(seen.diff?.content).toContain('export function div(a, b)');
    expect(second.run.main.stdout).toMatch(
      /::notice::claude-guard: incremental review not possible: fail-on-severity is set/,
    );
    expect(second.run.main.code).not.toBe(0);
    expect(second.run.errors.join('\n')).toMatch(/fail-on-severity/);
  });

  test('review-scope: full reviews the whole pull request on every push', async () => {
    const { first } = await reviewedThenPushed();
    const { seen, script } = reviewer([]);
    const second = await go({
      github: first.github,
      repo: first.repo,
      inputs: { 'review-scope': 'full' },
      script,
    });
    expect(second.run.main.code).toBe(0);
    const head = first.repo.headSha;
    expect(seen.prompt).toContain(`git diff ${first.repo.baseSha}...${head}`);
    expect(seen.prompt).toContain('Changed files (2):');
    expect(seen.prompt).not.toContain('This is an incremental review');
    expect(seen.diff?.content).toContain('export function div(a, b)');
    expect(seen.diff?.content).toContain('export function mul(a, b)');
    expect(second.run.main.stdout).not.toContain('incremental review not possible');
    expect(first.github.state.issueComments[0].body).toContain(
      `reviewed commits ${short(first.repo.baseSha)}..${short(head)} (full)`,
    );
  });
});

/** An issue_comment event leaves the job at the default branch; the action checks out the PR's head. */
const onDefaultBranch = (s: Scenario) => {
  git(s.repo.dir, ['checkout', '-q', 'main']);
  return { GITHUB_SHA: s.repo.baseSha, GITHUB_REF: 'refs/heads/main' };
};

/**
 * A writer (octocat, the fake's collaborator with write access) comments `body` on the pull request now:
 * the comment is stored in the fake as GitHub holds it, and the issue_comment event it fires is returned.
 */
function writerComments(github: GitHubFake, body: string) {
  const at = new Date().toISOString();
  const id = 90_000 + github.state.issueComments.length;
  const user = { login: 'octocat', id: 583231, type: 'User' };
  github.state.issueComments.push({
    id,
    node_id: `IC_${id}`,
    body,
    user,
    created_at: at,
    updated_at: at,
    html_url: `https://github.com/acme/widgets/pull/${PR_NUMBER}#issuecomment-${id}`,
  });
  const comment = { id, body, user, created_at: at, updated_at: at, author_association: 'COLLABORATOR' };
  return {
    name: 'issue_comment',
    payload: {
      action: 'created',
      // An issue_comment payload names the issue, not the pull request's commits.
      pull_request: undefined,
      issue: { number: PR_NUMBER, pull_request: { url: 'https://api.github.test/pulls/7' } },
      comment,
      sender: user,
    },
  };
}

/** The summary comment (ours, found by its marker) as it stands. */
const summaryOf = (github: GitHubFake) =>
  github.state.issueComments.find((c) => c.body.startsWith('<!-- claude-guard:summary'))?.body ?? '';

describe('incremental review asked for in a comment', () => {
  test("a writer's `/review incremental` after a push: the prompt and the diff cover only the new commits", async () => {
    const { first, reviewedHead } = await reviewedThenPushed();
    const event = writerComments(first.github, '/review incremental');
    const { seen, script } = reviewer([mulOverflow]);
    const env = onDefaultBranch(first);
    const second = await go({ github: first.github, repo: first.repo, event, env, script });
    expect(second.run.main.code).toBe(0);
    const head = first.repo.headSha;
    // The run was the comment's: the action read the comment back before it trusted it.
    expect(first.github.requests.map((r) => r.operationId)).toContain('issues/get-comment');

    expect(seen.prompt).toContain(`git diff ${reviewedHead}...${head}`);
    expect(seen.prompt).toContain('This is an incremental review');
    expect(seen.prompt).not.toContain(first.repo.baseSha);
    expect(seen.prompt).toContain('Changed files (1):\n- "src/mul.js" (added)');
    expect(seen.diff?.is_error).toBe(false);
    expect(seen.diff?.content).toContain('+export function mul(a, b) {');
    expect(seen.diff?.content).not.toContain('div');

    const summary = summaryOf(first.github);
    expect(summary).toContain(`<!-- claude-guard:reviewed head=${head} -->`);
    expect(summary).toContain(`reviewed commits ${short(reviewedHead)}..${short(head)} (incremental)`);
    expect(summary).toContain('mul() may overflow');
    expect(first.github.failures).toEqual([]);
    expect(leaks(second)).toEqual([]);
  });

  test("a writer's plain `/review` on the same set-up reviews the whole pull request", async () => {
    const { first } = await reviewedThenPushed();
    const event = writerComments(first.github, '/review');
    const { seen, script } = reviewer([]);
    const env = onDefaultBranch(first);
    const second = await go({ github: first.github, repo: first.repo, event, env, script });
    expect(second.run.main.code).toBe(0);
    const head = first.repo.headSha;
    // The run was the comment's: the action read the comment back before it trusted it.
    expect(first.github.requests.map((r) => r.operationId)).toContain('issues/get-comment');

    expect(seen.prompt).toContain(`git diff ${first.repo.baseSha}...${head}`);
    expect(seen.prompt).toContain('Changed files (2):');
    expect(seen.prompt).not.toContain('This is an incremental review');
    expect(seen.diff?.content).toContain('export function div(a, b)');
    expect(seen.diff?.content).toContain('export function mul(a, b)');
    expect(second.run.main.stdout).not.toContain('incremental review not possible');

    const summary = summaryOf(first.github);
    expect(summary).toContain(`<!-- claude-guard:reviewed head=${head} -->`);
    expect(summary).toContain(`reviewed commits ${short(first.repo.baseSha)}..${short(head)} (full)`);
    expect(first.github.failures).toEqual([]);
    expect(leaks(second)).toEqual([]);
  });
});
