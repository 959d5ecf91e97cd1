/**
 * The generated settings file against the REAL Claude Code CLI: it must load (an invalid file is
 * silently dropped in --print mode, deny rules included) and its rules must bite. A scripted Messages
 * API on 127.0.0.1 makes the "model" call Bash curl, Read .env and git log; the CLI runs in a fresh HOME,
 * config dir and git repository with an env -i style environment.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildRules, CRITICAL_DENIALS } from '../../src/policy/permissions.js';
import { buildSettingsDocument, serializeSettings, settingsCliArgs } from '../../src/policy/settings-file.js';

const CLAUDE = new URL('../../node_modules/.bin/claude', import.meta.url).pathname;
const CANARY = 'CANARY_ENV_VALUE_7f3a9';
const CURL = 'curl http://127.0.0.1:1/';

interface ToolUse {
  name: string;
  input: Record<string, unknown>;
}

const SCRIPT: ToolUse[] = [
  { name: 'Bash', input: { command: CURL } },
  { name: 'Read', input: { file_path: '.env' } },
  { name: 'Bash', input: { command: 'git log --oneline' } },
];

/** Everything the CLI sent to the model API during the current run. */
let requestBodies: string[] = [];
let server: Server;
let baseUrl: string;
let root: string;

function sse(blocks: Array<Record<string, unknown>>, stopReason: string): string {
  const event = (type: string, data: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  let out = event('message_start', {
    message: {
      id: `msg_${requestBodies.length}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 1 },
    },
  });
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      out += event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      out += event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      out += event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
      });
      out += event('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    out += event('content_block_stop', { index });
  });
  out += event('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: 5 },
  });
  return out + event('message_stop', {});
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'cg-settings-cli-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      requestBodies.push(body);
      const { messages } = JSON.parse(body) as { messages: Array<{ content: unknown }> };
      const last = messages[messages.length - 1].content;
      const answered = Array.isArray(last) && last.some((c: { type?: string }) => c.type === 'tool_result');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        answered
          ? sse([{ type: 'text', text: 'done' }], 'end_turn')
          : sse(
              SCRIPT.map((t, i) => ({ type: 'tool_use', id: `toolu_${i}`, ...t })),
              'tool_use',
            ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  settingsPath: string;
  debug: string;
  result: { permission_denials: Array<{ tool_name: string; tool_input: Record<string, unknown> }> };
  sentToModel: string;
}

function git(cwd: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
}

/** One CLI run in a fresh HOME, config dir and repository, with the given settings file text. */
async function runClaude(name: string, settingsText: (repo: string) => string): Promise<Run> {
  const dir = join(root, name);
  const [home, config, repo] = ['home', 'config', 'repo'].map((d) => join(dir, d));
  for (const d of [home, config, repo]) mkdirSync(d, { recursive: true });
  await git(repo, 'init', '-q');
  writeFileSync(join(repo, '.env'), `TOKEN=${CANARY}\n`);
  writeFileSync(join(repo, 'a.txt'), 'hello\n');
  await git(repo, 'add', 'a.txt');
  await git(repo, 'commit', '-qm', 'init');
  const settingsPath = join(dir, 'settings.ci.json');
  writeFileSync(settingsPath, settingsText(repo));
  const debugPath = join(dir, 'debug.log');

  requestBodies = [];
  const args = [
    '--print',
    '--output-format',
    'json',
    '--no-session-persistence',
    '--debug-file',
    debugPath,
    ...settingsCliArgs(settingsPath, CRITICAL_DENIALS),
    '--',
    'Review this repository.',
  ];
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: config,
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'dummy',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(CLAUDE, args, { cwd: repo, env, timeout: 240_000 }, (err, out, errOut) =>
      err ? reject(new Error(`claude failed: ${err.message}\n${errOut}`)) : resolve(out),
    );
    child.stdin?.end(); // with an open stdin pipe, --print waits 3 s for input
  });
  return {
    settingsPath,
    debug: readFileSync(debugPath, 'utf8'),
    result: JSON.parse(stdout) as Run['result'],
    sentToModel: requestBodies.join('\n'),
  };
}

const rulesFor = (repo: string) =>
  buildRules('review', [], [], {
    workspace: repo,
    runnerTemp: join(root, 'runner-temp'),
    home: join(root, 'runner-home'),
  });

const deniedCalls = (run: Run): string[] =>
  run.result.permission_denials.map(
    (d) => `${d.tool_name} ${String(d.tool_input.command ?? d.tool_input.file_path)}`,
  );

/** Debug-log lines in which the CLI reports skipping an invalid settings file. */
const invalidSettingLines = (run: Run): string[] =>
  run.debug
    .split('\n')
    .filter((line) => /Invalid setting|skipped/i.test(line) && line.includes(run.settingsPath));

describe('settings file against the real CLI', () => {
  test('the generated file loads and its rules bite', async () => {
    const run = await runClaude('generated', (repo) =>
      serializeSettings(buildSettingsDocument(rulesFor(repo))),
    );

    expect(invalidSettingLines(run)).toEqual([]);
    expect(run.debug).toMatch(/Adding \d+ deny rule\(s\) to destination 'flagSettings'/);
    expect(requestBodies.length).toBeGreaterThanOrEqual(2);
    const denied = deniedCalls(run);
    expect(denied).toContain(`Bash ${CURL}`);
    expect(denied.some((d) => d.startsWith('Read ') && d.endsWith('/.env'))).toBe(true);
    expect(denied).not.toContain('Bash git log --oneline');
    expect(run.sentToModel).not.toContain(CANARY);
  });

  test('control: a broken file (deny as a string) is dropped silently, and then .env is read', async () => {
    const run = await runClaude('broken', (repo) => {
      const doc = buildSettingsDocument(rulesFor(repo));
      return JSON.stringify({
        ...doc,
        permissions: { ...doc.permissions, deny: doc.permissions.deny.join(',') },
      });
    });

    expect(invalidSettingLines(run).join('\n')).toMatch(/Invalid setting skipped.*permissions\.deny/);
    expect(deniedCalls(run)).toContain(`Bash ${CURL}`);
    expect(run.sentToModel).toContain(CANARY);
  });
});
