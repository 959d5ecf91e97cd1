/**
 * The action's own cost, side by side with the bare CLI (issue 12). One scripted review session — the
 * end-to-end suite's scripted model on 127.0.0.1 driving the REAL Claude Code CLI through seven main-loop
 * requests (git diff, three reads, a grep, a glob, the structured answer) — is run, in every round:
 *   - bare: `claude -p` spawned directly, with the argv and the environment switches the action gives it
 *     (the same pure functions build them), pointed straight at the model;
 *   - through the bundled action (dist/main then dist/post, via the runner emulation) at rules-only;
 *   - through the bundled action at strict (when this machine can: root, iptables, useradd).
 * Rounds are interleaved (the order rotates) so a load change on the shared machine hits every variant.
 * Printed: min/median/max of each wall time, of the fixed cost (action wall minus the same round's bare
 * wall), of the machine's busy CPU during the run (/proc/stat: it counts the agent's processes under another
 * uid too; read it on a quiet machine) and the same difference in
 * CPU, and of the peak RSS of the process tree (sampled from /proc). Targets: fixed cost median ≤ 1.0 s
 * at rules-only and ≤ 2.0 s at strict. Prints, does not gate: it asserts only that every run succeeded.
 * BENCH_ROUNDS sets the number of rounds (default 5). BENCH_GITHUB_LATENCY_MS delays every answer of the
 * GitHub fake (default 0: loopback hides the action's round trips to the API, 100–300 ms each on GitHub).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createPullRepo,
  runAction,
  startGitHubFake,
  startModelServer,
  type ModelServer,
  type PullRepo,
  type Turn,
} from '../__tests__/e2e/support/index.mjs';
import {
  CLAUDE,
  DEFAULT_BASE,
  DEFAULT_HEAD,
  OWNER,
  PR_NUMBER,
  REPO,
  ROOT,
} from '../__tests__/e2e/support/scenario.js';
import { withMachineLock } from '../__tests__/support/machine-lock.js';
import { buildClaudeArgs } from '../src/agent/claude-cli.js';
import { REVIEW_OUTPUT_SCHEMA } from '../src/findings/schema.js';
import { buildRules, CRITICAL_DENIALS } from '../src/policy/permissions.js';
import { buildChildEnv } from '../src/policy/child-env.js';
import {
  buildSettingsDocument,
  serializeSettings,
  settingsCliArgs,
  toolsForMode,
} from '../src/policy/settings-file.js';
import { machineCpuSeconds, samplePeakRss } from './support/process-tree.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const GITHUB_LATENCY_MS = Number(process.env.BENCH_GITHUB_LATENCY_MS ?? 0);
const MAX_TURNS = 30; // action.yml's default
const canStrict =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  ['iptables', 'ip6tables', 'useradd', 'setfacl'].every((t) =>
    (process.env.PATH ?? '/usr/sbin:/usr/bin').split(':').some((d) => fs.existsSync(path.join(d, t))),
  );
type Variant = 'bare' | 'rules-only' | 'strict';
// BENCH_NO_STRICT=1 skips the strict variant (to profile the rules-only path alone).
const VARIANTS: readonly Variant[] = [
  'bare',
  'rules-only',
  ...(canStrict && !process.env.BENCH_NO_STRICT ? (['strict'] as const) : []),
];

/** A realistic short review: seven main-loop requests, the last one the structured answer. */
function reviewScript(cwd: string): Turn[] {
  const tool = (name: string, input: Record<string, unknown>): Turn => ({ toolUse: { name, input } });
  return [
    tool('Bash', { command: 'git diff HEAD~1', description: 'the change' }),
    tool('Read', { file_path: `${cwd}/src/app.js` }),
    tool('Grep', { pattern: 'div\\(', path: cwd }),
    tool('Glob', { pattern: 'src/**/*.js' }),
    tool('Read', { file_path: `${cwd}/README.md` }),
    tool('Bash', { command: 'git log --oneline -3', description: 'history' }),
    {
      structured: {
        summary: 'One problem: division by zero.',
        findings: [
          {
            path: 'src/app.js',
            line: 18,
            severity: 'high',
            category: 'correctness',
            title: 'Division by zero is not handled',
            body: 'When `b` is 0 this returns Infinity.',
          },
        ],
      },
    },
  ];
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'side-by-side-bench-'));
let model: ModelServer;
const apiKey = `sk-ant-api03-bench${Math.random().toString(36).slice(2)}AA`;
const wall: Record<Variant, number[]> = { bare: [], 'rules-only': [], strict: [] };
const peakMb: Record<Variant, number[]> = { bare: [], 'rules-only': [], strict: [] };
const cpu: Record<Variant, number[]> = { bare: [], 'rules-only': [], strict: [] };

