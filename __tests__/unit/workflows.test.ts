/**
 * The reusable workflow, the dogfood workflow and the examples: each one parses, passes our own workflow
 * audit without errors or warnings (the one expected warning is named), passes its claude-guard inputs
 * through the action's own input parsing, and keeps the key in exactly one place. The reusable workflow
 * mirrors action.yml (inputs, defaults, outputs). The fork-safe pair's shape is checked (the trigger holds
 * nothing, the review runs nothing but claude-guard on the head it checked out). The shell steps that
 * guard something — the dogfood's model start and output check — are run here, on the scripted model on
 * 127.0.0.1.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { auditWorkflow, type AuditMode } from '../../src/policy/workflow-audit.js';
import { readSettings } from '../../src/inputs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}
interface CallInput {
  type: string;
  default?: string | number | boolean;
  required?: boolean;
}
interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: Job['concurrency'];
  jobs: Record<string, Job>;
}

const action = parse(read('action.yml')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
};
const actionDefault = (name: string) => action.inputs[name]?.default ?? '';

/** Every workflow this repository ships, with the audit warnings it is expected to keep (and why). */
const FILES: Array<{ file: string; warnings: string[] }> = [
  { file: '.github/workflows/review.yml', warnings: [] },
  { file: '.github/workflows/dogfood.yml', warnings: [] },
  { file: 'examples/pr-review.yml', warnings: [] },
  { file: 'examples/custom-task.yml', warnings: [] },
  { file: 'examples/fork-safe-trigger.yml', warnings: [] },
  // workflow_run + allow-untrusted-pr is the fork-safe pattern itself; the audit keeps reminding that
  // such a workflow must never build the pull request's code.
  { file: 'examples/fork-safe-review.yml', warnings: ['untrusted-trigger'] },
  { file: 'examples/on-demand-review.yml', warnings: [] },
];
const load = (file: string) => parse(read(file)) as Workflow;

const isAgent = (s: Step) => s.uses === './' || /claude-guard/i.test(s.uses ?? '');
const agentSteps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).filter(isAgent));
const stepIndex = (job: Job, pick: (s: Step) => boolean) => job.steps.findIndex(pick);
const step = (job: Job, pick: (s: Step) => boolean) => {
  const found = job.steps.find(pick);
  if (!found) throw new Error('step not found');
  return found;
};
const named = (name: string) => (s: Step) => s.name === name;

/** Where in the parsed document a string matching `re` occurs, as dotted paths. */
function pathsMatching(node: unknown, re: RegExp, at = ''): string[] {
  if (typeof node === 'string') return re.test(node) ? [at] : [];
  if (Array.isArray(node)) return node.flatMap((v, i) => pathsMatching(v, re, `${at}[${i}]`));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => pathsMatching(v, re, at ? `${at}.${k}` : k));
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------
// Every file

describe.each(FILES)('$file', ({ file, warnings }) => {
  const text = read(file);
  const wf = load(file);
  const agents = agentSteps(wf);

  test('passes the workflow audit: no error, no warning but the expected ones', () => {
    const mode: AuditMode = agents.some((s) => s.with?.mode === 'custom') ? 'custom' : 'review';
    const actionRef = agents.some((s) => s.uses === './') ? './' : 'claude-guard/claude-guard';
    const findings = auditWorkflow(text, { mode, actionRef });
    expect(findings.filter((f) => f.severity !== 'notice').map((f) => `${f.severity} ${f.id}`)).toEqual(
      warnings.map((id) => `warning ${id}`),
    );
  });

  test('secrets appear only as the anthropic-api-key input of claude-guard', () => {
    const places = pathsMatching(wf, /\bsecrets\b/);
    const allowed = places.filter((p) => /^jobs\.\w[\w-]*\.steps\[\d+\]\.with\.anthropic-api-key$/.test(p));
    expect(places).toEqual(allowed);
    for (const p of allowed) {
      const [, job, index] = /^jobs\.([\w-]+)\.steps\[(\d+)\]/.exec(p) ?? [];
      expect(isAgent(wf.jobs[job].steps[Number(index)])).toBe(true);
    }
  });

  test('checkouts keep no credentials', () => {
    const checkouts = Object.values(wf.jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith('actions/checkout@')),
    );
    // Every workflow that runs claude-guard checks out (the fork-safe trigger checks out nothing).
    if (agents.length) expect(checkouts.length).toBeGreaterThan(0);
    for (const c of checkouts) expect(c.with?.['persist-credentials']).toBe(false);
  });

  test("claude-guard's inputs exist in action.yml and pass the action's own parsing", () => {
    for (const agent of agents) {
      const given = agent.with ?? {};
      expect(Object.keys(given).filter((k) => !(k in action.inputs))).toEqual([]);
      const getInput = (name: string) => resolve(file, String(given[name] ?? actionDefault(name)));
      expect(() => readSettings(getInput)).not.toThrow();
    }
  });
});

