/**
 * The isolation levels on the real machine (Linux, as root; CI installs sudo iptables bubblewrap socat
 * acl). Strict: a real agent user, real ACLs and firewall rules, the real proof probe, then a shell run
 * through the launcher that tries the attacks — and a control run of the same shell without isolation
 * that must succeed, so the test can fail. Sandbox: the real Claude Code CLI, driven by a scripted
 * model server, runs a Bash command that tries the same attacks inside its bubblewrap sandbox, and
 * refuses to start when bwrap is missing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { EGRESS_CHAIN } from '../../src/isolation/egress.js';
import { prepareIsolation, undoIsolation, type AgentLauncher } from '../../src/isolation/launcher.js';
import { proveStrict } from '../../src/isolation/prove-strict.js';
import { probeBubblewrap, sandboxSettings } from '../../src/isolation/sandbox.js';
import { realSystem } from '../../src/isolation/system.js';

const TOOLS = [
  'useradd',
  'gpasswd',
  'pkill',
  'setpriv',
  'getfacl',
  'setfacl',
  'iptables',
  'ip6tables',
  'bwrap',
  'socat',
];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const isRoot = process.getuid?.() === 0;
const skipReason =
  process.platform !== 'linux'
    ? 'not Linux'
    : !isRoot
      ? 'not root'
      : missing.length > 0
        ? `missing ${missing.join(', ')} (apt-get install -y sudo iptables bubblewrap socat acl)`
        : '';
if (skipReason) console.warn(`isolation integration tests skipped: ${skipReason}`);
const maybe = skipReason ? describe.skip : describe;

const CANARY = 'CANARY-7f3c9e';
const run = promisify(execFile);

function listen(handler: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined); // probes reset their connections
    handler(socket);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (server: net.Server | http.Server): number => (server.address() as net.AddressInfo).port;

/** A runner-like tree: HOME 0750 with a credential file, RUNNER_TEMP with file commands and checkout credentials, a workspace. */
function fakeRunner(base: string) {
  const home = path.join(base, 'home');
  const runnerTemp = path.join(home, 'work', '_temp');
  const workspace = path.join(home, 'work', 'repo', 'repo');
  for (const dir of [path.join(runnerTemp, '_runner_file_commands'), path.join(workspace, '.git', 'hooks')]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  fs.chmodSync(home, 0o750);
  fs.chmodSync(runnerTemp, 0o755);
  const credential = path.join(runnerTemp, 'git-credentials-1234.config');
  const files: Record<string, string> = {
    [path.join(home, '.npmrc')]: `//registry.npmjs.org/:_authToken=${CANARY}\n`,
    [path.join(runnerTemp, '_runner_file_commands', 'set_env_1')]: '',
    [path.join(runnerTemp, 'step.sh')]: `echo ${CANARY}\n`,
    [credential]: `[http]\n\textraheader = AUTHORIZATION: basic ${CANARY}\n`,
    [path.join(workspace, '.git', 'config')]: '[core]\n',
    [path.join(workspace, 'a.ts')]: 'export const a = 1;\n',
  };
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(file, text, { mode: 0o644 });
  return { home, runnerTemp, workspace, credential };
}

// The runner's-world path (ACLs on the live workspace), which custom and fix modes still use at strict;
// review mode builds the agent's own world instead (world.test.ts).
maybe("strict isolation in the runner's world (real per-run user, ACLs, iptables)", () => {
  let base: string;
  let runner: ReturnType<typeof fakeRunner>;
  let proxy: net.Server;
  let forbidden: net.Server;
  let secretHolder: ReturnType<typeof spawn>;
  let launcher: AgentLauncher;
  const modeBefore = new Map<string, number>();

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-isolation-'));
    runner = fakeRunner(base);
    for (const p of [base, runner.home, runner.runnerTemp, path.join(runner.home, '.npmrc')])
      modeBefore.set(p, fs.statSync(p).mode);
    proxy = await listen((c) => c.end('proxy\n'));
    forbidden = await listen((c) => c.end(`forbidden ${CANARY}\n`));
    secretHolder = spawn('sleep', ['60'], {
      env: { PATH: process.env.PATH ?? '', SECRET: CANARY },
      stdio: 'ignore',
    });
    launcher = await prepareIsolation('strict', {
      system: realSystem,
      workspace: runner.workspace,
      runnerTemp: runner.runnerTemp,
      runnerHome: runner.home,
      proxyPort: portOf(proxy),
      mode: 'review',
      world: false,
    });
  });

  afterAll(async () => {
    secretHolder?.kill('SIGKILL');
    proxy?.close();
    forbidden?.close();
    if (launcher) await undoIsolation(launcher.undo, realSystem);
    fs.rmSync(base, { recursive: true, force: true });
  });

  test('the proof probe, run as the agent user, finds every forbidden action blocked and the proxy reachable', async () => {
    const checks = await proveStrict({
      system: realSystem,
      launcher,
      proxyPort: portOf(proxy),
      paths: {
        runnerTemp: runner.runnerTemp,
        runnerHome: runner.home,
        workspace: runner.workspace,
        credentialFiles: [runner.credential],
        sensitivePids: [process.pid, secretHolder.pid as number],
      },
      mode: 'review',
    });
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(checks.every((c) => c.pass)).toBe(true);
    expect(byName.get(`connect to the key proxy 127.0.0.1:${portOf(proxy)}`)?.observed).toMatch(/^succeeded/);
    expect(byName.get(`read /proc/${secretHolder.pid}/environ`)?.observed).toMatch(/^failed: EACCES/);
    expect(byName.get(`read ${runner.credential}`)?.observed).toMatch(/^failed/);
    expect(byName.get(`read ${path.join(runner.home, '.npmrc')}`)?.observed).toMatch(/^failed: EACCES/);
    expect(byName.get('list the workspace')?.observed).toMatch(/^succeeded/);
    expect(byName.get('create a file in the workspace')?.observed).toMatch(/^failed: EACCES/);
    expect(checks.filter((c) => c.name.startsWith('UDP') || c.name.includes('[::1]'))).toHaveLength(2);
  });

  const ATTACK = (pid: number, forbiddenPort: number, proxyPort: number, canaryFile: string) =>
    [
      `cat /proc/${pid}/environ | tr '\\0' '\\n' | grep SECRET`,
      `cat ${canaryFile}`,
      `exec 3<>/dev/tcp/127.0.0.1/${forbiddenPort} && cat <&3`,
      `exec 4<>/dev/tcp/127.0.0.1/${proxyPort} && cat <&4`,
      'id -u',
    ].join('; ');

  test('a shell run through the launcher cannot read secrets or reach other ports; the same shell without isolation can', async () => {
    const attack = ATTACK(secretHolder.pid as number, portOf(forbidden), portOf(proxy), runner.credential);
    const wrapped = launcher.wrap('/bin/bash', ['-c', attack], { PATH: '/usr/bin:/bin' });
    const isolated = await run(wrapped.command, wrapped.args, {
      env: wrapped.env,
      cwd: runner.workspace,
    }).catch((e: { stdout: string; stderr: string }) => e);
    expect(isolated.stdout).not.toContain(CANARY);
    expect(isolated.stdout).toContain('proxy');
    expect(isolated.stdout).toContain(String(launcher.uid));
    expect(isolated.stderr).toMatch(/Permission denied/);
    expect(isolated.stderr).toMatch(/Connection refused/);

    const control = await run('/bin/bash', ['-c', attack], { env: { PATH: '/usr/bin:/bin' } }).catch(
      (e: { stdout: string }) => e,
    );
    expect(control.stdout.split(CANARY).length - 1).toBe(3);
  });

  test('undo removes the chain, the ACLs and the agent directory, and restores the modes; twice is harmless', async () => {
    const agentDir = launcher.agentDir;
    expect(fs.existsSync(agentDir)).toBe(true);
    const chain = launcher.undo.egress?.chain as string;
    expect(chain.startsWith(EGRESS_CHAIN)).toBe(true);
    expect(spawnSync('iptables', ['-w', '-S', chain]).status).toBe(0);
    expect(fs.statSync(path.join(runner.home, '.npmrc')).mode & 0o007).toBe(0);
    const record = JSON.parse(JSON.stringify(launcher.undo));
    expect(await undoIsolation(record, realSystem)).toEqual([]);
    expect(await undoIsolation(record, realSystem)).toEqual([]);
    expect(spawnSync('iptables', ['-w', '-S', chain]).status).not.toBe(0);
    expect(spawnSync('ip6tables', ['-w', '-S', chain]).status).not.toBe(0);
    expect(spawnSync('iptables', ['-w', '-S', 'OUTPUT'], { encoding: 'utf8' }).stdout).not.toContain(chain);
    expect(spawnSync('id', ['-u', record.agentUser]).status).not.toBe(0);
    expect(
      spawnSync('getfacl', ['-R', '--skip-base', '--absolute-names', base], { encoding: 'utf8' }).stdout,
    ).toBe('');
    expect(fs.existsSync(agentDir)).toBe(false);
    for (const [p, mode] of modeBefore) expect(fs.statSync(p).mode).toBe(mode);
  });
});

