import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { probeCapabilities } from '../../src/isolation/preflight.js';
import {
  judgeProbe,
  strictAttempts,
  type ProbeAttempt,
  type ProbeOutcome,
} from '../../src/isolation/proof-attempts.js';
import { PROBE_SCRIPT } from '../../src/isolation/probe-script.js';
import { IsolationProofError } from '../../src/isolation/prove-strict.js';
import { FakeSystem } from '../support/fake-system.js';

const base = {
  paths: {
    runnerTemp: '/w/_temp',
    runnerHome: '/home/runner',
    workspace: '/w/r/r',
    credentialFiles: ['/w/_temp/git-credentials-1.config'],
    sensitivePids: [10, 20],
  },
  mode: 'review' as const,
  proxyPort: 4000,
  forbiddenTcpPort: 4001,
  forbiddenUdpPort: 4002,
  forbiddenTcp6Port: 4003,
  resolver: '10.0.0.53',
  runnerTempFiles: ['/w/_temp/_runner_file_commands/set_env_1'],
  homeSecrets: ['/home/runner/.npmrc'],
  agentUid: 995,
};

describe('strictAttempts', () => {
  const byName = (attempts: ProbeAttempt[]) => new Map(attempts.map((a) => [a.name, a.expected]));

  test.each([
    ['read /proc/10/environ', 'blocked'],
    ['read /proc/20/environ', 'blocked'],
    ['list RUNNER_TEMP', 'blocked'],
    ['read /w/_temp/_runner_file_commands/set_env_1', 'blocked'],
    ['open /w/_temp/_runner_file_commands/set_env_1 for append', 'blocked'],
    ['list the runner HOME', 'blocked'],
    ['read /home/runner/.npmrc', 'blocked'],
    ['read /w/_temp/git-credentials-1.config', 'blocked'],
    ['sudo -n true', 'blocked'],
    ['connect to the key proxy 127.0.0.1:4000', 'allowed'],
    ['connect to another loopback port 127.0.0.1:4001', 'blocked'],
    ['UDP to a loopback listener 127.0.0.1:4002', 'blocked'],
    ['DNS query to 127.0.0.1:53', 'blocked'],
    ['DNS query to the resolver 10.0.0.53:53', 'blocked'],
    ['connect to [::1]:4003', 'blocked'],
    ['list the workspace', 'allowed'],
    ['create a file in the workspace', 'blocked'],
    ['create a file in .git/hooks', 'blocked'],
    ['open .git/config for append', 'blocked'],
    ['runs as uid 995', 'allowed'],
  ])('review mode: %s is %s', (name, expected) => {
    expect(byName(strictAttempts(base)).get(name)).toBe(expected);
  });

  test('custom mode allows writing the workspace but not .git', () => {
    const attempts = byName(strictAttempts({ ...base, mode: 'custom' }));
    expect(attempts.get('create a file in the workspace')).toBe('allowed');
    expect(attempts.get('create a file in .git/hooks')).toBe('blocked');
    expect(attempts.get('open .git/config for append')).toBe('blocked');
  });

  test('names are unique (outcomes are matched by name)', () => {
    const names = strictAttempts(base).map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('judgeProbe', () => {
  const attempts: ProbeAttempt[] = [
    { name: 'whoami', expected: 'allowed', op: { kind: 'whoami' } },
    { name: 'proxy', expected: 'allowed', op: { kind: 'tcp', host: '127.0.0.1', port: 1 } },
    { name: 'secret', expected: 'blocked', op: { kind: 'read', target: '/s' } },
  ];
  const outcome = (name: string, succeeded: boolean, detail = 'x'): ProbeOutcome => ({
    name,
    succeeded,
    detail,
  });

  test.each<[string, ProbeOutcome[], boolean[]]>([
    [
      'all as expected',
      [outcome('whoami', true, '995'), outcome('proxy', true), outcome('secret', false, 'EACCES')],
      [true, true, true],
    ],
    [
      'a forbidden read succeeded',
      [outcome('whoami', true, '995'), outcome('proxy', true), outcome('secret', true)],
      [true, true, false],
    ],
    [
      'the proxy is unreachable',
      [outcome('whoami', true, '995'), outcome('proxy', false), outcome('secret', false)],
      [true, false, true],
    ],
    [
      'the probe ran as the wrong uid',
      [outcome('whoami', true, '0'), outcome('proxy', true), outcome('secret', false)],
      [false, true, true],
    ],
    ['an outcome is missing', [outcome('whoami', true, '995'), outcome('proxy', true)], [true, true, false]],
  ])('%s', (_name, outcomes, passes) => {
    expect(judgeProbe(attempts, outcomes, 995).map((c) => c.pass)).toEqual(passes);
  });

  test('the proof error lists what succeeded', () => {
    const checks = judgeProbe(
      attempts,
      [outcome('whoami', true, '995'), outcome('proxy', true), outcome('secret', true, 'read 5 bytes')],
      995,
    );
    expect(new IsolationProofError(checks).message).toMatch(
      /secret \(expected blocked, succeeded: read 5 bytes\)/,
    );
  });
});

describe('the probe script detects what it is looking for', () => {
  // Run without isolation, every attempt must SUCCEED: a probe that cannot see a success would prove nothing.
  // (Asynchronously: the listeners live in this process and must answer while the probe runs.)
  const runProbe = async (attempts: ProbeAttempt[]): Promise<ProbeOutcome[]> => {
    const script = path.join(dir, 'probe.cjs');
    writeFileSync(script, PROBE_SCRIPT);
    const { stdout } = await promisify(execFile)(process.execPath, [script, JSON.stringify(attempts)], {
      timeout: 20000,
    });
    return JSON.parse(stdout) as ProbeOutcome[];
  };
  let dir: string;
  let tcp: net.Server;
  let udp: dgram.Socket;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'probe-test-'));
    writeFileSync(path.join(dir, 'secret'), 'canary');
    tcp = net.createServer((c) => {
      c.on('error', () => undefined);
      c.end();
    });
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    udp = dgram.createSocket('udp4');
    udp.on('message', (m, from) => udp.send(m, from.port, from.address));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  });
  afterAll(() => {
    tcp.close();
    udp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads, lists, appends, creates, connects and gets UDP answers when nothing stops it', async () => {
    const port = (tcp.address() as net.AddressInfo).port;
    const attempts: ProbeAttempt[] = [
      { name: 'read', expected: 'blocked', op: { kind: 'read', target: path.join(dir, 'secret') } },
      { name: 'list', expected: 'blocked', op: { kind: 'list', target: dir } },
      { name: 'append', expected: 'blocked', op: { kind: 'append', target: path.join(dir, 'secret') } },
      { name: 'create', expected: 'blocked', op: { kind: 'create', target: path.join(dir, 'new') } },
      { name: 'tcp', expected: 'blocked', op: { kind: 'tcp', host: '127.0.0.1', port } },
      { name: 'udp', expected: 'blocked', op: { kind: 'udp', host: '127.0.0.1', port: udp.address().port } },
      { name: 'dns', expected: 'blocked', op: { kind: 'dns', host: '127.0.0.1', port: udp.address().port } },
      { name: 'whoami', expected: 'allowed', op: { kind: 'whoami' } },
    ];
    const outcomes = await runProbe(attempts);
    expect(outcomes.filter((o) => !o.succeeded)).toEqual([]);
    expect(outcomes.find((o) => o.name === 'whoami')?.detail).toBe(String(process.getuid?.()));
    expect(readdirSync(dir).sort()).toEqual(['probe.cjs', 'secret']);
  });

  test('reports failures with their error code', async () => {
    const attempts: ProbeAttempt[] = [
      { name: 'missing', expected: 'blocked', op: { kind: 'read', target: path.join(dir, 'nope') } },
      { name: 'closed', expected: 'blocked', op: { kind: 'tcp', host: '127.0.0.1', port: 1 } },
    ];
    expect(await runProbe(attempts)).toEqual([
      { name: 'missing', succeeded: false, detail: 'ENOENT' },
      { name: 'closed', succeeded: false, detail: 'ECONNREFUSED' },
    ]);
  });
});

