/**
 * Per-uid egress (defence 5, threat row X1): iptables and ip6tables rules, matched on the agent's uid
 * with `-m owner --uid-owner`, that let the agent reach exactly one place — its own run's key proxy on
 * 127.0.0.1:<proxyPort> over TCP — and reject everything else: other loopback ports, DNS (udp and tcp),
 * every remote address, and all of IPv6. Every run has its own uid and its own chain (named for the uid),
 * so two runs on one host never touch each other's rules. Adding is one `iptables-restore --noflush`
 * transaction per family and removing is another: all or nothing, two subprocesses each way instead of a
 * dozen. Unix sockets are not IP traffic and are out of reach of these rules (the agent's world has none).
 */
import { asRoot, type SystemPort } from './system.js';

/** Prefix of every chain this action makes; the full name carries the run's uid. */
export const EGRESS_CHAIN = 'CLAUDE_GUARD';

export type Family = 'ipv4' | 'ipv6';

/** What applyEgressRules added; enough for removeEgressRules to take it out again. */
export interface EgressRecord {
  chain: string;
  uid: number;
  proxyPort: number;
  families: Family[];
}

const RESTORE: Record<Family, string> = { ipv4: 'iptables-restore', ipv6: 'ip6tables-restore' };
const TOOL: Record<Family, string> = { ipv4: 'iptables', ipv6: 'ip6tables' };

/** The run's chain: one per agent uid (iptables chain names are at most 28 characters). */
export function chainName(uid: number): string {
  return `${EGRESS_CHAIN}_${uid}`;
}

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

/** The `iptables-restore --noflush` input that creates (or refills) the chain and inserts its jump. */
export function addTransaction(family: Family, chain: string, uid: number, proxyPort: number): string {
  return [
    '*filter',
    `:${chain} - [0:0]`,
    ...chainRules(family, uid, proxyPort).map((rule) => `-A ${chain} ${rule.join(' ')}`),
    `-I OUTPUT 1 ${jumpRule(chain, uid).join(' ')}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The input that removes the jump and the chain (fails as a whole when either is already gone). */
export function removeTransaction(chain: string, uid: number): string {
  return [
    '*filter',
    `-D OUTPUT ${jumpRule(chain, uid).join(' ')}`,
    `-F ${chain}`,
    `-X ${chain}`,
    'COMMIT',
    '',
  ].join('\n');
}

function check(uid: number, proxyPort: number): void {
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error(`Egress rules: refusing uid ${uid} (the agent must be a dedicated non-root user)`);
  if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535)
    throw new Error(`Egress rules: invalid proxy port ${proxyPort}`);
}

/** Installs the run's chain and its jump for both families. A failure leaves nothing behind. */
export async function applyEgressRules(
  system: SystemPort,
  uid: number,
  proxyPort: number,
  chain = chainName(uid),
): Promise<EgressRecord> {
  check(uid, proxyPort);
  const record: EgressRecord = { chain, uid, proxyPort, families: [] };
  for (const family of ['ipv4', 'ipv6'] as const) {
    const result = await asRoot(system, RESTORE[family], ['-w', '--noflush'], {
      input: addTransaction(family, chain, uid, proxyPort),
    });
    if (result.exitCode !== 0) {
      await removeEgressRules(system, record);
      throw new Error(
        `Egress rules (${TOOL[family]}): ${RESTORE[family]} failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    record.families.push(family);
  }
  return record;
}

/**
 * Removes what applyEgressRules added, one transaction per family. Idempotent: when the transaction
 * fails, the chain is looked up; a chain that is gone is success. Returns the problems left over.
 */
export async function removeEgressRules(system: SystemPort, record: EgressRecord): Promise<string[]> {
  const problems: string[] = [];
  for (const family of record.families) {
    const removed = await asRoot(system, RESTORE[family], ['-w', '--noflush'], {
      input: removeTransaction(record.chain, record.uid),
    });
    if (removed.exitCode === 0) continue;
    if ((await asRoot(system, TOOL[family], ['-w', '-S', record.chain])).exitCode === 0)
      problems.push(
        `${TOOL[family]}: chain ${record.chain} is still present (${removed.stderr.trim() || 'removal failed'})`,
      );
  }
  return problems;
}
