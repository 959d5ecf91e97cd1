/**
 * Proves strict isolation: does not trust the set-up, but runs the probe AS THE AGENT, through the
 * launcher with a clean environment, against listeners it opens for the purpose, and fails the step
 * (IsolationProofError) when any forbidden action succeeds or an allowed one fails.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as path from 'node:path';
import type { AgentLauncher } from './launcher.js';
import { realpathSync } from 'node:fs';
import { HOME_SECRET_PATHS } from './sandbox.js';
import { ETC_PUBLIC_FILES, WORLD_TMPFS } from './world.js';
import type { SystemPort } from './system.js';
import { IsolationError } from './isolation-error.js';
import { splitNul, systemGit } from '../git-runner.js';
import {
  judgeProbe,
  strictAttempts,
  type ProbeCheck,
  type ProbeOutcome,
  type StrictPaths,
  type WorldAllowance,
} from './proof-attempts.js';
import { PROBE_SCRIPT } from './probe-script.js';

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
async function worldAllowance(launcher: AgentLauncher, workspace: string): Promise<WorldAllowance> {
  const world = launcher.world as NonNullable<AgentLauncher['world']>;
  const git = await systemGit({ workspace: world.copy });
  const listed = await git.exec(['ls-files', '-z', '--cached']);
  if (listed.exitCode !== 0)
    throw new IsolationError(
      `Isolation proof: cannot list the copy's tracked files: ${listed.stderr.trim()}`,
    );
  return {
    skip: ['/usr', '/proc', '/sys', '/dev', ...world.installs(realpathSync(process.execPath))],
    readable: [...ETC_PUBLIC_FILES, world.share, ...(world.hook ? [path.dirname(world.hook.script)] : [])],
    workspace,
    tracked: [...splitNul(listed.stdout), ...world.pinned],
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
    const world = launcher.world && (await worldAllowance(launcher, paths.workspace));
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