/** A scripted Messages API: the first turn asks for one Bash command, the next turn ends. */
async function modelServer(command: string): Promise<{ server: http.Server; toolResults: string[] }> {
  const toolResults: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        res.writeHead(200).end();
        return;
      }
      const request = JSON.parse(body) as { model: string; messages: { content: unknown }[] };
      const last = request.messages[request.messages.length - 1].content;
      const result = Array.isArray(last)
        ? last.find((c: { type: string }) => c.type === 'tool_result')
        : undefined;
      if (result) toolResults.push(JSON.stringify(result));
      const send = (event: string, data: object) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      send('message_start', {
        type: 'message_start',
        message: {
          id: 'm',
          type: 'message',
          role: 'assistant',
          model: request.model,
          content: [],
          stop_reason: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      });
      const block = result
        ? { type: 'text', text: '' }
        : { type: 'tool_use', id: `toolu_${toolResults.length}`, name: 'Bash', input: {} };
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: block });
      send('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: result
          ? { type: 'text_delta', text: 'done' }
          : { type: 'input_json_delta', partial_json: JSON.stringify({ command, description: 'probe' }) },
      });
      send('content_block_stop', { type: 'content_block_stop', index: 0 });
      send('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: result ? 'end_turn' : 'tool_use' },
        usage: { output_tokens: 1 },
      });
      send('message_stop', { type: 'message_stop' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, toolResults };
}

