#!/usr/bin/env node
// Runs the bundled action locally, the way the GitHub runner does (inputs, file commands, then the post
// step), reviewing this repository's last commit with the real Claude Code CLI (node_modules/.bin/claude).
// Offline by default: the model is the embedded scripted model on 127.0.0.1. With ANTHROPIC_API_KEY set, the
// real model API is used (the key still reaches only the action's key proxy, never the agent).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultReviewScript, runAction, startModelServer } from '../__tests__/e2e/support/index.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repository = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
// The workspace is a fresh clone of this repository's last two commits, as actions/checkout makes one: on a
// runner the action (and node) never live inside the checkout it reviews, and at strict the agent's world
// mounts its clean copy of the checkout over the workspace path, hiding anything else under it.
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'claude-guard-review-local-'));
execFileSync('git', ['clone', '--quiet', '--no-local', '--depth', '2', `file://${repository}`, workspace]);
const claude = fs.realpathSync(path.join(root, 'node_modules', '.bin', 'claude'));
if (!fs.existsSync(path.join(root, 'dist', 'main', 'index.js'))) {
  console.error('dist/ is missing: run `npm run bundle` first.');
  process.exit(1);
}

const realKey = process.env.ANTHROPIC_API_KEY;
const model = realKey
  ? undefined
  : await startModelServer({ script: defaultReviewScript({ cwd: workspace }) });
console.log(
  realKey
    ? 'Reviewing with the real model API (ANTHROPIC_API_KEY is set).'
    : `Reviewing offline with the scripted model at ${model.url}.`,
);

const result = await runAction({
  actionDir: root,
  cwd: workspace,
  githubApiUrl: 'http://127.0.0.1:9',
  // No pull request: nothing is posted, so the token is never used.
  githubToken: 'local-run-no-github',
  event: { name: 'workflow_dispatch', payload: {} },
  inputs: {
    'anthropic-api-key': realKey ?? 'offline-scripted-model-key',
    ...(model ? { 'anthropic-base-url': model.url } : {}),
    'claude-path': claude,
    // No pull request here: review the last commit, named explicitly.
    'diff-range': 'HEAD~1...HEAD',
    'timeout-minutes': process.env.TIMEOUT_MINUTES ?? '10',
  },
  env: {
    GITHUB_REPOSITORY: 'local/review',
    GITHUB_SHA: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim(),
  },
  afterMain: ({ outputs }) =>
    outputs['findings-file'] ? fs.readFileSync(outputs['findings-file'], 'utf8') : '',
});
await model?.close();

process.stdout.write(`\n${result.summary}\n`);
console.log('Outputs:', result.outputs);
if (result.betweenSteps) console.log('Findings file:', result.betweenSteps);
for (const e of result.errors) console.log(`error: ${e}`);
for (const w of result.warnings) console.log(`warning: ${w}`);
console.log(`main step exit ${result.main.code}, post step exit ${result.post.code}`);
result.cleanup();
fs.rmSync(workspace, { recursive: true, force: true });
process.exit(result.main.code === 0 ? 0 : 1);
