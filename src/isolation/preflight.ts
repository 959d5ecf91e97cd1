/**
 * Decides and proves the isolation level (strict > sandbox > rules-only; defences 4, 5, 6; threat rows
 * S1–S3, S7–S9, X1, X4). `decideLevel` is the policy, pure: `auto` takes the strongest level the
 * machine allows and records why each stronger one fell; an explicit level that cannot be reached
 * throws — it never degrades silently. `probeCapabilities` asks the machine. `proveStrict` does not
 * trust the set-up: it runs a probe AS THE AGENT, through the launcher with a clean environment, that
 * attempts every forbidden action (read the runner's environ, RUNNER_TEMP, HOME secrets, checkout
 * credentials; sudo; other loopback ports, UDP, DNS, IPv6; write the workspace in review mode) and
 * fails the step when any of them succeeds.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import type { IsolationLevel } from '../inputs.js';
import type { AgentLauncher } from './launcher.js';
import { realpathSync } from 'node:fs';
import { HOME_SECRET_PATHS, probeBubblewrap } from './sandbox.js';
import { ETC_PUBLIC_FILES, WORLD_TMPFS } from './world.js';
import { asRoot, type SystemPort } from './system.js';

export interface Capabilities {
  isLinux: boolean;
  isRoot: boolean;
  /** Passwordless sudo (always true for root). */
  sudoWorks: boolean;
  /** useradd, gpasswd, pkill and (as root) setpriv are present. */
  useraddWorks: boolean;
  /** getfacl and setfacl are present. */
  aclWorks: boolean;
  /** A chain with an owner match can be created (and is removed again). */
  iptablesWorks: boolean;
  ip6tablesWorks: boolean;
  /** bwrap starts with all namespaces unshared, and socat is present. */
  bwrapWorks: boolean;
  bwrapReason?: string;
  /** bwrap and setpriv are present for the agent's world (run as root); false blocks strict. */
  worldWorks?: boolean;
}

export interface LevelDecision {
  level: IsolationLevel;
  reasons: string[];
}

export class IsolationError extends Error {
  override name = 'IsolationError';
}

const RANK: Record<IsolationLevel, number> = { 'rules-only': 0, sandbox: 1, strict: 2 };

export function meetsRequirement(level: IsolationLevel, required: IsolationLevel | undefined): boolean {
  return required === undefined || RANK[level] >= RANK[required];
}

function strictBlockers(c: Capabilities): string[] {
  const blockers: string[] = [];
  if (!c.isLinux) return ['a separate agent user with per-uid firewall rules needs Linux'];
  if (!c.isRoot && !c.sudoWorks) blockers.push('the action is not root and has no passwordless sudo');
  if (!c.useraddWorks) blockers.push('useradd/gpasswd/pkill/setpriv are missing');
  if (!c.aclWorks) blockers.push('getfacl/setfacl are missing (apt-get install acl)');
  if (!c.iptablesWorks) blockers.push('iptables with the owner match does not work');
  if (!c.ip6tablesWorks) blockers.push('ip6tables with the owner match does not work');
  if (c.worldWorks === false)
    blockers.push("bwrap or setpriv is missing for the agent's world (apt-get install bubblewrap)");
  return blockers;
}

function sandboxBlockers(c: Capabilities): string[] {
  return c.bwrapWorks ? [] : [c.bwrapReason ?? 'bubblewrap is unavailable'];
}

/** The level to use for the `isolation` input's value, with the reason for every fall. */
export function decideLevel(requested: 'auto' | IsolationLevel, capabilities: Capabilities): LevelDecision {
  if (requested === 'rules-only')
    return { level: 'rules-only', reasons: ['isolation: rules-only was requested'] };
  const candidates: [IsolationLevel, string[]][] = [
    ['strict', strictBlockers(capabilities)],
    ['sandbox', sandboxBlockers(capabilities)],
  ];
  const reasons: string[] = [];
  for (const [level, blockers] of candidates) {
    if (requested !== 'auto' && requested !== level) continue;
    if (blockers.length === 0) return { level, reasons: [...reasons, `${level}: all prerequisites present`] };
    if (requested === level) {
      throw new IsolationError(
        `Input 'isolation': ${level} was requested but this machine cannot provide it: ${blockers.join('; ')}. ` +
          `Fix the machine, or set isolation to auto (and require-isolation to the weakest level you accept).`,
      );
    }
    reasons.push(`${level} not possible: ${blockers.join('; ')}`);
  }
  return { level: 'rules-only', reasons };
}

