/**
 * The agent's world at strict (review mode), on the real machine (Linux, as root, with bwrap, setpriv,
 * iptables): two runs prepared side by side on a runner-like tree full of canaries — the runner's HOME
 * (~/.gitconfig with an insteadOf token, ~/.m2/settings.xml, ~/.aws/credentials), RUNNER_TEMP (a step
 * script, gha-creds-*.json), untracked workspace files (.env, build output), checkout credentials in
 * .git/config, /run/lock. Each run gets its own uid and firewall chain; the proof probe (inventory of
 * every readable file, every writable place) passes; a shell inside reads none of the canaries, sees only
 * its own processes, can use git and run the CLI; what run 1 writes anywhere is not there for run 2;
 * teardown removes users, chains and directories. A control run of the same shell outside the world
 * reads the canaries, so the test can fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { prepareIsolation, undoIsolation, type AgentLauncher } from '../../src/isolation/launcher.js';
import { proveStrict } from '../../src/isolation/prove-strict.js';
import { realSystem } from '../../src/isolation/system.js';

const TOOLS = ['useradd', 'userdel', 'setpriv', 'bwrap', 'iptables-restore', 'ip6tables-restore', 'git'];
const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skipReason =
  process.platform !== 'linux'
    ? 'not Linux'
    : process.getuid?.() !== 0
      ? 'not root'
      : missing.length
        ? `missing ${missing.join(', ')}`
        : '';
if (skipReason) console.warn(`world integration tests skipped: ${skipReason}`);
const maybe = skipReason ? describe.skip : describe;

const CANARY = 'CANARY-w0r1d-5e7a';
const run = promisify(execFile);
const claude = path.resolve('node_modules/.bin/claude');

function listen(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('proxy\n');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: '/usr/bin:/bin',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@x',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@x',
    },
  });
}

/** A runner-like tree with canaries everywhere the agent must not reach. */
function fakeRunner(base: string) {
  const home = path.join(base, 'home');
  const runnerTemp = path.join(home, 'work', '_temp');
  const workspace = path.join(home, 'work', 'repo', 'repo');
  fs.mkdirSync(runnerTemp, { recursive: true });
  fs.mkdirSync(workspace, { recursive: true });
  fs.chmodSync(home, 0o755);
  git(workspace, 'init', '--quiet', '-b', 'main');
  fs.writeFileSync(path.join(workspace, 'a.ts'), 'export const a = 1;\n');
  git(workspace, 'add', 'a.ts');
  git(workspace, 'commit', '--quiet', '-m', 'base');
  fs.writeFileSync(path.join(workspace, 'a.ts'), 'export const a = 2;\n');
  git(workspace, 'commit', '--quiet', '-am', 'head');
  fs.appendFileSync(
    path.join(workspace, '.git', 'config'),
    `[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic ${CANARY}-checkout\n`,
  );
  const canaries: Record<string, string> = {
    [path.join(home, '.gitconfig')]:
      `[url "https://x-access-token:${CANARY}-gitconfig@github.com/"]\n\tinsteadOf = https://github.com/\n`,
    [path.join(home, '.m2', 'settings.xml')]: `<settings><password>${CANARY}-m2</password></settings>\n`,
    [path.join(home, '.aws', 'credentials')]: `[default]\naws_secret_access_key = ${CANARY}-aws\n`,
    [path.join(runnerTemp, 'a1b2c3.sh')]: `export TOKEN=${CANARY}-step\n`,
    [path.join(runnerTemp, 'gha-creds-123.json')]: `{"private_key":"${CANARY}-gha"}\n`,
    [path.join(workspace, '.env')]: `SECRET=${CANARY}-env\n`,
    [path.join(workspace, 'dist', 'config.js')]: `module.exports = "${CANARY}-build";\n`,
    [`/run/lock/claude-guard-canary-${process.pid}`]: `${CANARY}-runlock\n`,
  };
  for (const [file, text] of Object.entries(canaries)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o644 });
  }
  return { home, runnerTemp, workspace, canaries: Object.keys(canaries) };
}

