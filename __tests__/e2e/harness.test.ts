/**
 * Self-tests of the end-to-end harness: the scripted model server drives the real Claude Code CLI,
 * the GitHub fake refuses what GitHub refuses, the runner emulation round-trips file commands, and the
 * pull-request repository yields GitHub-shaped files. Everything listens on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getOctokit } from '@actions/github';
import {
  anchorErrors,
  createPullRepo,
  defaultReviewScript,
  inputEnvName,
  parseFileCommand,
  parseHunks,
  runAction,
  startGitHubFake,
  startModelServer,
  toolResults,
  type GitHubFake,
  type PullFile,
  type PullRepo,
  type Script,
} from './support/index.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLAUDE = path.join(ROOT, 'node_modules', '.bin', 'claude');
const REVIEW_SCHEMA = {
  type: 'object',
  required: ['summary', 'findings'],
  properties: { summary: { type: 'string' }, findings: { type: 'array' } },
};

interface CliRun {
  code: number | null;
  json: Record<string, unknown> | undefined;
  stderr: string;
}

/** Run the real CLI in `cwd` with an environment built from scratch and a private HOME. */
function runClaude(cwd: string, baseUrl: string, extraEnv: Record<string, string> = {}): Promise<CliRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-claude-home-'));
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    TMPDIR: home,
    ANTHROPIC_API_KEY: 'e2e-dummy-key',
    ANTHROPIC_BASE_URL: baseUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ...extraEnv,
  };
  const settings = JSON.stringify({
    permissions: { allow: ['Read', 'Bash(git diff:*)'], defaultMode: 'dontAsk' },
  });
  const args = ['--print', '--output-format', 'json', '--json-schema', JSON.stringify(REVIEW_SCHEMA)];
  args.push(
    '--setting-sources',
    '',
    '--strict-mcp-config',
    '--no-session-persistence',
    '--settings',
    settings,
  );
  args.push('--', 'Review the change.');
  return new Promise((resolve, reject) => {
    const child = spawn(CLAUDE, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(home, { recursive: true, force: true });
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      resolve({ code, json, stderr });
    });
  });
}