beforeAll(async () => {
  model = await startModelServer();
  if (!fs.existsSync(path.join(ROOT, 'dist/main/index.js'))) throw new Error('run npm run bundle first');
});

afterAll(async () => {
  await model?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** `claude -p` as the action runs it, minus the action: same argv builder, same environment switches. */
async function bare(repo: PullRepo): Promise<number> {
  const dir = fs.mkdtempSync(path.join(work, 'bare-'));
  const paths = {
    home: path.join(dir, 'home'),
    configDir: path.join(dir, 'config'),
    tmpDir: path.join(dir, 'tmp'),
  };
  for (const p of Object.values(paths)) fs.mkdirSync(p);
  const settingsFile = path.join(dir, 'settings.json');
  const rules = buildRules('review', [], [], { workspace: repo.dir, runnerTemp: dir, home: paths.home });
  fs.writeFileSync(settingsFile, serializeSettings(buildSettingsDocument(rules)));
  const args = buildClaudeArgs({
    settings: { model: '', maxTurns: MAX_TURNS, claudeArgs: [] },
    settingsArgs: settingsCliArgs(settingsFile, CRITICAL_DENIALS, toolsForMode('review')),
    outputSchema: REVIEW_OUTPUT_SCHEMA,
  });
  const { env } = buildChildEnv(
    { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
    { ...paths, baseUrl: model.url, apiKey, workspace: repo.dir },
  );
  const started = performance.now();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(CLAUDE, args, { cwd: repo.dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end('Review the change on this branch (git diff HEAD~1) and report findings.\n');
    },
  );
  const elapsed = performance.now() - started;
  if (result.code !== 0 || !result.stdout.includes('"structured_output"')) {
    throw new Error(`bare claude -p failed (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  }
  return elapsed;
}

/** The bundled action, main and post, as the runner runs them. */
async function action(repo: PullRepo, level: 'rules-only' | 'strict'): Promise<number> {
  const github = await startGitHubFake({
    owner: OWNER,
    repo: REPO,
    pull: {
      number: PR_NUMBER,
      headSha: repo.headSha,
      baseSha: repo.baseSha,
      files: repo.files,
      headRepo: `${OWNER}/${REPO}`,
    },
    collaborators: { octocat: 'write' },
    latencyMs: GITHUB_LATENCY_MS,
  });
  try {
    const started = performance.now();
    const run = await runAction({
      actionDir: ROOT,
      cwd: repo.dir,
      githubApiUrl: github.url,
      githubToken: github.token,
      event: {
        name: 'pull_request',
        payload: {
          sender: { login: 'octocat', type: 'User' },
          action: 'synchronize',
          number: PR_NUMBER,
          pull_request: {
            number: PR_NUMBER,
            title: 'Add div()',
            body: 'Adds a division helper.',
            base: { sha: repo.baseSha, ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } },
            head: { sha: repo.headSha, ref: 'feature', repo: { full_name: `${OWNER}/${REPO}` } },
          },
          repository: { full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, name: REPO },
        },
      },
      inputs: {
        'anthropic-api-key': apiKey,
        'anthropic-base-url': model.url,
        'claude-path': CLAUDE,
        isolation: level,
      },
      env: { GITHUB_REPOSITORY: `${OWNER}/${REPO}` },
      timeoutMs: 180_000,
    });
    const elapsed = performance.now() - started;
    try {
      if (run.main.code !== 0 || run.post.code !== 0 || run.outputs.conclusion !== 'findings') {
        throw new Error(
          `the action at ${level} failed (main ${run.main.code}, post ${run.post.code}, ` +
            `conclusion ${run.outputs.conclusion}): ${run.maskedLog.slice(-3000)}`,
        );
      }
    } finally {
      run.cleanup();
    }
    return elapsed;
  } finally {
    await github.close();
  }
}

async function measure(variant: Variant): Promise<void> {
  const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
  try {
    model.setScript(reviewScript(repo.dir));
    const sampler = samplePeakRss(process.pid, 100);
    const cpuBefore = machineCpuSeconds();
    try {
      wall[variant].push(variant === 'bare' ? await bare(repo) : await action(repo, variant));
    } finally {
      peakMb[variant].push(sampler.stop());
      cpu[variant].push((machineCpuSeconds() - cpuBefore) * 1000);
    }
  } finally {
    repo.cleanup();
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs: number[], digits: number, scale = 1) =>
  xs.length
    ? [Math.min(...xs), median(xs), Math.max(...xs)].map((x) => (x / scale).toFixed(digits)).join(' / ')
    : 'n/a';

function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${os.availableParallelism()} cores (${cpu}), Node ${process.versions.node}, load ${load}`;
}

test(
  'side by side: bare claude -p against the bundled action at rules-only and strict',
  async () => {
    // One unmeasured run first: the CLI's first start reads its ~200 MB binary from disk.
    await measure('bare');
    wall.bare.length = 0;
    peakMb.bare.length = 0;
    cpu.bare.length = 0;
    const before = machine();
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so that a change in machine load does not always hit the same variant.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
      // One round at a time holds the machine lock (the strict level's agent user and firewall chain
      // are machine-wide); waiting for it is not measured.
      await withMachineLock(async () => {
        for (const variant of order) await measure(variant);
      });
    }
    const rows: string[][] = [
      [
        '',
        'wall s (min / median / max)',
        'fixed cost s',
        'CPU s (machine)',
        'fixed CPU s',
        'peak RSS MB (tree)',
      ],
    ];
    const over = (xs: number[], base: number[]) => xs.map((x, i) => x - base[i]);
    for (const variant of VARIANTS) {
      const isBare = variant === 'bare';
      rows.push([
        variant,
        stats(wall[variant], 2, 1000),
        isBare ? '—' : stats(over(wall[variant], wall.bare), 2, 1000),
        stats(cpu[variant], 2, 1000),
        isBare ? '—' : stats(over(cpu[variant], cpu.bare), 2, 1000),
        stats(peakMb[variant], 0),
      ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const table = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')).join('\n');
    const medians = VARIANTS.filter((v) => v !== 'bare').map(
      (v) => `${v} ${(median(wall[v].map((w, i) => w - wall.bare[i])) / 1000).toFixed(2)} s`,
    );
    console.log(
      `Side by side, ${ROUNDS} rounds of a 7-request scripted review (real Claude Code CLI):\n${table}\n` +
        `Fixed cost medians: ${medians.join(', ')} (targets: rules-only ≤ 1.0 s, strict ≤ 2.0 s)\n` +
        `Per round (bare wall; fixed costs), s: ${wall.bare
          .map((b, i) =>
            [b, ...VARIANTS.filter((v) => v !== 'bare').map((v) => wall[v][i] - b)]
              .map((x) => (x / 1000).toFixed(2))
              .join('/'),
          )
          .join('  ')}` +
        `${canStrict ? '' : '; strict skipped: needs root, iptables, useradd and setfacl'}\n` +
        `Machine: ${before} at the start; load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} at the end.`,
    );
    for (const variant of VARIANTS) expect(wall[variant]).toHaveLength(ROUNDS);
  },
  60 * 60_000,
);