describe('probeCapabilities (fake machine)', () => {
  test('firewall checks create and remove their probe chain', async () => {
    const system = new FakeSystem();
    const caps = await probeCapabilities(system);
    expect(caps).toMatchObject({
      isLinux: true,
      isRoot: true,
      sudoWorks: true,
      iptablesWorks: true,
      ip6tablesWorks: true,
    });
    expect([...system.firewall.iptables.chains.keys()]).toEqual(['OUTPUT']);
    expect([...system.firewall.ip6tables.chains.keys()]).toEqual(['OUTPUT']);
  });

  test('a missing owner match makes the firewall unusable, and still cleans up', async () => {
    const system = new FakeSystem();
    system.failing.push('ip6tables -w -A');
    const caps = await probeCapabilities(system);
    expect(caps.iptablesWorks).toBe(true);
    expect(caps.ip6tablesWorks).toBe(false);
    expect([...system.firewall.ip6tables.chains.keys()]).toEqual(['OUTPUT']);
  });

  test('without root or sudo nothing privileged is attempted', async () => {
    const system = new FakeSystem(1001, 1001);
    system.failing.push('true');
    const caps = await probeCapabilities(system);
    expect(caps).toMatchObject({
      isRoot: false,
      sudoWorks: false,
      iptablesWorks: false,
      ip6tablesWorks: false,
    });
    expect(system.log.filter((l) => l.includes('tables'))).toEqual([]);
  });
});