async function has(system: SystemPort, ...tools: string[]): Promise<boolean> {
  const result = await system.run('sh', [
    '-c',
    'for t in "$@"; do command -v "$t" >/dev/null || exit 1; done',
    'sh',
    ...tools,
  ]);
  return result.exitCode === 0;
}

const PROBE_CHAIN = 'CLAUDE_GUARD_PROBE';

async function firewallWorks(system: SystemPort, tool: string): Promise<boolean> {
  await asRoot(system, tool, ['-w', '-X', PROBE_CHAIN]);
  const created = (await asRoot(system, tool, ['-w', '-N', PROBE_CHAIN])).exitCode === 0;
  const ruled =
    created &&
    (await asRoot(system, tool, ['-w', '-A', PROBE_CHAIN, '-m', 'owner', '--uid-owner', '0', '-j', 'RETURN']))
      .exitCode === 0;
  await asRoot(system, tool, ['-w', '-F', PROBE_CHAIN]);
  const removed = (await asRoot(system, tool, ['-w', '-X', PROBE_CHAIN])).exitCode === 0;
  return created && ruled && removed;
}

/**
 * The levels whose prerequisites a run must probe: every level for 'auto' (it picks the strongest), only
 * the named one otherwise (decideLevel looks at nothing else), none for rules-only.
 */
export function levelsToProbe(requested: 'auto' | IsolationLevel): IsolationLevel[] {
  if (requested === 'auto') return ['strict', 'sandbox'];
  return requested === 'rules-only' ? [] : [requested];
}

/**
 * Asks the machine for the prerequisites of `levels` (default: every level). A level left out reads as
 * unavailable, so a decision can never rest on a prerequisite nobody checked.
 */
export async function probeCapabilities(
  system: SystemPort,
  levels: readonly IsolationLevel[] = ['strict', 'sandbox'],
): Promise<Capabilities> {
  const isLinux = system.platform === 'linux';
  const isRoot = system.uid === 0;
  const strict = levels.includes('strict');
  const sandbox = levels.includes('sandbox');
  const sudoWorks =
    isRoot || (strict && isLinux && (await system.run('sudo', ['-n', 'true'])).exitCode === 0);
  const privileged = strict && isLinux && (isRoot || sudoWorks);
  const bwrap = sandbox ? await probeBubblewrap(system) : { ok: false, reason: 'not probed' };
  return {
    isLinux,
    isRoot,
    sudoWorks,
    useraddWorks:
      strict && isLinux && (await has(system, 'useradd', 'gpasswd', 'pkill', ...(isRoot ? ['setpriv'] : []))),
    aclWorks: strict && isLinux && (await has(system, 'getfacl', 'setfacl')),
    iptablesWorks: privileged && (await firewallWorks(system, 'iptables')),
    ip6tablesWorks: privileged && (await firewallWorks(system, 'ip6tables')),
    bwrapWorks: bwrap.ok,
    ...(bwrap.ok ? {} : { bwrapReason: bwrap.reason }),
    worldWorks: privileged && (await has(system, 'bwrap', 'setpriv')),
  };
}

// ---------------------------------------------------------------------------------------------
// The proof of strict isolation

export type ProbeOp =
  | { kind: 'read' | 'list' | 'append' | 'create'; target: string }
  /** Walk the whole file system (but `skip`): every file it can read, every directory it can write. */
  | { kind: 'inventory'; skip: string[] }
  | { kind: 'tcp' | 'udp' | 'dns'; host: string; port: number }
  | { kind: 'sudo' | 'whoami' };

export interface ProbeAttempt {
  name: string;
  expected: 'allowed' | 'blocked';
  op: ProbeOp;
}

export interface ProbeOutcome {
  name: string;
  succeeded: boolean;
  detail: string;
}

export interface ProbeCheck {
  name: string;
  expected: 'allowed' | 'blocked';
  observed: string;
  pass: boolean;
}