test('every example is covered by the table above', () => {
  // policy.yml is an organisation policy (policy.schema.json), not a workflow.
  const examples = readdirSync(path.join(ROOT, 'examples')).filter(
    (f) => /\.ya?ml$/.test(f) && f !== 'policy.yml',
  );
  expect(examples.map((f) => `examples/${f}`).filter((f) => !FILES.some((x) => x.file === f))).toEqual([]);
});

test('every published claude-guard reference is the same full-SHA pin (one edit per release)', () => {
  const refs = FILES.flatMap(({ file }) => agentSteps(load(file)).map((s) => s.uses ?? ''));
  const published = refs.filter((r) => r !== './');
  expect(published.length).toBeGreaterThanOrEqual(4);
  expect(new Set(published).size).toBe(1);
  expect(published[0]).toMatch(/^claude-guard\/claude-guard@[0-9a-f]{40}$/);
});

const REVIEW_YML = load('.github/workflows/review.yml');
const reviewCall = REVIEW_YML.on.workflow_call as {
  inputs: Record<string, CallInput>;
  secrets: Record<string, { required?: boolean }>;
  outputs: Record<string, { value: string }>;
};

/** Values for the expressions the shipped files pass to claude-guard (as GitHub would expand them). */
function resolve(file: string, value: string): string {
  const known: Record<string, string> = {
    'secrets.ANTHROPIC_API_KEY': 'sk-ant-api03-test',
    'github.token': 'ghs_testtoken',
    'github.workspace': '/home/runner/work/claude-guard/claude-guard',
    'env.SCRIPTED_MODEL_URL': 'http://127.0.0.1:40000',
    "github.event_name == 'pull_request'": 'true',
  };
  return value
    .replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
      const input = /^inputs\.([\w-]+)$/.exec(expr)?.[1];
      if (input && file === '.github/workflows/review.yml')
        return String(reviewCall.inputs[input]?.default ?? '');
      if (expr in known) return known[expr];
      throw new Error(`${file}: no test value for the expression \${{ ${expr} }}`);
    })
    .trim();
}

// ---------------------------------------------------------------------------------------------------
// The reusable workflow

