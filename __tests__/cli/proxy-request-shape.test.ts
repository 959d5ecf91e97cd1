/**
 * The key proxy's allow-list against the REAL pinned Claude Code CLI (docs/claude-code-facts.md,
 * "Requests to the model API"). A review session — several tool calls, an image read, text, the
 * StructuredOutput answer of --json-schema — runs with the action's flags and environment, first straight
 * against a recording model server: every request the CLI made must pass `checkRequest` with no header
 * dropped. So when a new CLI version sends a path, header, beta, body field, block or tool shape the
 * allow-list does not know, this test fails and names it. Then the same session runs through the proxy
 * itself and must succeed with every request forwarded.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkRequest,
  createKeyProxy,
  newProxyToken,
  type AuditEntry,
} from '../../src/isolation/proxy/index.js';
import { startModelServer, type RecordedRequest, type Turn } from '../e2e/support/index.mjs';

const CLAUDE = fs.realpathSync(new URL('../../node_modules/.bin/claude', import.meta.url).pathname);

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const SCHEMA = {
  type: 'object',
  properties: { summary: { type: 'string' }, findings: { type: 'array' } },
  required: ['summary', 'findings'],
};

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};

function repository(): string {
  const dir = tmp('proxy-cli-repo-');
  fs.writeFileSync(path.join(dir, 'a.js'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(dir, 'p.png'), Buffer.from(PNG, 'base64'));
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'a');
  return dir;
}

/** A review session: tool calls (Bash, Read of text and an image, Grep, Glob), text, the structured answer. */
function reviewScript(repo: string): Turn[] {
  return [
    {
      toolUses: [
        { name: 'Bash', input: { command: 'git log --oneline -1' } },
        { name: 'Read', input: { file_path: path.join(repo, 'a.js') } },
        { name: 'Read', input: { file_path: path.join(repo, 'p.png') } },
      ],
    },
    {
      toolUses: [
        { name: 'Grep', input: { pattern: 'a' } },
        { name: 'Glob', input: { pattern: '**/*.js' } },
      ],
    },
    { text: 'Looked at everything.' },
    { structured: { summary: 'ok', findings: [] } },
  ];
}

/** Runs the CLI the way the action does (src/agent/claude-cli.ts, src/policy/child-env.ts). */
async function runCli(
  baseUrl: string,
  apiKey: string,
  repo: string,
  extraArgs: string[],
): Promise<{ code: number | null; result: Record<string, unknown> | undefined }> {
  const home = tmp('proxy-cli-home-');
  const args = [
    ...extraArgs,
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    '--no-session-persistence',
    '--permission-mode',
    'dontAsk',
    '--max-turns',
    '10',
    '--json-schema',
    JSON.stringify(SCHEMA),
    '--setting-sources',
    '',
    '--strict-mcp-config',
    '--tools',
    'Bash,Read,Grep,Glob',
    '--allowedTools',
    'Bash(git log:*)',
    'Read',
    'Grep',
    'Glob',
    '--',
    'Review the change.',
  ];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    TMPDIR: home,
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    API_TIMEOUT_MS: '60000',
  };
  const child = spawn(CLAUDE, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const lines = out
    .trim()
    .split('\n')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
  return { code, result: lines.find((l) => l.type === 'result') };
}

/** What the allow-list says about one recorded request ('' when forwarded untouched). */
function verdict(r: RecordedRequest): string {
  const decision = checkRequest({
    method: r.method,
    target: r.url,
    headers: r.headers,
    body: Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)),
  });
  if (!decision.allowed) return `${r.method} ${r.url}: ${decision.reason}`;
  return decision.dropped.length
    ? `${r.method} ${r.url}: headers not forwarded: ${decision.dropped.join(', ')}`
    : '';
}

describe('Claude Code 2.1.332 sends only what the proxy forwards', () => {
  test.each([
    ['the default model', []],
    ['an older model (thinking budget, fewer betas)', ['--model', 'claude-sonnet-4-5-20250929']],
    ['Haiku 3.5 (no thinking)', ['--model', 'claude-3-5-haiku-20241022']],
    [
      '--effort max, --fallback-model, --append-system-prompt, --betas context-1m-2025-08-07',
      [
        '--effort',
        'max',
        '--fallback-model',
        'haiku',
        '--append-system-prompt',
        'Be brief.',
        '--betas',
        'context-1m-2025-08-07',
      ],
    ],
  ])('%s: every request passes the allow-list with no header dropped', async (_name, extraArgs) => {
    const repo = repository();
    const model = await startModelServer({ script: reviewScript(repo) });
    try {
      const { code, result } = await runCli(
        model.url,
        'dummy-token-0123456789abcdef0123456789abcdef',
        repo,
        extraArgs,
      );
      expect({ code, structured: result?.structured_output }).toEqual({
        code: 0,
        structured: { summary: 'ok', findings: [] },
      });
      expect(model.requests.filter((r) => r.mainLoop)).toHaveLength(4);
      expect(model.requests.map(verdict).filter(Boolean)).toEqual([]);
    } finally {
      await model.close();
    }
  });

  test('the same session through the key proxy: every request forwarded, none refused', async () => {
    const repo = repository();
    const model = await startModelServer({ script: reviewScript(repo) });
    const token = newProxyToken();
    const audit: AuditEntry[] = [];
    const proxy = createKeyProxy({
      upstream: model.url,
      apiKey: 'sk-ant-api03-the-real-key-0123456789',
      token,
      budgetUsd: 100,
      onAudit: (e) => audit.push(e),
    });
    const port = await proxy.listen();
    try {
      const { code, result } = await runCli(`http://127.0.0.1:${port}`, token, repo, []);
      expect({ code, structured: result?.structured_output }).toEqual({
        code: 0,
        structured: { summary: 'ok', findings: [] },
      });
      expect(audit.filter((e) => e.event !== 'forwarded')).toEqual([]);
      expect(proxy.usage()).toMatchObject({ requests: model.requests.length, refused: 0, unmetered: 0 });
      expect(
        model.requests.every((r) => r.headers['x-api-key'] === 'sk-ant-api03-the-real-key-0123456789'),
      ).toBe(true);
    } finally {
      await proxy.close();
      await model.close();
    }
  });
});
