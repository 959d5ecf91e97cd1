/**
 * The fault suite: every row of support/fault-table.mjs, end to end — the BUNDLED action through the
 * runner emulation, the REAL Claude Code CLI against the scripted model server (or a stand-in binary for
 * the CLI's own faults), the GitHub fake. Each row asserts the message naming the cause (or a clean
 * retry), the exit code, the post step succeeding, nothing left behind and no secret emitted.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createPullRepo, startGitHubFake, type Turn } from './support/index.mjs';
import { FAULTS } from './support/fault-table.mjs';
import {
  DEFAULT_HEAD,
  OWNER,
  PR_NUMBER,
  REPO,
  leaks,
  leftovers,
  ROOT,
  scenarios,
  structured,
  tmpdir,
  type Scenario,
  type ScenarioOptions,
} from './support/scenario.js';

const go = scenarios();
const row = (id: string) => {
  const r = FAULTS.find((f) => f.id === id);
  if (!r) throw new Error(`no fault row ${id}`);
  return r;
};

const finding = (over: Record<string, unknown> = {}) => ({
  path: 'src/app.js',
  line: 18,
  severity: 'high',
  category: 'correctness',
  title: 'Division by zero is not handled',
  body: 'When `b` is 0 this returns Infinity.',
  ...over,
});
const bash = (command: string): Turn => ({ toolUse: { name: 'Bash', input: { command, description: 'x' } } });
const always = (turn: Turn) => (): Turn => turn;

/** Processes whose command line contains `tag`. */
function alive(tag: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(tag) && !/\bps -eo\b/.test(l));
}

/** What every row asserts, whatever the fault. */
function common(s: Scenario, id: string) {
  const expected = row(id);
  expect(s.run.main.code).toBe(expected.exit);
  expect(s.run.postRan).toBe(true);
  expect(s.run.post.code).toBe(0);
  expect(s.run.post.stdout).not.toMatch(/^::error::/m);
  expect(leaks(s)).toEqual([]);
  // Files the scenario itself planted in RUNNER_TEMP (checkout credentials) are not ours to remove.
  const planted = new Set((s.planted ?? []).map((p) => path.basename(p)));
  expect(leftovers(s.run.runnerTemp).filter((n) => !planted.has(n))).toEqual([]);
  if (expected.exit !== 0) expect(s.run.outputs.conclusion).toBe('failed');
}

const errors = (s: Scenario) => s.run.errors.join('\n');
const warnings = (s: Scenario) => s.run.warnings.join('\n');

/**
 * A PR script that starts helpers the careless way, each escaping differently: `setsid`, a double fork
 * and `env -i` (no run marker in its environment). The custom-mode rule allows exactly `sh helpers.sh`
 * (the CLI checks what `setsid`, `env` and `nohup` wrap, so a `Bash(setsid:*)` rule starts nothing).
 */
function escapingHelpers(tag: string): Pick<ScenarioOptions, 'head' | 'inputs'> {
  const script = [
    `setsid bash -c 'exec -a ${tag}-a sleep 300' </dev/null >/dev/null 2>&1 &`,
    `(setsid bash -c 'exec -a ${tag}-b sleep 300' </dev/null >/dev/null 2>&1 &)`,
    `/usr/bin/env -i /bin/sh -c 'setsid /bin/bash -c "exec -a ${tag}-c sleep 300" </dev/null >/dev/null 2>&1 &'`,
    '',
  ].join('\n');
  return {
    head: { ...DEFAULT_HEAD, 'helpers.sh': script },
    inputs: { mode: 'custom', prompt: 'start the helpers', 'allowed-tools': 'Bash(sh helpers.sh)' },
  };
}
const START_HELPERS = bash('sh helpers.sh');

/** A stand-in for the CLI: an executable shell script the agent user can run. */
function fakeCli(body: string): string {
  const dir = tmpdir('fake-cli-');
  fs.chmodSync(dir, 0o755);
  const file = path.join(dir, 'claude');
  fs.writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  return file;
}

async function runRow(id: string, o: ScenarioOptions): Promise<Scenario> {
  const s = await go(o);
  common(s, id);
  return s;
}