/**
 * What the agent may see in its world, precisely: the read-only system trees (skipped by the walk:
 * /usr, the node and CLI install directories), /proc, /sys and /dev of its own namespaces (skipped),
 * the public /etc files of world.ts, the action's share directory (settings, probe), the repository's
 * tracked files and its .git directory at the workspace path, the action's hook bundle, and its own
 * fresh tmpfs (/tmp, /var/tmp, /dev/shm, /run). It may write only on that fresh tmpfs, and in custom mode
 * in its own copy of the working tree (never in .git).
 */
export interface WorldAllowance {
  /** Trees the walk skips: read-only binds of public system files, and the kernel's own file systems. */
  skip: string[];
  /** Read-only files and trees the agent may read (public /etc files, the share directory). */
  readable: string[];
  workspace: string;
  /** Repository-relative tracked files of the copy. */
  tracked: string[];
  /** The world's own writable file systems. */
  writable: string[];
}

const under = (file: string, dir: string) =>
  file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The files and directories of an inventory that fall outside the allowance (empty: the world is exact). */
export function judgeInventory(
  allowance: WorldAllowance,
  found: { readable: string[]; writable: string[] },
): string[] {
  const tracked = new Set(allowance.tracked);
  const git = path.join(allowance.workspace, '.git');
  const readOk = (file: string) =>
    allowance.readable.some((r) => under(file, r)) ||
    allowance.writable.some((w) => under(file, w)) ||
    under(file, git) ||
    (under(file, allowance.workspace) && tracked.has(path.relative(allowance.workspace, file)));
  return [
    ...found.readable.filter((f) => !readOk(f)).map((f) => `readable: ${f}`),
    ...found.writable
      .filter((d) => under(d, git) || !allowance.writable.some((w) => under(d, w)))
      .map((d) => `writable: ${d}`),
  ];
}

export interface StrictPaths {
  runnerTemp: string;
  runnerHome: string;
  workspace: string;
  credentialFiles: string[];
  sensitivePids: number[];
}

/**
 * The attempts for one run. `existing` is the list of files the action found (it can see them) in
 * RUNNER_TEMP and under the runner's HOME secret paths; listeners are the ports the action opened.
 */
export function strictAttempts(input: {
  paths: StrictPaths;
  mode: 'review' | 'custom';
  proxyPort: number;
  forbiddenTcpPort: number;
  forbiddenUdpPort: number;
  forbiddenTcp6Port?: number;
  resolver?: string;
  runnerTempFiles: string[];
  homeSecrets: string[];
  agentUid: number;
  /** The agent runs in its own world: the inventory replaces listing the runner HOME (its path may exist there, empty). */
  world?: WorldAllowance;
  /** Paths planted by a test (or found by the action) that must not exist for the agent. */
  canaries?: string[];
}): ProbeAttempt[] {
  const { paths } = input;
  const blocked = (name: string, op: ProbeOp): ProbeAttempt => ({ name, expected: 'blocked', op });
  const allowed = (name: string, op: ProbeOp): ProbeAttempt => ({ name, expected: 'allowed', op });
  const probeName = `.claude-guard-probe-${process.pid}`;
  const git = path.join(paths.workspace, '.git');
  return [
    { name: `runs as uid ${input.agentUid}`, expected: 'allowed', op: { kind: 'whoami' } },
    ...paths.sensitivePids.map((pid) =>
      blocked(`read /proc/${pid}/environ`, { kind: 'read', target: `/proc/${pid}/environ` }),
    ),
    blocked('list RUNNER_TEMP', { kind: 'list', target: paths.runnerTemp }),
    ...input.runnerTempFiles.flatMap((file) => [
      blocked(`read ${file}`, { kind: 'read', target: file }),
      blocked(`open ${file} for append`, { kind: 'append', target: file }),
    ]),
    ...(input.world
      ? [
          {
            name: 'every readable file is a tracked file or a public system file; every writable place is fresh',
            expected: 'allowed',
            op: { kind: 'inventory', skip: input.world.skip },
          } as const,
        ]
      : [blocked('list the runner HOME', { kind: 'list', target: paths.runnerHome })]),
    ...(input.canaries ?? []).map((file) => blocked(`read canary ${file}`, { kind: 'read', target: file })),
    ...input.homeSecrets.map((file) => blocked(`read ${file}`, { kind: 'read', target: file })),
    ...paths.credentialFiles.map((file) => blocked(`read ${file}`, { kind: 'read', target: file })),
    blocked('sudo -n true', { kind: 'sudo' }),
    allowed(`connect to the key proxy 127.0.0.1:${input.proxyPort}`, {
      kind: 'tcp',
      host: '127.0.0.1',
      port: input.proxyPort,
    }),
    blocked(`connect to another loopback port 127.0.0.1:${input.forbiddenTcpPort}`, {
      kind: 'tcp',
      host: '127.0.0.1',
      port: input.forbiddenTcpPort,
    }),
    blocked(`UDP to a loopback listener 127.0.0.1:${input.forbiddenUdpPort}`, {
      kind: 'udp',
      host: '127.0.0.1',
      port: input.forbiddenUdpPort,
    }),
    blocked('DNS query to 127.0.0.1:53', { kind: 'dns', host: '127.0.0.1', port: 53 }),
    ...(input.resolver
      ? [
          blocked(`DNS query to the resolver ${input.resolver}:53`, {
            kind: 'dns',
            host: input.resolver,
            port: 53,
          } as const),
        ]
      : []),
    ...(input.forbiddenTcp6Port === undefined
      ? []
      : [
          blocked(`connect to [::1]:${input.forbiddenTcp6Port}`, {
            kind: 'tcp',
            host: '::1',
            port: input.forbiddenTcp6Port,
          } as const),
        ]),
    allowed('list the workspace', { kind: 'list', target: paths.workspace }),
    input.mode === 'review'
      ? blocked('create a file in the workspace', {
          kind: 'create',
          target: path.join(paths.workspace, probeName),
        })
      : allowed('create a file in the workspace', {
          kind: 'create',
          target: path.join(paths.workspace, probeName),
        }),
    blocked('create a file in .git/hooks', { kind: 'create', target: path.join(git, 'hooks', probeName) }),
    blocked('open .git/config for append', { kind: 'append', target: path.join(git, 'config') }),
  ];
}

