/**
 * What the proof of strict isolation attempts, and how its outcomes are judged (pure). `strictAttempts`
 * lists every forbidden action to try AS THE AGENT (read the runner's environ, RUNNER_TEMP, HOME secrets,
 * checkout credentials; sudo; other loopback ports, UDP, DNS, IPv6; write the workspace in review mode)
 * and the few allowed ones; `judgeProbe` compares what happened with what was expected, and
 * `judgeInventory` checks the agent's view of the file system against the world's precise allowance.
 */
import * as path from 'node:path';

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