describe('model API faults', () => {
  test.each([
    ['model-401', 401, /model API status 401: the key was refused, check input 'anthropic-api-key'/],
    ['model-403', 403, /model API status 403/],
    ['model-500', 500, /model API status 500: the model API failed/],
    ['model-529', 529, /model API status 529: the model API is overloaded/],
  ])('%s', async (id, status, message) => {
    const s = await runRow(id, { script: always({ status }) });
    expect(errors(s)).toMatch(message);
  });

  test('model-429: a 429 with retry-after is retried and the review posted', async () => {
    const s = await runRow('model-429', {
      script: [{ status: 429, headers: { 'retry-after': '1' } }, structured([finding()])],
    });
    expect(s.run.outputs.conclusion).toBe('findings');
    expect(s.github.state.reviews).toHaveLength(1);
  });

  test.each([
    ['model-cut', 'cut'],
    ['model-malformed-sse', 'malformed-sse'],
  ] as const)('%s', async (id, fault) => {
    const s = await runRow(id, { script: always({ fault }) });
    expect(errors(s)).toMatch(/Claude Code (reported an error|ended)/);
  });

  test('model-drip: a stream at one byte per second ends at timeout-minutes, the tree killed', async () => {
    const s = await runRow('model-drip', {
      inputs: { 'timeout-minutes': '0.25' },
      script: always({ fault: 'drip' }),
    });
    expect(errors(s)).toMatch(/did not finish within timeout-minutes \(0\.25\)/);
  });

  test('no-structured-output', async () => {
    const s = await runRow('no-structured-output', { script: always({ text: 'All done.' }) });
    expect(errors(s)).toMatch(/without calling StructuredOutput/);
  });

  test('bad-finding: one bad severity is rejected alone, the other findings are posted', async () => {
    const s = await runRow('bad-finding', {
      script: [
        structured([
          finding(),
          finding({ line: 17, severity: 'urgent', title: 'Bad severity' }),
          finding({ line: 19, title: 'Second good one' }),
        ]),
      ],
    });
    expect(s.run.outputs.conclusion).toBe('findings');
    expect(s.run.outputs['findings-count']).toBe('2');
    expect(s.github.state.reviews[0].comments.map((c) => c.line).sort()).toEqual([18, 19]);
    expect(s.run.summary).toMatch(/Malformed, ignored \(1\)/);
  });

  test('max-turns', async () => {
    const s = await runRow('max-turns', {
      inputs: { 'max-turns': '2' },
      script: always(bash('git status')),
    });
    expect(errors(s)).toMatch(/hit max-turns \(2\).*'max-turns'/);
  });

  test('budget', async () => {
    const s = await runRow('budget', {
      inputs: { 'budget-usd': '0.01' },
      script: always({ ...bash('git status'), usage: { output_tokens: 50_000 } }),
    });
    expect(errors(s)).toMatch(/reached its budget \(input 'budget-usd': \$0\.01\)/);
  });
});