/** Compares outcomes with expectations. A missing outcome fails. For whoami, `detail` is the uid. */
export function judgeProbe(
  attempts: ProbeAttempt[],
  outcomes: ProbeOutcome[],
  agentUid: number,
  world?: WorldAllowance,
): ProbeCheck[] {
  return attempts.map((attempt) => {
    const outcome = outcomes.find((o) => o.name === attempt.name);
    if (!outcome)
      return {
        name: attempt.name,
        expected: attempt.expected,
        observed: 'no result from the probe',
        pass: false,
      };
    if (attempt.op.kind === 'inventory') {
      let outside: string[];
      try {
        const found = JSON.parse(outcome.detail) as { readable: string[]; writable: string[] };
        outside = world ? judgeInventory(world, found) : ['no allowance to judge the inventory by'];
        if (!outcome.succeeded) outside.push('the walk failed');
      } catch {
        outside = [`unreadable inventory: ${outcome.detail.slice(0, 200)}`];
      }
      return {
        name: attempt.name,
        expected: attempt.expected,
        observed: outside.length ? `outside the allowed set: ${outside.slice(0, 20).join(', ')}` : 'exact',
        pass: outside.length === 0,
      };
    }
    const succeeded =
      attempt.op.kind === 'whoami'
        ? outcome.succeeded && outcome.detail === String(agentUid)
        : outcome.succeeded;
    return {
      name: attempt.name,
      expected: attempt.expected,
      observed: `${outcome.succeeded ? 'succeeded' : 'failed'}: ${outcome.detail}`,
      pass: succeeded === (attempt.expected === 'allowed'),
    };
  });
}