maybe('sandbox level (real Claude Code CLI)', () => {
  const claude = path.resolve('node_modules/.bin/claude');
  let base: string;
  let runner: ReturnType<typeof fakeRunner>;
  let forbidden: net.Server;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-sandbox-'));
    runner = fakeRunner(base);
    forbidden = await listen((c) => c.end(`forbidden ${CANARY}\n`));
  });
  afterAll(() => {
    forbidden?.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  async function runClaude(command: string, pathDirs: string) {
    const { server, toolResults } = await modelServer(command);
    const dir = fs.mkdtempSync(path.join(base, 'agent-'));
    const settings = path.join(dir, 'settings.json');
    const sandbox = sandboxSettings({ runnerTemp: runner.runnerTemp, runnerHome: runner.home });
    fs.writeFileSync(
      settings,
      JSON.stringify({ permissions: { allow: ['Bash'], defaultMode: 'dontAsk' }, sandbox }),
    );
    const env = {
      PATH: pathDirs,
      HOME: dir,
      ANTHROPIC_API_KEY: 'per-run-token',
      ANTHROPIC_BASE_URL: `http://127.0.0.1:${portOf(server)}`,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
    const args = [
      '-p',
      '--settings',
      settings,
      '--setting-sources',
      '',
      '--strict-mcp-config',
      '--no-session-persistence',
      '--output-format',
      'json',
      '--',
      'go',
    ];
    // Asynchronously: the model server lives in this process and must answer while the CLI runs.
    const child = spawn(claude, args, { env, cwd: runner.workspace, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    server.close();
    return { status, stderr, toolResults };
  }

  test('probeBubblewrap reports bwrap usable here', async () => {
    expect(await probeBubblewrap(realSystem)).toEqual({ ok: true });
  });

  test("Bash inside the sandbox cannot reach a loopback listener, RUNNER_TEMP, HOME credentials or the runner's environ", async () => {
    const attack = [
      'echo STARTED',
      `exec 3<>/dev/tcp/127.0.0.1/${portOf(forbidden)} && cat <&3`,
      `cat ${runner.credential} ${path.join(runner.runnerTemp, 'step.sh')} ${path.join(runner.home, '.npmrc')}`,
      `cat /proc/${process.pid}/environ`,
    ].join('; ');
    const { status, toolResults } = await runClaude(attack, '/usr/local/bin:/usr/bin:/bin');
    expect(status).toBe(0);
    expect(toolResults).toHaveLength(1);
    expect(toolResults[0]).toContain('STARTED');
    expect(toolResults[0]).not.toContain(CANARY);
    expect(toolResults[0]).toMatch(/Connection refused/);
  });

  test('without bwrap on PATH the CLI refuses to start (failIfUnavailable) and runs nothing', async () => {
    const bin = fs.mkdtempSync(path.join(base, 'bin-'));
    for (const tool of ['bash', 'sh', 'git', 'socat', 'cat', 'env']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      if (found) fs.symlinkSync(found, path.join(bin, tool));
    }
    const { status, stderr, toolResults } = await runClaude('echo STARTED', bin);
    expect(status).not.toBe(0);
    expect(stderr).toMatch(/sandbox required but unavailable/);
    expect(toolResults).toEqual([]);
  });
});