describe('GitHub faults', () => {
  test('github-5xx: the review fails after retries; the summary comment still lists the finding', async () => {
    const s = await runRow('github-5xx', {
      githubFaults: [{ operationId: 'pulls/create-review', status: 502 }],
      script: [structured([finding()])],
    });
    expect(warnings(s)).toMatch(/could not create a review \(HTTP 502\)/);
    expect(s.github.state.issueComments).toHaveLength(1);
    expect(s.github.state.issueComments[0].body).toContain('Division by zero is not handled');
    expect(s.findingsFile).toContain('Division by zero is not handled');
    expect(s.sarifFile).toContain('Division by zero is not handled');
  });

  test('github-secondary-rate-limit: waited out and posted', async () => {
    const s = await runRow('github-secondary-rate-limit', {
      githubFaults: [
        {
          operationId: 'issues/create-comment',
          status: 403,
          times: 1,
          headers: { 'retry-after': '1' },
          body: {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          },
        },
      ],
      script: [structured([finding()])],
    });
    expect(warnings(s)).toMatch(/secondary rate limit/);
    expect(s.github.state.issueComments).toHaveLength(1);
  });

  test('github-404: every PR call refused; warnings, and the findings still in the run', async () => {
    const ops = [
      'pulls/create-review',
      'pulls/list-review-comments',
      'issues/list-comments',
      'issues/create-comment',
    ];
    const s = await runRow('github-404', {
      githubFaults: ops.map((operationId) => ({ operationId, status: 404 })),
      script: [structured([finding()])],
    });
    expect(warnings(s)).toMatch(/HTTP 404/);
    expect(s.run.summary).toContain('Division by zero is not handled');
  });

  test('github-422: the refused review becomes a summary; the summary comment lists the finding', async () => {
    const s = await runRow('github-422', {
      githubFaults: [
        {
          operationId: 'pulls/create-review',
          status: 422,
          times: 1,
          body: {
            message: 'Unprocessable Entity',
            errors: ['Pull request review thread line must be part of the diff'],
            documentation_url: 'https://docs.github.com/rest',
          },
        },
      ],
      script: [structured([finding()])],
    });
    expect(warnings(s)).toMatch(/GitHub refused the review/);
    expect(s.github.state.issueComments).toHaveLength(1);
    expect(s.github.state.issueComments[0].body).toMatch(
      /Division by zero is not handled[\s\S]*review could not be posted/,
    );
  });

  test('github-head-moved: the head moves during the run; GitHub refuses the comment whose line left the diff, the rest is posted', async () => {
    const prelude = Array.from({ length: 12 }, (_, i) => `// line ${i + 1}`).join('\n') + '\n';
    const add = 'export function add(a, b) {\n  return a + b;\n}\n';
    const div = '\nexport function div(a, b) {\n  return a / b;\n}\n';
    const mul = '\nexport function mul(a, b) {\n  return a * b;\n}\n';
    const base = { 'src/app.js': prelude + add, 'README.md': '# widgets\n' };
    // Reviewed: div() at lines 17-19, mul() at 21-23. Pushed while the agent ran: mul() is gone.
    const repo = createPullRepo({ base, head: { 'src/app.js': prelude + add + div + mul } });
    const moved = createPullRepo({ base, head: { 'src/app.js': prelude + add + div } });
    const pull = {
      number: PR_NUMBER,
      headSha: repo.headSha,
      baseSha: repo.baseSha,
      files: repo.files,
      headRepo: `${OWNER}/${REPO}`,
    };
    const github = await startGitHubFake({
      owner: OWNER,
      repo: REPO,
      pull,
      collaborators: { octocat: 'write' },
    });
    const onMul = finding({
      line: 22,
      title: 'mul() overflows silently',
      body: 'Large products lose precision.',
    });
    try {
      const s = await runRow('github-head-moved', {
        repo,
        github,
        script: () => {
          Object.assign(pull, { headSha: moved.headSha, files: moved.files });
          return structured([finding(), onMul]);
        },
      });
      expect(moved.baseSha).toBe(repo.baseSha);
      expect(warnings(s)).toMatch(/GitHub refused the review .*1 comment\(s\) no longer fit/);
      const refusals = github.requests.filter((r) => r.operationId === 'pulls/create-review');
      expect(refusals.map((r) => r.status)).toEqual([422, 200]);
      expect(github.state.reviewComments.map((c) => [c.line, c.body.includes('Division by zero')])).toEqual([
        [18, true],
      ]);
      expect(github.state.issueComments).toHaveLength(1);
      expect(github.state.issueComments[0].body).toMatch(/mul\(\) overflows silently/);
      expect(github.state.issueComments[0].body).toMatch(/not in the pull request's current diff/);
      expect(s.run.outputs['findings-count']).toBe('2');
    } finally {
      await github.close();
      repo.cleanup();
      moved.cleanup();
    }
  });

  test('github-read-only', async () => {
    const s = await runRow('github-read-only', {
      githubPermissions: { 'pull-requests': 'read' },
      script: [structured([finding()])],
    });
    expect(warnings(s)).toMatch(/pull-requests: write/);
    expect(s.run.summary).toContain('Division by zero is not handled');
  });

  test('github-300-comments: the sticky comment on page 4 is updated, not duplicated', async () => {
    const others = Array.from({ length: 305 }, (_, i) => ({ body: `comment ${i}`, user: `user${i % 7}` }));
    const s = await runRow('github-300-comments', {
      issueComments: [
        ...others,
        { body: '<!-- claude-guard:summary -->\nold summary', user: 'github-actions[bot]' },
      ],
      script: [structured([finding()])],
    });
    expect(s.github.state.issueComments).toHaveLength(306);
    expect(s.github.state.issueComments[305].body).toMatch(/1 finding/);
    expect(s.github.state.issueComments[305].body).not.toMatch(/old summary/);
  });
});

describe('CLI faults', () => {
  test('cli-missing', async () => {
    const s = await runRow('cli-missing', { inputs: { 'claude-path': '/nonexistent/claude' } });
    expect(errors(s)).toMatch(/claude-path/);
    expect(s.model.requests).toHaveLength(0);
  });

  test.each([
    ['cli-crash', 'echo "boom: segfault-ish" >&2; exit 3', /exit code 3.*boom: segfault-ish/s],
    [
      'cli-garbage',
      'for i in $(seq 200); do echo "garbage line $i {not json"; done; exit 0',
      /without a result/,
    ],
    ['cli-100mb', "head -c 100000000 /dev/zero | tr '\\0' x | fold -w 1000; exit 0", /without a result/],
  ])('%s', async (id, body, message) => {
    const s = await runRow(id, { inputs: { 'claude-path': fakeCli(body) } });
    expect(errors(s)).toMatch(message);
  });

  test('cli-lingering-child: the result is kept, the child killed at once', async () => {
    const tag = `cg-linger-${Date.now()}`;
    const result = JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      num_turns: 1,
      structured_output: { summary: 'Reviewed.', findings: [finding()] },
    });
    const started = Date.now();
    const s = await runRow('cli-lingering-child', {
      inputs: {
        'claude-path': fakeCli(`echo '${result}'\nsetsid bash -c 'exec -a ${tag} sleep 300' &\nexit 0`),
      },
    });
    expect(s.run.outputs.conclusion).toBe('findings');
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(alive(tag)).toEqual([]);
  });
});

