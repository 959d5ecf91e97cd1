/**
 * Per-uid egress (defence 5, threat row X1): iptables and ip6tables rules, matched on the agent's uid
 * with `-m owner --uid-owner`, that let the agent reach exactly one place — the key proxy on
 * 127.0.0.1:<proxyPort> over TCP — and reject everything else: other loopback ports, DNS (udp and tcp),
 * every remote address, and all of IPv6. The rules live in a dedicated chain jumped to from OUTPUT, so
 * adding is idempotent and removal deletes exactly what was added. Unix sockets are not IP traffic and
 * are out of reach of these rules (the docker socket is guarded by the agent having no docker group).
 */
import { asRoot, mustAsRoot, type SystemPort } from './system.js';

export const EGRESS_CHAIN = 'CLAUDE_GUARD';

export type Family = 'ipv4' | 'ipv6';

/** What applyEgressRules added; enough for removeEgressRules to take it out again. */
export interface EgressRecord {
  chain: string;
  uid: number;
  proxyPort: number;
  families: Family[];
}

const TOOL: Record<Family, string> = { ipv4: 'iptables', ipv6: 'ip6tables' };

/** The jump from OUTPUT into the chain, for the agent's uid only. */
export function jumpRule(chain: string, uid: number): string[] {
  return ['-m', 'owner', '--uid-owner', String(uid), '-j', chain];
}

/** The rules of the chain, in order, for one family (arguments after `-A <chain>`). */
export function chainRules(family: Family, uid: number, proxyPort: number): string[][] {
  const owner = ['-m', 'owner', '--uid-owner', String(uid)];
  if (family === 'ipv6') {
    return [
      [...owner, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      [...owner, '-j', 'REJECT'],
    ];
  }
  return [
    [...owner, '-p', 'tcp', '-d', '127.0.0.1/32', '--dport', String(proxyPort), '-j', 'ACCEPT'],
    [...owner, '-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
    [...owner, '-j', 'REJECT'],
  ];
}

/** Installs (or replaces) the chain and its jump for both families. A failure leaves nothing behind. */
export async function applyEgressRules(
  system: SystemPort,
  uid: number,
  proxyPort: number,
  chain = EGRESS_CHAIN,
): Promise<EgressRecord> {
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error(`Egress rules: refusing uid ${uid} (the agent must be a dedicated non-root user)`);
  if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535)
    throw new Error(`Egress rules: invalid proxy port ${proxyPort}`);
  const record: EgressRecord = { chain, uid, proxyPort, families: [] };
  try {
    for (const family of ['ipv4', 'ipv6'] as const) {
      record.families.push(family);
      const tool = TOOL[family];
      const step = `Egress rules (${tool})`;
      if ((await asRoot(system, tool, ['-w', '-N', chain])).exitCode !== 0) {
        await mustAsRoot(system, step, tool, ['-w', '-F', chain]);
      }
      for (const rule of chainRules(family, uid, proxyPort)) {
        await mustAsRoot(system, step, tool, ['-w', '-A', chain, ...rule]);
      }
      if ((await asRoot(system, tool, ['-w', '-C', 'OUTPUT', ...jumpRule(chain, uid)])).exitCode !== 0) {
        await mustAsRoot(system, step, tool, ['-w', '-I', 'OUTPUT', '1', ...jumpRule(chain, uid)]);
      }
    }
  } catch (error) {
    await removeEgressRules(system, record);
    throw error;
  }
  return record;
}

/**
 * Removes what applyEgressRules added: every jump to the chain for that uid, then the chain itself.
 * Idempotent; returns the problems it could not fix (empty when all is gone).
 */
export async function removeEgressRules(system: SystemPort, record: EgressRecord): Promise<string[]> {
  const problems: string[] = [];
  for (const family of record.families) {
    const tool = TOOL[family];
    const jump = jumpRule(record.chain, record.uid);
    for (
      let i = 0;
      i < 10 && (await asRoot(system, tool, ['-w', '-C', 'OUTPUT', ...jump])).exitCode === 0;
      i++
    ) {
      await asRoot(system, tool, ['-w', '-D', 'OUTPUT', ...jump]);
    }
    await asRoot(system, tool, ['-w', '-F', record.chain]);
    await asRoot(system, tool, ['-w', '-X', record.chain]);
    if ((await asRoot(system, tool, ['-w', '-S', record.chain])).exitCode === 0) {
      problems.push(`${tool}: chain ${record.chain} is still present (another rule may still jump to it)`);
    }
  }
  return problems;
}