/** The probe, run by the agent user with node. Plain CommonJS; reads the attempts from argv[2]. */
export const PROBE_SCRIPT = String.raw`'use strict';
const fs = require('fs'), net = require('net'), dgram = require('dgram'), cp = require('child_process');
const errText = (e) => (e && (e.code || e.message)) || String(e);
const DNS_QUERY = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
function tcp(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok, detail) => { s.destroy(); resolve([ok, detail]); };
    s.setTimeout(3000, () => done(false, 'timeout'));
    s.on('connect', () => done(true, 'connected'));
    s.on('error', (e) => done(false, errText(e)));
  });
}
function udp(host, port, payload) {
  return new Promise((resolve) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (ok, detail) => { clearTimeout(t); try { s.close(); } catch {} resolve([ok, detail]); };
    const t = setTimeout(() => done(false, 'no answer'), 2000);
    s.on('message', (m) => done(true, 'answered (' + m.length + ' bytes)'));
    s.on('error', (e) => done(false, errText(e)));
    s.connect(port, host, () => s.send(payload, (e) => e && done(false, errText(e))));
  });
}
function inventory(skip) {
  const readable = [], writable = [], stack = ['/'];
  let count = 0;
  while (stack.length && count < 200000) {
    const dir = stack.pop();
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    try { fs.accessSync(dir, fs.constants.W_OK); writable.push(dir); } catch {}
    for (const e of entries) {
      count++;
      const full = (dir === '/' ? '' : dir) + '/' + e.name;
      if (skip.includes(full)) continue;
      if (e.isDirectory()) { stack.push(full); continue; }
      if (e.isSymbolicLink()) continue;
      try { fs.closeSync(fs.openSync(full, 'r')); readable.push(full); } catch {}
    }
  }
  return [true, JSON.stringify({ readable, writable })];
}
async function attempt(op) {
  try {
    switch (op.kind) {
      case 'inventory': return inventory(op.skip);
      case 'read': return [true, 'read ' + fs.readFileSync(op.target).length + ' bytes'];
      case 'list': return [true, fs.readdirSync(op.target).length + ' entries'];
      case 'append': fs.closeSync(fs.openSync(op.target, 'a')); return [true, 'opened for append'];
      case 'create': fs.writeFileSync(op.target, 'probe', { flag: 'wx' }); fs.unlinkSync(op.target); return [true, 'created (and removed)'];
      case 'tcp': return await tcp(op.host, op.port);
      case 'udp': return await udp(op.host, op.port, Buffer.from('probe'));
      case 'dns': return await udp(op.host, op.port, DNS_QUERY);
      case 'whoami': return [true, String(process.getuid())];
      case 'sudo': {
        const r = cp.spawnSync('sudo', ['-n', 'true'], { timeout: 5000, stdio: 'ignore' });
        return [r.status === 0, r.error ? errText(r.error) : 'exit ' + r.status];
      }
    }
    return [false, 'unknown attempt'];
  } catch (e) {
    return [false, errText(e)];
  }
}
(async () => {
  const attempts = JSON.parse(process.argv[2]);
  const outcomes = await Promise.all(attempts.map(async (a) => {
    const [succeeded, detail] = await attempt(a.op);
    return { name: a.name, succeeded, detail };
  }));
  process.stdout.write(JSON.stringify(outcomes));
})();
`;

export class IsolationProofError extends IsolationError {
  constructor(readonly checks: ProbeCheck[]) {
    const failed = checks
      .filter((c) => !c.pass)
      .map((c) => `${c.name} (expected ${c.expected}, ${c.observed})`);
    super(
      `Strict isolation proof failed — as the agent user: ${failed.join('; ')}. The agent would not be contained; fix the machine or use a weaker isolation level explicitly.`,
    );
  }
}

function listen(kind: 'tcp4' | 'tcp6' | 'udp4'): Promise<{ port: number; close: () => void } | undefined> {
  return new Promise((resolve) => {
    if (kind === 'udp4') {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (msg, from) => socket.send(msg, from.port, from.address));
      socket.on('error', () => resolve(undefined));
      socket.bind(0, '127.0.0.1', () =>
        resolve({ port: socket.address().port, close: () => socket.close() }),
      );
      return;
    }
    const server = net.createServer((c) => {
      c.on('error', () => undefined); // the probe resets its connections
      c.end('forbidden listener reached\n');
    });
    server.on('error', () => resolve(undefined));
    server.listen(0, kind === 'tcp6' ? '::1' : '127.0.0.1', () => {
      resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close() });
    });
  });
}

async function firstResolver(system: SystemPort): Promise<string | undefined> {
  const result = await system.run('cat', ['/etc/resolv.conf']);
  return /^\s*nameserver\s+([0-9a-fA-F.:]+)/m.exec(result.stdout)?.[1];
}

/** Files the action sees in RUNNER_TEMP (top level and the file-command folder), capped. */
async function runnerTempFiles(system: SystemPort, runnerTemp: string): Promise<string[]> {
  const files: string[] = [];
  for (const dir of [runnerTemp, path.join(runnerTemp, '_runner_file_commands')]) {
    for (const name of await system.readdir(dir)) {
      const full = path.join(dir, name);
      if ((await system.stat(full))?.isDirectory === false) files.push(full);
    }
  }
  return files.slice(0, 40);
}