describe('model server with the real Claude Code CLI', () => {
  let repo: PullRepo;
  beforeAll(() => {
    repo = createPullRepo({
      base: { 'src/app.js': 'export const a = 1;\n' },
      head: { 'src/app.js': 'export const a = 1;\nexport const marker = "added-by-the-pr";\n' },
    });
  });
  afterAll(() => repo.cleanup());

  test('a two-turn run (Bash git diff, then StructuredOutput) ends with that structured_output', async () => {
    const answer = {
      summary: 'One finding.',
      findings: [{ path: 'src/app.js', line: 2, severity: 'low', category: 'style', title: 't', body: 'b' }],
    };
    const script: Script = [
      { toolUse: { name: 'Bash', input: { command: 'git diff HEAD~1', description: 'Show the diff' } } },
      { structured: answer, usage: { input_tokens: 1234, output_tokens: 56 } },
    ];
    const server = await startModelServer({ script });
    try {
      const run = await runClaude(repo.dir, server.url);
      expect(run.stderr).not.toMatch(/error/i);
      expect(run.code).toBe(0);
      expect(run.json?.is_error).toBe(false);
      expect(run.json?.structured_output).toEqual(answer);
      expect(server.errors).toEqual([]);
      expect(server.turns).toBe(2);
      const main = server.requests.filter((r) => r.mainLoop);
      expect(main.map((r) => `${r.method} ${r.url}`)).toEqual([
        'POST /v1/messages?beta=true',
        'POST /v1/messages?beta=true',
      ]);
      expect(main[0].headers['x-api-key']).toBe('e2e-dummy-key');
      expect(main[0].body.stream).toBe(true);
      const results = toolResults(server.requests);
      expect(results).toHaveLength(1);
      expect(results[0].is_error).toBe(false);
      expect(results[0].content).toContain('+export const marker = "added-by-the-pr";');
    } finally {
      await server.close();
    }
  });

  test('defaultReviewScript finds the changed file through the CLI and anchors its finding inside the diff', async () => {
    const server = await startModelServer({ script: defaultReviewScript() });
    try {
      const run = await runClaude(repo.dir, server.url);
      expect(run.code).toBe(0);
      const output = run.json?.structured_output as { findings: { path: string; line: number }[] };
      expect(output.findings).toEqual([expect.objectContaining({ path: 'src/app.js', line: 2 })]);
      expect(anchorErrors(output.findings[0], repo.files)).toEqual([]);
      const read = toolResults(server.requests).find((r) => r.tool_use_id === 'toolu_review_read');
      expect(read?.content).toContain('added-by-the-pr');
    } finally {
      await server.close();
    }
  });

  test('when the script runs out, the CLI gets the default StructuredOutput', async () => {
    const server = await startModelServer({ script: [] });
    try {
      const run = await runClaude(repo.dir, server.url);
      expect(run.code).toBe(0);
      expect(run.json?.structured_output).toEqual({ summary: 'script ended', findings: [] });
    } finally {
      await server.close();
    }
  });

  test('a scripted API error reaches the CLI as that status', async () => {
    const server = await startModelServer({ script: [{ status: 500 }] });
    try {
      const run = await runClaude(repo.dir, server.url, { CLAUDE_CODE_MAX_RETRIES: '0' });
      expect(run.code).toBe(1);
      expect(run.json?.is_error).toBe(true);
      expect(run.json?.api_error_status).toBe(500);
    } finally {
      await server.close();
    }
  });

  test('a hung turn never answers, and close() still returns', async () => {
    const server = await startModelServer({ script: [{ hang: true }] });
    const body = JSON.stringify({ model: 'm', stream: true, messages: [], tools: [{ name: 'Bash' }] });
    const pending = fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(300),
    });
    await expect(pending).rejects.toThrow();
    await server.close();
    expect(server.turns).toBe(1);
  });

  test('requests without tools get a reply and do not consume the script', async () => {
    const server = await startModelServer({ script: [{ text: 'first scripted turn' }] });
    try {
      const side = await fetch(`${server.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'title?' }] }),
      });
      expect(((await side.json()) as { content: { text: string }[] }).content[0].text).toBe('OK');
      const count = await fetch(`${server.url}/v1/messages/count_tokens`, {
        method: 'POST',
        body: '{"messages":[]}',
      });
      expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
      expect(server.turns).toBe(0);
    } finally {
      await server.close();
    }
  });
});

const PATCH = [
  '@@ -1,3 +1,4 @@',
  ' one',
  '-two',
  '+2',
  ' three',
  '+four',
  '@@ -10,2 +11,3 @@',
  ' ten',
  '+ten-and-a-half',
  ' eleven',
].join('\n');
const FILES: PullFile[] = [{ filename: 'a.txt', status: 'modified', patch: PATCH }];
const PULL = { number: 7, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40), files: FILES };

describe('diff anchors', () => {
  test('parseHunks reads both sides of each hunk', () => {
    const hunks = parseHunks(PATCH);
    expect(hunks.map((h) => [[...h.right], [...h.left], h.added])).toEqual([
      [
        [1, 2, 3, 4],
        [1, 2, 3],
        [2, 4],
      ],
      [[11, 12, 13], [10, 11], [12]],
    ]);
  });

  test.each([
    ['an added line', { path: 'a.txt', line: 2 }, []],
    ['a context line', { path: 'a.txt', line: 3, side: 'RIGHT' }, []],
    ['a range inside one hunk', { path: 'a.txt', start_line: 1, line: 4 }, []],
    ['a deleted line on the LEFT', { path: 'a.txt', line: 2, side: 'LEFT' }, []],
    [
      'a line outside the diff',
      { path: 'a.txt', line: 8 },
      ['Pull request review thread line must be part of the diff'],
    ],
    ['a path not in the PR', { path: 'b.txt', line: 1 }, ['Path could not be resolved']],
    [
      'a start line outside',
      { path: 'a.txt', start_line: 6, line: 12 },
      ['Pull request review thread start line must be part of the diff'],
    ],
    [
      'a range across hunks',
      { path: 'a.txt', start_line: 4, line: 12 },
      ['Pull request review thread start line must be part of the same hunk as the line.'],
    ],
    [
      'start equal to line',
      { path: 'a.txt', start_line: 2, line: 2 },
      ['Pull request review thread start line must precede the end line.'],
    ],
  ])('%s', (_name, comment, expected) => {
    expect(anchorErrors(comment, FILES)).toEqual(expected);
  });
});

describe('GitHub fake', () => {
  let fake: GitHubFake;
  const octokit = () => getOctokit(fake.token, { baseUrl: fake.url, request: { retries: 0 } });
  const review = (comments: Record<string, unknown>[]) => ({
    owner: 'acme',
    repo: 'widgets',
    pull_number: 7,
    event: 'COMMENT' as const,
    body: 'Review',
    comments: comments as { path: string; body: string }[],
  });
  afterAll(() => fake?.close());

  test('a valid review with a multi-line comment is stored, and nothing is flagged', async () => {
    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL });
    const res = await octokit().rest.pulls.createReview(
      review([
        { path: 'a.txt', line: 4, side: 'RIGHT', start_line: 2, start_side: 'RIGHT', body: 'Look here' },
      ]),
    );
    expect(res.status).toBe(200);
    expect(fake.state.reviews).toHaveLength(1);
    expect(fake.state.reviews[0]).toMatchObject({
      state: 'COMMENTED',
      body: 'Review',
      commit_id: PULL.headSha,
    });
    expect(fake.state.reviewComments).toEqual([
      expect.objectContaining({ path: 'a.txt', line: 4, start_line: 2, side: 'RIGHT', body: 'Look here' }),
    ]);
    const listed = await octokit().rest.pulls.listReviewComments({
      owner: 'acme',
      repo: 'widgets',
      pull_number: 7,
    });
    expect(listed.data.map((c) => c.body)).toEqual(['Look here']);
    expect(fake.failures).toEqual([]);
    await fake.close();
  });

  test('a comment outside the diff is refused with 422 and recorded; nothing is stored', async () => {
    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL });
    const call = octokit().rest.pulls.createReview(
      review([{ path: 'a.txt', line: 8, side: 'RIGHT', body: 'x' }]),
    );
    await expect(call).rejects.toMatchObject({ status: 422 });
    expect(fake.state.reviews).toEqual([]);
    expect(fake.failures).toEqual([
      expect.objectContaining({ status: 422, message: expect.stringContaining('part of the diff') }),
    ]);
    await fake.close();
  });

  test('a review on an earlier head of the pull request is taken; a commit never its head is a 422', async () => {
    const pull = { ...PULL };
    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull });
    const earlier = pull.headSha;
    pull.headSha = 'f'.repeat(40); // a push
    const comment = { path: 'a.txt', line: 4, side: 'RIGHT', body: 'x' };
    const taken = await octokit().rest.pulls.createReview({ ...review([comment]), commit_id: earlier });
    expect(taken.status).toBe(200);
    const unknown = octokit().rest.pulls.createReview({ ...review([comment]), commit_id: 'e'.repeat(40) });
    await expect(unknown).rejects.toMatchObject({ status: 422 });
    expect(fake.failures).toEqual([
      expect.objectContaining({ status: 422, message: expect.stringContaining('No commit found') }),
    ]);
    await fake.close();
  });

  test('the spec does not forbid unknown body fields; the fake does by default, and always refuses a wrong type', async () => {
    const spec = JSON.parse(
      fs.readFileSync(path.join(ROOT, '__tests__/fixtures/github-openapi.json'), 'utf8'),
    );
    const item =
      spec.paths['/repos/{owner}/{repo}/pulls/{pull_number}/reviews'].post.requestBody.schema.properties
        .comments.items;
    expect(item.additionalProperties).toBeUndefined();

    const post = (body: unknown) =>
      fetch(`${fake.url}/repos/acme/widgets/pulls/7/reviews`, {
        method: 'POST',
        headers: { authorization: `token ${fake.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknownField = {
      event: 'COMMENT',
      body: 'r',
      comments: [{ path: 'a.txt', line: 2, body: 'x', strat_line: 1 }],
    };
    const wrongType = { event: 'COMMENT', body: 'r', comments: [{ path: 'a.txt', line: '2', body: 'x' }] };

    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL });
    const strict = await post(unknownField);
    expect(strict.status).toBe(422);
    expect(((await strict.json()) as { message: string }).message).toContain("'strat_line'");
    expect((await post(wrongType)).status).toBe(422);
    expect(fake.failures).toHaveLength(2);
    await fake.close();

    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL, rejectUnknownFields: false });
    expect((await post(unknownField)).status).toBe(200);
    expect((await post(wrongType)).status).toBe(422);
    await fake.close();
  });

  test('a wrong token gets 401; both token and Bearer forms of the right one work', async () => {
    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL, token: 'right-token' });
    const get = (authorization: string) =>
      fetch(`${fake.url}/repos/acme/widgets/pulls/7`, { headers: { authorization } });
    expect((await get('token wrong-token')).status).toBe(401);
    expect((await get('token right-token')).status).toBe(200);
    expect((await get('Bearer right-token')).status).toBe(200);
    expect(fake.failures.map((f) => f.status)).toEqual([401]);
    await fake.close();
  });

  test('a read-only token may read but every write gets 403 "Resource not accessible by integration"', async () => {
    fake = await startGitHubFake({
      owner: 'acme',
      repo: 'widgets',
      pull: PULL,
      permissions: { 'pull-requests': 'read' },
    });
    const gh = octokit();
    const files = await gh.rest.pulls.listFiles({ owner: 'acme', repo: 'widgets', pull_number: 7 });
    expect(files.data.map((f) => f.filename)).toEqual(['a.txt']);
    await expect(gh.rest.pulls.createReview(review([]))).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
    });
    await expect(
      gh.rest.issues.createComment({ owner: 'acme', repo: 'widgets', issue_number: 7, body: 'x' }),
    ).rejects.toMatchObject({
      status: 403,
    });
    expect(fake.state.reviews).toEqual([]);
    expect(fake.state.issueComments).toEqual([]);
    await fake.close();
  });

  test('issue comments paginate with a Link header that Octokit follows; PATCH updates one', async () => {
    const existing = Array.from({ length: 75 }, (_, i) => ({ body: `comment ${i}` }));
    fake = await startGitHubFake({ owner: 'acme', repo: 'widgets', pull: PULL, issueComments: existing });
    const gh = octokit();
    const all = await gh.paginate(gh.rest.issues.listComments, {
      owner: 'acme',
      repo: 'widgets',
      issue_number: 7,
      per_page: 25,
    });
    expect(all.map((c) => c.body)).toEqual(existing.map((c) => c.body));
    const pages = fake.requests.filter((r) => r.operationId === 'issues/list-comments');
    expect(pages.map((r) => new URL(r.url, fake.url).searchParams.get('page'))).toEqual([null, '2', '3']);
    const second = await gh.rest.issues.listComments({
      owner: 'acme',
      repo: 'widgets',
      issue_number: 7,
      per_page: 25,
      page: 2,
    });
    expect(second.data.map((c) => c.body)).toEqual(existing.slice(25, 50).map((c) => c.body));
    expect(second.headers.link).toMatch(
      /[?&]page=3>; rel="next".*[?&]page=3>; rel="last".*[?&]page=1>; rel="prev"/,
    );

    const created = await gh.rest.issues.createComment({
      owner: 'acme',
      repo: 'widgets',
      issue_number: 7,
      body: 'sticky',
    });
    await gh.rest.issues.updateComment({
      owner: 'acme',
      repo: 'widgets',
      comment_id: created.data.id,
      body: 'sticky v2',
    });
    expect(fake.state.issueComments.at(-1)).toMatchObject({
      id: created.data.id,
      body: 'sticky v2',
      user: { login: 'github-actions[bot]' },
    });
    expect(fake.failures).toEqual([]);
    await fake.close();
  });

  test('an operation missing from the description is a 404 failure; the collaborator permission is served', async () => {
    fake = await startGitHubFake({
      owner: 'acme',
      repo: 'widgets',
      pull: PULL,
      collaborators: { alice: 'write' },
    });
    const gh = octokit();
    const perm = await gh.rest.repos.getCollaboratorPermissionLevel({
      owner: 'acme',
      repo: 'widgets',
      username: 'alice',
    });
    expect(perm.data.permission).toBe('write');
    await expect(
      gh.rest.issues.deleteComment({ owner: 'acme', repo: 'widgets', comment_id: 1 }),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(fake.failures).toEqual([expect.objectContaining({ method: 'DELETE', status: 404 })]);
    await fake.close();
  });

  test('pulls/list answers the head (owner:branch) and state filters; a bad state is a 422', async () => {
    fake = await startGitHubFake({
      owner: 'acme',
      repo: 'widgets',
      pull: { ...PULL, headRepo: 'mallory/widgets', headRef: 'feature' },
    });
    const gh = octokit();
    const list = (q: { head?: string; state?: 'open' | 'closed' | 'all' }) =>
      gh.rest.pulls.list({ owner: 'acme', repo: 'widgets', ...q }).then((r) => r.data.map((p) => p.number));
    expect(await list({ head: 'mallory:feature' })).toEqual([7]);
    expect(await list({ head: 'Mallory:Feature', state: 'all' })).toEqual([7]);
    expect(await list({ head: 'acme:feature' })).toEqual([]);
    expect(await list({ head: 'mallory:feature', state: 'closed' })).toEqual([]);
    const one = await gh.rest.pulls.list({ owner: 'acme', repo: 'widgets', head: 'mallory:feature' });
    expect(one.data[0]).toMatchObject({
      state: 'open',
      head: { sha: PULL.headSha, repo: { full_name: 'mallory/widgets' } },
    });
    expect(fake.failures).toEqual([]);
    await expect(
      gh.request('GET /repos/{owner}/{repo}/pulls', {
        owner: 'acme',
        repo: 'widgets',
        state: 'merged' as 'open',
      }),
    ).rejects.toMatchObject({ status: 422 });
    await fake.close();
  });
});