maybe("strict: the agent's world (two runs side by side)", () => {
  let base: string;
  let runner: ReturnType<typeof fakeRunner>;
  const proxies: net.Server[] = [];
  const launchers: AgentLauncher[] = [];

  const prepare = (proxy: net.Server) =>
    prepareIsolation('strict', {
      system: realSystem,
      workspace: runner.workspace,
      runnerTemp: runner.runnerTemp,
      runnerHome: runner.home,
      proxyPort: portOf(proxy),
      mode: 'review',
      git: 'git',
    });

  async function inWorld(launcher: AgentLauncher, script: string) {
    // As the action's child environment does (child-env.ts): the copy is not the agent's own.
    const env = { PATH: '/usr/bin:/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory' };
    const wrapped = launcher.wrap('/bin/bash', ['-c', script], {
      ...env,
      GIT_CONFIG_VALUE_0: runner.workspace,
    });
    return run(wrapped.command, wrapped.args, { env: wrapped.env, timeout: 60000 }).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
  }

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-world-'));
    fs.chmodSync(base, 0o755);
    runner = fakeRunner(base);
    proxies.push(await listen(), await listen());
    // Two runs prepared at once, as two runner services on one host would.
    launchers.push(...(await Promise.all(proxies.map(prepare))));
  });

  afterAll(async () => {
    for (const launcher of launchers) await undoIsolation(launcher.undo, realSystem);
    for (const proxy of proxies) proxy.close();
    fs.rmSync(`/run/lock/claude-guard-canary-${process.pid}`, { force: true });
    fs.rmSync(base, { recursive: true, force: true });
  });

  test('each run has its own fresh uid and its own firewall chain', () => {
    const [a, b] = launchers;
    expect(a.uid).not.toBe(b.uid);
    expect(a.undo.agentUser).toMatch(/^claude-guard-[0-9a-f]{8}$/);
    expect(a.undo.agentUser).not.toBe(b.undo.agentUser);
    expect(a.undo.egress?.chain).not.toBe(b.undo.egress?.chain);
    const rules = execFileSync('iptables', ['-w', '-S'], { encoding: 'utf8' });
    expect(rules).toContain(`--uid-owner ${a.uid} -m tcp --dport ${portOf(proxies[0])} -j ACCEPT`);
    expect(rules).toContain(`--uid-owner ${b.uid} -m tcp --dport ${portOf(proxies[1])} -j ACCEPT`);
  });

  test('the proof probe passes: every readable file is tracked or public, every canary unreachable', async () => {
    const checks = await proveStrict({
      system: realSystem,
      launcher: launchers[0],
      proxyPort: portOf(proxies[0]),
      paths: {
        runnerTemp: runner.runnerTemp,
        runnerHome: runner.home,
        workspace: runner.workspace,
        credentialFiles: [],
        sensitivePids: [process.pid],
      },
      mode: 'review',
      canaries: runner.canaries,
    });
    const failed = checks.filter((c) => !c.pass);
    expect(failed).toEqual([]);
    const inventory = checks.find((c) => c.name.startsWith('every readable file'));
    expect(inventory?.observed).toBe('exact');
    expect(checks.filter((c) => c.name.startsWith('read canary'))).toHaveLength(runner.canaries.length);
  });

  test('a shell in the world reads no canary, sees only its own processes, can use git; outside it reads them', async () => {
    const attack = [
      ...runner.canaries.map((f) => `cat ${f}`),
      `cat ${runner.workspace}/.git/config`,
      `git -C ${runner.workspace} log --format=%s`,
      'echo PROCS $(ls /proc | grep -c "^[0-9]")',
      'echo UID $(id -u)',
      'echo HOME $HOME $(ls -A $HOME | wc -l)',
    ].join('; ');
    const inside = await inWorld(launchers[0], attack);
    expect(inside.stdout).not.toContain(CANARY);
    expect(inside.stdout).toMatch(/^head\nbase$/m);
    expect(inside.stdout).toContain(`UID ${launchers[0].uid}`);
    expect(Number(/PROCS (\d+)/.exec(inside.stdout)?.[1])).toBeLessThan(8);
    expect(inside.stdout).toMatch(/HOME \/tmp\/claude-guard\/home 0/);
    expect(inside.stdout).toContain('repositoryformatversion');

    const control = await run('/bin/bash', ['-c', attack], { env: { PATH: '/usr/bin:/bin' } }).catch(
      (e: { stdout: string }) => e,
    );
    for (const name of ['gitconfig', 'm2', 'aws', 'step', 'gha', 'env', 'build', 'runlock', 'checkout'])
      expect(control.stdout).toContain(`${CANARY}-${name}`);
  });

  test('the real CLI runs inside the world', async () => {
    const wrapped = launchers[0].wrap(claude, ['--version'], { PATH: '/usr/bin:/bin' });
    const { stdout } = await run(wrapped.command, wrapped.args, { env: wrapped.env, timeout: 60000 });
    expect(stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  test('what one run leaves in any writable place is not there for the other, nor after it ends', async () => {
    const places = ['/tmp', '/var/tmp', '/dev/shm', '/run/lock', '/run', '$HOME'];
    const write = places.map((p) => `echo left > ${p}/left-${process.pid} 2>/dev/null && echo WROTE ${p}`);
    const wrote = await inWorld(launchers[0], write.join('; '));
    expect(wrote.stdout).toMatch(/WROTE \/tmp/);
    const look = places.map((p) => `test -e ${p}/left-${process.pid} && echo FOUND ${p}`).join('; ');
    const other = await inWorld(launchers[1], look);
    expect(other.stdout).not.toMatch(/FOUND/);
    const again = await inWorld(launchers[0], look);
    expect(again.stdout).not.toMatch(/FOUND/);
    for (const dir of ['/tmp', '/var/tmp', '/dev/shm', '/run/lock'])
      expect(fs.existsSync(`${dir}/left-${process.pid}`)).toBe(false);
  });

  test('teardown removes both users, both chains and both directories; twice is harmless', async () => {
    for (const launcher of launchers) {
      const record = JSON.parse(JSON.stringify(launcher.undo));
      expect(await undoIsolation(record, realSystem)).toEqual([]);
      expect(await undoIsolation(record, realSystem)).toEqual([]);
      expect(spawnSync('id', ['-u', record.agentUser]).status).not.toBe(0);
      expect(spawnSync('iptables', ['-w', '-S', record.egress.chain]).status).not.toBe(0);
      expect(spawnSync('ip6tables', ['-w', '-S', record.egress.chain]).status).not.toBe(0);
      for (const dir of record.dirs) expect(fs.existsSync(dir)).toBe(false);
    }
  });
});

maybe('strict: what the agent may write in its own copy (fix and custom modes)', () => {
  let base: string;
  let runner: ReturnType<typeof fakeRunner>;
  let proxy: net.Server;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-world-modes-'));
    fs.chmodSync(base, 0o755);
    runner = fakeRunner(base);
    proxy = await listen();
  });

  afterAll(() => {
    proxy.close();
    fs.rmSync(`/run/lock/claude-guard-canary-${process.pid}`, { force: true });
    fs.rmSync(base, { recursive: true, force: true });
  });

  // Each write prints its marker only when it worked.
  const attempts = [
    'echo fixed >> a.ts && echo WROTE-FIX-FILE',
    'echo x > new.txt && echo WROTE-NEW-FILE',
    'echo x >> .git/config && echo WROTE-GIT-CONFIG',
    'mkdir .git/hooks && echo WROTE-GIT-HOOKS',
    'echo x >> .git/HEAD && echo WROTE-GIT-HEAD',
    'chmod +x a.ts; git status --porcelain',
  ].join('; ');

  test.each<['fix' | 'custom', string[], string[]]>([
    ['fix', ['WROTE-FIX-FILE'], ['WROTE-NEW-FILE', 'WROTE-GIT-CONFIG', 'WROTE-GIT-HOOKS', 'WROTE-GIT-HEAD']],
    [
      'custom',
      ['WROTE-FIX-FILE', 'WROTE-NEW-FILE'],
      ['WROTE-GIT-CONFIG', 'WROTE-GIT-HOOKS', 'WROTE-GIT-HEAD'],
    ],
  ])(
    '%s mode: the proof passes; it writes %j in its copy and never %j; the workspace is untouched',
    async (mode, wrote, never) => {
      const before = fs.readFileSync(path.join(runner.workspace, 'a.ts'), 'utf8');
      const launcher = await prepareIsolation('strict', {
        system: realSystem,
        workspace: runner.workspace,
        runnerTemp: runner.runnerTemp,
        runnerHome: runner.home,
        proxyPort: portOf(proxy),
        mode,
        fixPaths: mode === 'fix' ? ['a.ts'] : undefined,
        git: 'git',
      });
      try {
        const checks = await proveStrict({
          system: realSystem,
          launcher,
          proxyPort: portOf(proxy),
          paths: {
            runnerTemp: runner.runnerTemp,
            runnerHome: runner.home,
            workspace: runner.workspace,
            credentialFiles: [],
            sensitivePids: [process.pid],
          },
          mode: mode === 'fix' ? 'review' : 'custom',
          canaries: runner.canaries,
        });
        expect(checks.filter((c) => !c.pass)).toEqual([]);
        const env = { PATH: '/usr/bin:/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory' };
        const wrapped = launcher.wrap('/bin/bash', ['-c', attempts], {
          ...env,
          GIT_CONFIG_VALUE_0: runner.workspace,
        });
        const out = await run(wrapped.command, wrapped.args, {
          env: wrapped.env,
          cwd: '/',
          timeout: 60000,
        }).catch((e: { stdout: string; stderr: string }) => e);
        for (const marker of wrote) expect(out.stdout).toContain(marker);
        for (const marker of never) expect(out.stdout).not.toContain(marker);
        expect(out.stdout).not.toContain(CANARY);
        // The change is in the agent's copy, where the action reads it; none of it in the live workspace.
        const copy = launcher.world?.copy as string;
        expect(fs.readFileSync(path.join(copy, 'a.ts'), 'utf8')).toBe(`${before}fixed\n`);
        expect(fs.readFileSync(path.join(runner.workspace, 'a.ts'), 'utf8')).toBe(before);
        expect(fs.existsSync(path.join(runner.workspace, 'new.txt'))).toBe(false);
        expect(git(runner.workspace, 'status', '--porcelain', '--untracked-files=no')).toBe('');
      } finally {
        expect(await undoIsolation(launcher.undo, realSystem)).toEqual([]);
      }
      for (const dir of launcher.undo.dirs) expect(fs.existsSync(dir)).toBe(false);
    },
  );
});