describe('reusable workflow (.github/workflows/review.yml)', () => {
  const job = REVIEW_YML.jobs.review;
  const agent = step(job, isAgent);
  // The reusable workflow is the API-key path: cloud providers need the caller's own OIDC steps
  // (README, "Providers"), and a subscription token would be a second secret.
  const providerOnly = [
    'provider',
    'claude-code-oauth-token',
    'aws-region',
    'vertex-region',
    'vertex-project-id',
    'foundry-resource',
  ];
  const mirrored = Object.keys(action.inputs).filter(
    (n) => n !== 'anthropic-api-key' && n !== 'github-token' && !providerOnly.includes(n),
  );
  const typeFor = (def: string) =>
    /^\d+(\.\d+)?$/.test(def) ? 'number' : def === 'true' || def === 'false' ? 'boolean' : 'string';

  test('is only callable (workflow_call)', () => {
    expect(Object.keys(REVIEW_YML.on)).toEqual(['workflow_call']);
  });

  test.each(mirrored)('input %s mirrors action.yml: same name, default and a fitting type', (name) => {
    const input = reviewCall.inputs[name];
    expect(input).toBeDefined();
    expect(input.required).not.toBe(true);
    expect(String(input.default ?? '')).toBe(actionDefault(name));
    expect(input.type).toBe(typeFor(actionDefault(name)));
  });

  test('has no other inputs than its own install-command and runs-on; no key or token input', () => {
    expect(
      Object.keys(reviewCall.inputs)
        .filter((n) => !mirrored.includes(n))
        .sort(),
    ).toEqual(['install-command', 'runs-on']);
    expect(reviewCall.inputs['install-command'].default).toBe('');
  });

  test('passing every input through yields exactly the settings of the action called with its defaults', () => {
    const throughWorkflow = readSettings((n) =>
      resolve('.github/workflows/review.yml', String(agent.with?.[n] ?? actionDefault(n))),
    );
    const direct = readSettings((n) =>
      resolve(
        'action.yml',
        n === 'anthropic-api-key' ? '${{ secrets.ANTHROPIC_API_KEY }}' : actionDefault(n),
      ),
    );
    expect(throughWorkflow).toEqual(direct);
  });

  test('claude-guard gets every mirrored input by the same name, and the key from the named secret', () => {
    const expected = Object.fromEntries([
      ['anthropic-api-key', '${{ secrets.ANTHROPIC_API_KEY }}'],
      ...mirrored.map((n) => [n, `\${{ inputs.${n} }}`]),
    ]);
    expect(agent.with).toEqual(expected);
    expect(agent.uses).toMatch(/^claude-guard\/claude-guard@[0-9a-f]{40}$/);
  });

  test('takes the key as the named secret ANTHROPIC_API_KEY, required, and no other secret', () => {
    expect(Object.keys(reviewCall.secrets)).toEqual(['ANTHROPIC_API_KEY']);
    expect(reviewCall.secrets.ANTHROPIC_API_KEY.required).toBe(true);
  });

  test('asks for contents: read and pull-requests: write only', () => {
    expect(job.permissions ?? REVIEW_YML.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  });

  test('runs one review per pull request, cancelling the previous one', () => {
    const c = job.concurrency ?? REVIEW_YML.concurrency;
    expect(c?.group).toMatch(
      /^claude-guard-.*\$\{\{ github\.event\.pull_request\.number \|\| github\.event\.issue\.number \|\| github\.ref \}\}$/,
    );
    expect(c?.['cancel-in-progress']).toBe(true);
  });

  test('checks out full history, then installs (optionally, through env), then runs claude-guard', () => {
    const checkout = stepIndex(job, (s) => !!s.uses?.startsWith('actions/checkout@'));
    const install = stepIndex(job, named('Install dependencies'));
    const agentAt = stepIndex(job, isAgent);
    expect(job.steps[checkout].with).toMatchObject({ 'fetch-depth': 0, 'persist-credentials': false });
    expect(checkout).toBeLessThan(install);
    expect(install).toBeLessThan(agentAt);
    const installStep = job.steps[install];
    expect(installStep.if).toBe("inputs.install-command != ''");
    expect(installStep.env).toEqual({ INSTALL_COMMAND: '${{ inputs.install-command }}' });
    expect(installStep.run).not.toContain('${{');
  });

  test('on workflow_run (fork-safe): checks out the triggering run’s head, refuses install-command, one review per head branch', () => {
    const checkout = step(job, (s) => !!s.uses?.startsWith('actions/checkout@'));
    expect(checkout.with?.ref).toBe(
      "${{ github.event_name == 'workflow_run' && github.event.workflow_run.head_sha || '' }}",
    );
    const refuse = step(job, named('Refuse install-command on untrusted runs'));
    expect(refuse.if).toBe(
      "inputs.install-command != '' && (inputs.allow-untrusted-pr || github.event_name == 'workflow_run')",
    );
    // The refusal comes before the checkout, so no install step ever sees the pull request's code there.
    expect(stepIndex(job, named('Refuse install-command on untrusted runs'))).toBeLessThan(
      stepIndex(job, (s) => !!s.uses?.startsWith('actions/checkout@')),
    );
    const group = (job.concurrency ?? REVIEW_YML.concurrency)?.group ?? '';
    expect(group).toContain('${{ github.event.workflow_run.head_repository.full_name }}');
    expect(group).toContain('${{ github.event.workflow_run.head_branch }}');
  });

  test('maps every action output through the job to the caller', () => {
    const outputs = Object.keys(action.outputs);
    expect(Object.keys(reviewCall.outputs).sort()).toEqual([...outputs].sort());
    expect(Object.keys(job.outputs ?? {}).sort()).toEqual([...outputs].sort());
    for (const o of outputs) {
      expect(reviewCall.outputs[o].value).toBe(`\${{ jobs.review.outputs.${o} }}`);
      expect(job.outputs?.[o]).toBe(`\${{ steps.${agent.id}.outputs.${o} }}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Shell steps, run for real

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cg-workflows-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

let dirs = 0;
const freshDir = (label: string) => {
  const dir = path.join(tmp, `${++dirs}-${label}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Runs a step's script the way the runner does for `run:` on Linux (`bash -e {0}`). */
function runStep(script: string, env: Record<string, string>, cwd: string) {
  const file = path.join(freshDir('script'), 'step.sh');
  writeFileSync(file, script);
  const home = freshDir('home');
  return spawnSync('bash', ['--noprofile', '--norc', '-e', file], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: home, GIT_CONFIG_NOSYSTEM: '1', ...env },
    timeout: 30_000,
  });
}

describe('fork-safe pair (examples/fork-safe-trigger.yml + fork-safe-review.yml)', () => {
  const triggerWf = load('examples/fork-safe-trigger.yml');
  const reviewWf = load('examples/fork-safe-review.yml');
  const trigger = triggerWf.jobs.trigger;
  const review = reviewWf.jobs.review;

  test('trigger: pull_request only, no secret, no token scope, nothing uploaded for the review to trust', () => {
    expect(Object.keys(triggerWf.on)).toEqual(['pull_request']);
    expect(pathsMatching(triggerWf, /secrets/)).toEqual([]);
    expect({ ...triggerWf.permissions, ...trigger.permissions }).toEqual({});
    expect(trigger.steps.filter((s) => s.uses)).toEqual([]);
    expect(agentSteps(triggerWf)).toEqual([]);
  });

  test('review: after the trigger completes, comments on the PR, checks out its head as data and runs only claude-guard', () => {
    expect(reviewWf.on).toEqual({ workflow_run: { workflows: [triggerWf.name], types: ['completed'] } });
    expect(review.if).toContain("github.event.workflow_run.event == 'pull_request'");
    expect(review.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect({ ...reviewWf.permissions, ...review.permissions }).toEqual({
      contents: 'read',
      'pull-requests': 'write',
    });
    const checkoutAt = stepIndex(review, (s) => !!s.uses?.startsWith('actions/checkout@'));
    expect(review.steps[checkoutAt].with).toEqual({
      ref: '${{ github.event.workflow_run.head_sha }}',
      'fetch-depth': 0,
      'persist-credentials': false,
    });
    // Nothing before the checkout, and nothing but claude-guard after it.
    expect(checkoutAt).toBe(0);
    expect(review.steps.slice(1).every(isAgent)).toBe(true);
    const agent = step(review, isAgent);
    expect(agent.with?.['allow-untrusted-pr']).toBe(true);
    expect(agent.with?.['require-isolation']).toBe('strict');
    expect(agent.with?.comment).toBeUndefined(); // the default: the review goes on the pull request
    const audit = auditWorkflow(read('examples/fork-safe-review.yml'), {
      mode: 'review',
      actionRef: 'claude-guard/claude-guard',
    });
    expect(audit.filter((f) => f.id === 'pull-request-target-checkout-head').map((f) => f.severity)).toEqual([
      'notice',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------
// The dogfood workflow

describe('dogfood (.github/workflows/dogfood.yml)', () => {
  const wf = load('.github/workflows/dogfood.yml');
  const job = wf.jobs.dogfood;
  const agent = step(job, isAgent);
  const startScript = step(job, named('Start the scripted model')).run ?? '';
  const checkScript = step(job, named('Check the outputs')).run ?? '';

  test('runs this checkout (uses: ./) on the scripted model, with no secret and the CLI from npm ci', () => {
    expect(agent.uses).toBe('./');
    expect(agent.with?.['anthropic-api-key']).toBe('scripted-model-no-key');
    expect(agent.with?.['anthropic-base-url']).toBe('${{ env.SCRIPTED_MODEL_URL }}');
    expect(agent.with?.['claude-path']).toBe('${{ github.workspace }}/node_modules/.bin/claude');
    expect(pathsMatching(wf, /secrets/)).toEqual([]);
    const order = [
      stepIndex(job, (s) => s.run === 'npm ci'),
      stepIndex(job, named('Start the scripted model')),
      stepIndex(job, isAgent),
      stepIndex(job, named('Check the outputs')),
    ];
    expect(order.every((v, i) => v >= 0 && (i === 0 || v > order[i - 1]))).toBe(true);
    expect(Object.values(step(job, named('Check the outputs')).env ?? {})).toContain(
      `\${{ steps.${agent.id}.outputs.conclusion }}`,
    );
  });

  test('the start step puts only the model URL into GITHUB_ENV, and the model answers there', async () => {
    const runnerTemp = freshDir('runner-temp');
    const githubEnv = path.join(runnerTemp, 'github_env');
    writeFileSync(githubEnv, '');
    const r = runStep(startScript, { RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv }, ROOT);
    const pid = Number(readFileSync(path.join(runnerTemp, 'scripted-model.pid'), 'utf8'));
    started.push(pid);
    expect(r.status).toBe(0);
    const env = readFileSync(githubEnv, 'utf8');
    expect(env).toMatch(/^SCRIPTED_MODEL_URL=http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = env.trim().slice('SCRIPTED_MODEL_URL='.length);
    const res = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'claude-test',
        max_tokens: 100,
        tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
        messages: [{ role: 'user', content: 'review' }],
      }),
    });
    const message = (await res.json()) as { content: Array<{ type: string; name?: string }> };
    expect(message.content[0]).toMatchObject({ type: 'tool_use', name: 'Bash' });
  });

  const findingsFile = (content: object) => {
    const file = path.join(freshDir('findings'), 'findings.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };
  const one = { conclusion: 'findings', summary: 's', findings: [{ severity: 'info' }] };
  const none = { conclusion: 'clean', summary: 's', findings: [] };
  const good = {
    CONCLUSION: 'findings',
    COUNT: '1',
    MAX_SEVERITY: 'info',
    ISOLATION: 'strict',
    COST_USD: '0.0123',
  };
  test.each<[string, Record<string, string>, object | undefined, number]>([
    ['a finding, consistent', good, one, 0],
    ['clean, consistent', { ...good, CONCLUSION: 'clean', COUNT: '0', MAX_SEVERITY: '' }, none, 0],
    ['a failed run', { ...good, CONCLUSION: 'failed' }, one, 1],
    ['a count that differs from the file', { ...good, COUNT: '2' }, one, 1],
    ['no findings file', good, undefined, 1],
    ['a severity the script never reports', { ...good, MAX_SEVERITY: 'high' }, one, 1],
    ['findings but conclusion clean', { ...good, CONCLUSION: 'clean' }, one, 1],
    ['an unknown isolation level', { ...good, ISOLATION: 'none' }, one, 1],
    ['a cost that is not a number', { ...good, COST_USD: 'NaN' }, one, 1],
  ])('the output check on %s', (_label, outputs, file, status) => {
    const env = { ...outputs, FINDINGS_FILE: file ? findingsFile(file) : path.join(tmp, 'missing.json') };
    expect(runStep(checkScript, env, tmp).status).toBe(status);
  });
});

// ---------------------------------------------------------------------------------------------------
// On-demand triggers: the job-level guard against untrusted commenters (defense in depth)

describe.each([
  { file: '.github/workflows/review.yml', job: 'review' },
  { file: 'examples/on-demand-review.yml', job: 'review' },
])('$file: comment runs only for insiders who ask', ({ file, job }) => {
  const condition = String(load(file).jobs[job].if ?? '');
  const insiders = /contains\(fromJSON\('(\[[^']*\])'\), github\.event\.comment\.author_association\)/.exec(
    condition,
  );

  test('the job has an if: that checks the comment author association', () => {
    expect(insiders).not.toBeNull();
    expect(JSON.parse(insiders![1]).sort()).toEqual(['COLLABORATOR', 'MEMBER', 'OWNER']);
  });

  test('only on pull requests, and only for comments that ask for a review', () => {
    expect(condition).toMatch(/github\.event\.issue\.pull_request/);
    expect(condition).toMatch(/github\.event\.comment\.body, '\/review'/);
  });
});

test('the on-demand example listens to new comments and labels only, with the permissions a review needs', () => {
  const wf = load('examples/on-demand-review.yml');
  expect(wf.on).toEqual({
    issue_comment: { types: ['created'] },
    pull_request_review_comment: { types: ['created'] },
    pull_request: { types: ['labeled'] },
  });
  expect(wf.permissions).toEqual({});
  expect(wf.jobs.review.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  expect(agentSteps(wf)[0].with).toMatchObject({ 'trigger-label': 'ai-review' });
});