describe('pull-request repository', () => {
  test('files match what GitHub reports for added, modified, removed and renamed files', () => {
    const repo = createPullRepo({
      base: { 'keep.txt': 'one\ntwo\n', 'gone.txt': 'bye\n', 'old.txt': 'same\ncontent\nhere\n' },
      head: {
        'keep.txt': 'one\n2\n',
        'gone.txt': null,
        'old.txt': null,
        'new.txt': 'same\ncontent\nhere\n',
        'src/add.ts': 'x\n',
      },
      extraHeadCommits: [{ files: { 'src/add.ts': 'x\ny\n' } }],
    });
    try {
      const byName = Object.fromEntries(repo.files.map((f) => [f.filename, f]));
      expect(Object.keys(byName).sort()).toEqual(['gone.txt', 'keep.txt', 'new.txt', 'src/add.ts']);
      expect(byName['keep.txt']).toMatchObject({
        status: 'modified',
        additions: 1,
        deletions: 1,
        changes: 2,
        patch: '@@ -1,2 +1,2 @@\n one\n-two\n+2',
      });
      expect(byName['gone.txt']).toMatchObject({
        status: 'removed',
        deletions: 1,
        patch: '@@ -1 +0,0 @@\n-bye',
      });
      expect(byName['new.txt']).toMatchObject({
        status: 'renamed',
        previous_filename: 'old.txt',
        changes: 0,
      });
      expect(byName['new.txt'].patch).toBeUndefined();
      expect(byName['src/add.ts']).toMatchObject({
        status: 'added',
        additions: 2,
        patch: '@@ -0,0 +1,2 @@\n+x\n+y',
      });
      const head = fs.readFileSync(path.join(repo.dir, '.git', 'HEAD'), 'utf8').trim();
      expect(head).toBe(repo.headSha);
    } finally {
      repo.cleanup();
    }
  });
});