describe('runner faults', () => {
  test.each([
    ['escape-rules-only', 'rules-only'],
    ['escape-sandbox', 'sandbox'],
  ])('%s: setsid and double-forked processes die with the run', async (id, isolation) => {
    const tag = `cg-escape-${isolation}-${Date.now()}`;
    const helpers = escapingHelpers(tag);
    let runningBeforeTheEnd: string[] = [];
    let started: { is_error: boolean } | undefined;
    const s = await runRow(id, {
      ...helpers,
      inputs: { ...helpers.inputs, isolation },
      script: (_req, ctx) => {
        if (ctx.turn === 0) return START_HELPERS;
        started = ctx.toolResults[0];
        runningBeforeTheEnd = alive(tag);
        return structured([]);
      },
    });
    expect(s.run.outputs.isolation).toBe(isolation);
    expect(started).toMatchObject({ is_error: false });
    // rules-only: the helpers outlive the command that started them, until the run ends. sandbox: the
    // Bash call's own PID namespace (bubblewrap) ends them with the command.
    expect(runningBeforeTheEnd).toHaveLength(isolation === 'rules-only' ? 3 : 0);
    expect(alive(tag)).toEqual([]);
  });

  test('main-sigkill: the post step kills the agent tree from saved state', async () => {
    const tag = `cg-sigkill-${Date.now()}`;
    let mainPid = 0;
    const helpers = escapingHelpers(tag);
    let runningAtTheKill: string[] = [];
    const s = await go({
      ...helpers,
      inputs: { ...helpers.inputs, isolation: 'rules-only' },
      onMainSpawn: (pid) => (mainPid = pid),
      script: (_req, ctx) => {
        if (ctx.turn === 0) return START_HELPERS;
        runningAtTheKill = alive(tag);
        process.kill(mainPid, 'SIGKILL');
        return { hang: true };
      },
    });
    expect(runningAtTheKill).toHaveLength(3);
    expect(s.run.main.signal).toBe('SIGKILL');
    expect(s.run.post.code).toBe(0);
    // The saved process group or the saved tree (marker/cgroup) — whichever the post step reaches first.
    expect(s.run.post.stdout).toMatch(/killed leftover process group \d+|killed \d+ leftover agent process/);
    expect(alive(tag)).toEqual([]);
    expect(leftovers(s.run.runnerTemp)).toEqual([]);
    expect(leaks(s)).toEqual([]);
  });

  test('sigint: the agent tree is killed, credentials restored and a report written before exit', async () => {
    const tag = `cg-sigint-${Date.now()}`;
    let mainPid = 0;
    let configDuringRun = '';
    const helpers = escapingHelpers(tag);
    let runningAtTheSignal: string[] = [];
    const s = await go({
      ...helpers,
      checkoutCredentials: true,
      inputs: { ...helpers.inputs, isolation: 'rules-only' },
      onMainSpawn: (pid) => (mainPid = pid),
      script: (_req, ctx) => {
        if (ctx.turn === 0) return START_HELPERS;
        runningAtTheSignal = alive(tag);
        configDuringRun = fs.readFileSync(path.join(ctx.cwd ?? '', '.git', 'config'), 'utf8');
        process.kill(mainPid, 'SIGINT');
        return { hang: true };
      },
    });
    // Seen rarely on a loaded machine: the clean-up outran the cancel deadline and the outputs were never
    // written. Say so first, with the log, rather than as a missing output.
    expect({ deadline: /did not finish in time/.test(s.run.log) ? s.run.log : '' }).toEqual({ deadline: '' });
    common(s, 'sigint');
    expect(runningAtTheSignal).toHaveLength(3);
    expect(errors(s)).toMatch(/cancelled \(SIGINT\)/);
    expect(s.run.summary).toMatch(/cancelled \(SIGINT\)/);
    expect(configDuringRun).not.toMatch(/extraheader/);
    expect(fs.readFileSync(path.join(s.repo.dir, '.git', 'config'), 'utf8')).toMatch(/extraheader/);
    expect(alive(tag)).toEqual([]);
  });

  (process.getuid?.() === 0 ? test : test.skip)(
    'runner-temp-full: a clear error naming RUNNER_TEMP before the agent starts',
    async () => {
      let mounted = '';
      try {
        const s = await runRow('runner-temp-full', {
          script: [structured([finding()])],
          plantedFiles: ['filler'],
          // A 1 MiB tmpfs as RUNNER_TEMP, filled to 64 KiB (room for the runner's own file commands only).
          setup: (dirs) => {
            const event = path.join(dirs.runnerTemp, '_github_workflow', 'event.json');
            const payload = fs.readFileSync(event);
            execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dirs.runnerTemp]);
            mounted = dirs.runnerTemp;
            fs.mkdirSync(path.join(dirs.runnerTemp, '_runner_file_commands'));
            fs.mkdirSync(path.dirname(event));
            fs.writeFileSync(event, payload);
            const free = fs.statfsSync(dirs.runnerTemp);
            fs.writeFileSync(
              path.join(dirs.runnerTemp, 'filler'),
              Buffer.alloc(free.bavail * free.bsize - 64 * 1024),
            );
          },
        });
        expect(errors(s)).toMatch(/RUNNER_TEMP \(.*_temp\) is full: \d+ KiB free/);
        expect(s.run.summary).toMatch(/RUNNER_TEMP/);
        expect(s.model.requests.filter((r) => r.mainLoop)).toHaveLength(0);
        expect(s.run.log).not.toMatch(/^\s+at /m);
      } finally {
        if (mounted) execFileSync('umount', [mounted]);
      }
    },
  );

  test('malformed-event', async () => {
    const s = await go({
      setup: (dirs) =>
        fs.writeFileSync(path.join(dirs.runnerTemp, '_github_workflow', 'event.json'), '{"pull_request": {'),
    });
    common(s, 'malformed-event');
    expect(errors(s)).toMatch(/GITHUB_EVENT_PATH .* is not a readable JSON event payload/);
    expect(s.run.summary).toMatch(/did not start/);
    expect(s.run.log).not.toMatch(/^\s+at /m);
  });

  test.each(['schedule', 'workflow_dispatch'])(
    'no-pull-request: %s without diff-range is refused',
    async (name) => {
      const s = await runRow('no-pull-request', {
        event: { name, payload: { pull_request: undefined } },
        script: [structured([])],
      });
      expect(errors(s)).toMatch(new RegExp(`no pull request in the '${name}' event.*'diff-range'`));
      expect(s.model.requests.filter((r) => r.mainLoop)).toHaveLength(0);
    },
  );

  test('post-twice: a second post run, and one without any state, succeed with nothing to do', async () => {
    const s = await runRow('post-twice', { script: [structured([])] });
    const post = path.join(ROOT, 'dist', 'post', 'index.js');
    const base = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      RUNNER_TEMP: s.run.runnerTemp,
      GITHUB_WORKSPACE: s.repo.dir,
    };
    const state = Object.fromEntries(Object.entries(s.run.state).map(([k, v]) => [`STATE_${k}`, v]));
    for (const env of [{ ...base, ...state }, base]) {
      const again = spawnSync(process.execPath, [post], { env, encoding: 'utf8', timeout: 60_000 });
      expect(again.status).toBe(0);
      expect(again.stdout).not.toMatch(/::error::/);
    }
    expect(leftovers(s.run.runnerTemp)).toEqual([]);
  });
});

test('every row of the fault table is exercised above', () => {
  const source = fs.readFileSync(new URL(import.meta.url), 'utf8');
  for (const { id } of FAULTS) expect(source).toContain(id);
});
