/**
 * Decides the isolation level (strict > sandbox > rules-only; defences 4, 5, 6; threat rows S1–S3,
 * S7–S9, X1, X4). `decideLevel` is the policy, pure: `auto` takes the strongest level the machine allows
 * and records why each stronger one fell; an explicit level that cannot be reached throws — it never
 * degrades silently. `probeCapabilities` asks the machine. The proof that strict isolation holds is
 * prove-strict.ts (re-exported here for the orchestrator).
 */
import type { IsolationLevel } from '../inputs.js';
import { probeBubblewrap } from './sandbox.js';
import { asRoot, type SystemPort } from './system.js';
import { IsolationError } from './isolation-error.js';

export { IsolationError };
export { proveStrict } from './prove-strict.js';
export type { StrictPaths } from './proof-attempts.js';

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