describe('runner emulation', () => {
  let actionDir: string;
  let workspace: string;
  const core = path.join(ROOT, 'node_modules/@actions/core/lib/core.js');
  beforeAll(() => {
    actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-throwaway-action-'));
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-throwaway-ws-'));
    fs.writeFileSync(
      path.join(actionDir, 'action.yml'),
      [
        'name: throwaway',
        'inputs:',
        '  anthropic-api-key: { required: true }',
        '  greeting: { default: hello }',
        '  github-token: { default: "${{ github.token }}" }',
        '  behaviour: { default: ok }',
        'runs:',
        '  using: node24',
        '  main: main.mjs',
        '  post: post.mjs',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(actionDir, 'main.mjs'),
      `import * as core from ${JSON.stringify(core)};
import fs from 'node:fs';
if (core.getInput('behaviour') === 'hang') setInterval(() => {}, 1000);
const key = core.getInput('anthropic-api-key');
core.setSecret(key);
console.log('the key is ' + key);
core.warning('careful');
core.setOutput('greeting', core.getInput('greeting') + '\\nsecond line');
core.setOutput('token-length', String(core.getInput('github-token').length));
core.saveState('seen', 'from-main');
fs.appendFileSync(process.env.GITHUB_ENV, 'FROM_MAIN=applied\\nNODE_OPTIONS=--require=/evil.js\\n');
fs.appendFileSync(process.env.GITHUB_PATH, '/injected/bin\\n');
await core.summary.addRaw('main summary').write();
if (core.getInput('behaviour') === 'fail') core.setFailed('main failed on purpose');
`,
    );
    fs.writeFileSync(
      path.join(actionDir, 'post.mjs'),
      `import fs from 'node:fs';
const e = process.env;
console.log(JSON.stringify({ seen: e.STATE_seen, fromMain: e.FROM_MAIN, nodeOptions: e.NODE_OPTIONS ?? null,
  firstPath: e.PATH.split(':')[0], home: e.HOME, temp: e.RUNNER_TEMP, cwd: process.cwd() }));
fs.appendFileSync(e.GITHUB_STEP_SUMMARY, ' + post summary');
`,
    );
  });
  afterAll(() => {
    fs.rmSync(actionDir, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  const run = (inputs: Record<string, string>, timeoutMs?: number) =>
    runAction({
      actionDir,
      inputs: { 'anthropic-api-key': 'sk-ant-e2e-secret', ...inputs },
      cwd: workspace,
      event: {
        name: 'pull_request',
        payload: { pull_request: { number: 7, head: { sha: 'c'.repeat(40) } } },
      },
      githubApiUrl: 'http://127.0.0.1:9',
      githubToken: 'ghs_jobtoken',
      timeoutMs,
    });

  test.each([
    ['anthropic-api-key', 'INPUT_ANTHROPIC-API-KEY'],
    ['fail on severity', 'INPUT_FAIL_ON_SEVERITY'],
  ])('input %s is passed as %s', (name, env) => {
    expect(inputEnvName(name)).toBe(env);
  });

  test.each([
    ['name=value lines', 'a=1\nb=x=y\n', { a: '1', b: 'x=y' }],
    ['a heredoc', 'm<<EOF_1\nline 1\nline=2\nEOF_1\nz=\n', { m: 'line 1\nline=2', z: '' }],
    ['the last value wins', 'a=1\na=2\n', { a: '2' }],
  ])('parseFileCommand: %s', (_name, text, expected) => {
    expect(parseFileCommand(text)).toEqual(expected);
  });

  test('outputs, state and summary round-trip; post sees STATE_ and the applied GITHUB_ENV/PATH', async () => {
    const r = await run({});
    try {
      expect(r.main.code).toBe(0);
      expect(r.outputs).toEqual({
        greeting: 'hello\nsecond line',
        'token-length': String('ghs_jobtoken'.length),
      });
      expect(r.state).toEqual({ seen: 'from-main' });
      expect(r.summary).toBe('main summary + post summary');
      expect(r.postRan).toBe(true);
      expect(r.post.code).toBe(0);
      const seen = JSON.parse(r.post.stdout.trim());
      expect(seen).toEqual({
        seen: 'from-main',
        fromMain: 'applied',
        nodeOptions: null,
        firstPath: '/injected/bin',
        home: r.home,
        temp: r.runnerTemp,
        cwd: fs.realpathSync(workspace),
      });
      expect(r.envFile).toContain('NODE_OPTIONS=--require=/evil.js');
      expect(fs.readdirSync(path.join(r.runnerTemp, '_runner_file_commands')).length).toBe(10);
      expect(r.masks).toEqual(['sk-ant-e2e-secret']);
      expect(r.warnings).toEqual(['careful']);
      expect(r.log).toContain('the key is sk-ant-e2e-secret');
      expect(r.maskedLog).not.toContain('sk-ant-e2e-secret');
      expect(r.maskedLog).toContain('the key is ***');
    } finally {
      r.cleanup();
    }
    expect(fs.existsSync(r.tempRoot)).toBe(false);
  });

  test('post runs after a failed main (post-if defaults to always())', async () => {
    const r = await run({ behaviour: 'fail' });
    try {
      expect(r.main.code).toBe(1);
      expect(r.errors).toEqual(['main failed on purpose']);
      expect(r.postRan).toBe(true);
      expect(JSON.parse(r.post.stdout.trim()).seen).toBe('from-main');
    } finally {
      r.cleanup();
    }
  });

  test('a step that outlives timeoutMs is killed', async () => {
    const r = await run({ behaviour: 'hang' }, 1500);
    try {
      expect(r.main.timedOut).toBe(true);
      expect(r.main.code).toBeNull();
    } finally {
      r.cleanup();
    }
  });
});