async function existingHomeSecrets(system: SystemPort, runnerHome: string): Promise<string[]> {
  const found: string[] = [];
  for (const rel of HOME_SECRET_PATHS) {
    const full = path.join(runnerHome, rel);
    const stat = await system.stat(full);
    if (stat === undefined) continue;
    if (!stat.isDirectory) found.push(full);
    else for (const name of (await system.readdir(full)).slice(0, 10)) found.push(path.join(full, name));
  }
  return found;
}

/** The precise allowed set of the agent's world (see WorldAllowance), from the launcher and the copy. */
async function worldAllowance(
  system: SystemPort,
  launcher: AgentLauncher,
  workspace: string,
): Promise<WorldAllowance> {
  const world = launcher.world as NonNullable<AgentLauncher['world']>;
  const listed = await system.run('git', [
    ...['-c', 'safe.directory=*', '-C', world.copy, 'ls-files', '-z', '--cached'],
  ]);
  if (listed.exitCode !== 0)
    throw new IsolationError(
      `Isolation proof: cannot list the copy's tracked files: ${listed.stderr.trim()}`,
    );
  return {
    skip: ['/usr', '/proc', '/sys', '/dev', ...world.installs(realpathSync(process.execPath))],
    readable: [...ETC_PUBLIC_FILES, world.share, ...(world.hook ? [path.dirname(world.hook.script)] : [])],
    workspace,
    tracked: [...listed.stdout.split('\0').filter(Boolean), ...world.pinned],
    // custom mode: the agent's own copy of the working tree (never its .git, see judgeInventory).
    writable: [...WORLD_TMPFS, '/run', ...(world.writableTree ? [workspace] : [])],
  };
}

/**
 * Runs the probe as the agent and returns the report; throws IsolationProofError (with the report)
 * when any forbidden action succeeded or an allowed one failed.
 */
export async function proveStrict(options: {
  system: SystemPort;
  launcher: AgentLauncher;
  proxyPort: number;
  paths: StrictPaths;
  mode: 'review' | 'custom';
  /** Extra paths that must not be readable by the agent (tests plant canaries). */
  canaries?: string[];
}): Promise<ProbeCheck[]> {
  const { system, launcher, paths } = options;
  if (launcher.level !== 'strict' || launcher.uid === undefined)
    throw new IsolationError('proveStrict needs a strict launcher');
  const listeners = [await listen('tcp4'), await listen('udp4'), await listen('tcp6')];
  try {
    const [tcp4, udp4, tcp6] = listeners;
    if (!tcp4 || !udp4)
      throw new IsolationError('Isolation proof: could not open loopback listeners for the probe');
    const world = launcher.world && (await worldAllowance(system, launcher, paths.workspace));
    const attempts = strictAttempts({
      paths,
      world,
      canaries: options.canaries,
      mode: options.mode,
      proxyPort: options.proxyPort,
      forbiddenTcpPort: tcp4.port,
      forbiddenUdpPort: udp4.port,
      forbiddenTcp6Port: tcp6?.port,
      resolver: await firstResolver(system),
      runnerTempFiles: await runnerTempFiles(system, paths.runnerTemp),
      homeSecrets: await existingHomeSecrets(system, paths.runnerHome),
      agentUid: launcher.uid,
    });
    const script = path.join(path.dirname(launcher.paths.settingsFile), 'isolation-probe.cjs');
    await system.writeFile(script, PROBE_SCRIPT, 0o644);
    const node = launcher.world ? realpathSync(process.execPath) : process.execPath;
    const wrapped = launcher.wrap(node, [script, JSON.stringify(attempts)], {
      PATH: '/usr/bin:/bin',
    });
    const result = await system.run(wrapped.command, wrapped.args, { env: wrapped.env, cwd: '/' });
    let outcomes: ProbeOutcome[];
    try {
      outcomes = JSON.parse(result.stdout) as ProbeOutcome[];
    } catch {
      throw new IsolationError(
        `Isolation proof: the probe did not run as the agent user (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 500)}`,
      );
    }
    const checks = judgeProbe(attempts, outcomes, launcher.uid, world);
    if (checks.some((c) => !c.pass)) throw new IsolationProofError(checks);
    return checks;
  } finally {
    for (const listener of listeners) listener?.close();
  }
}
