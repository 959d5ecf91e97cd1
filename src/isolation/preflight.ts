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

/**
 * A throwaway chain holding an owner-match rule, added and removed the way the run's egress rules are
 * (egress.ts: one `iptables-restore --noflush` transaction each), so the probe proves the very mechanism
 * strict uses, in two processes instead of five. Named for this process, so two runs probing at once
 * never remove each other's chain; a transaction that fails is not committed and leaves nothing.
 */
async function firewallWorks(system: SystemPort, restore: 'iptables-restore' | 'ip6tables-restore') {
  const chain = `CLAUDE_GUARD_PROBE_${process.pid}`;
  const run = (lines: string[]) =>
    asRoot(system, restore, ['-w', '--noflush'], { input: ['*filter', ...lines, 'COMMIT', ''].join('\n') });
  const added = await run([`:${chain} - [0:0]`, `-A ${chain} -m owner --uid-owner 0 -j RETURN`]);
  if (added.exitCode !== 0) return false;
  return (await run([`-F ${chain}`, `-X ${chain}`])).exitCode === 0;
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
  // The probes are independent of each other: run them at once (issue 12: they were ~0.12 s in a row).
  const [bwrap, useraddWorks, aclWorks, iptablesWorks, ip6tablesWorks, worldWorks] = await Promise.all([
    sandbox ? probeBubblewrap(system) : { ok: false, reason: 'not probed' },
    strict && isLinux && has(system, 'useradd', 'gpasswd', 'pkill', ...(isRoot ? ['setpriv'] : [])),
    strict && isLinux && has(system, 'getfacl', 'setfacl'),
    privileged && firewallWorks(system, 'iptables-restore'),
    privileged && firewallWorks(system, 'ip6tables-restore'),
    privileged && has(system, 'bwrap', 'setpriv'),
  ]);
  return {
    isLinux,
    isRoot,
    sudoWorks,
    useraddWorks,
    aclWorks,
    iptablesWorks,
    ip6tablesWorks,
    bwrapWorks: bwrap.ok,
    ...(bwrap.ok ? {} : { bwrapReason: bwrap.reason }),
    worldWorks,
  };
}
