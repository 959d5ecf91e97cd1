import { describe, expect, test } from '@jest/globals';
import {
  addTransaction,
  applyEgressRules,
  chainName,
  chainRules,
  removeEgressRules,
  removeTransaction,
} from '../../src/isolation/egress.js';
import { FakeSystem } from '../support/fake-system.js';

describe('chainRules', () => {
  test('IPv4: the proxy port on 127.0.0.1 is the only ACCEPT, and it comes first', () => {
    const rules = chainRules('ipv4', 995, 41234);
    expect(rules[0]).toEqual([
      '-m',
      'owner',
      '--uid-owner',
      '995',
      '-p',
      'tcp',
      '-d',
      '127.0.0.1/32',
      '--dport',
      '41234',
      '-j',
      'ACCEPT',
    ]);
    expect(rules.filter((r) => r.includes('ACCEPT'))).toHaveLength(1);
    expect(rules[rules.length - 1]).toEqual(['-m', 'owner', '--uid-owner', '995', '-j', 'REJECT']);
  });

  test('IPv6: nothing is accepted', () => {
    const rules = chainRules('ipv6', 995, 41234);
    expect(rules.some((r) => r.includes('ACCEPT'))).toBe(false);
    expect(rules[rules.length - 1]).toEqual(['-m', 'owner', '--uid-owner', '995', '-j', 'REJECT']);
  });

  test.each(['ipv4', 'ipv6'] as const)('%s: every rule is matched on the agent uid', (family) => {
    for (const rule of chainRules(family, 995, 1))
      expect(rule.slice(0, 4)).toEqual(['-m', 'owner', '--uid-owner', '995']);
  });
});

describe('transactions', () => {
  test('one chain per uid, created, filled and jumped to in one iptables-restore input', () => {
    expect(chainName(995)).toBe('CLAUDE_GUARD_995');
    expect(chainName(4294967294).length).toBeLessThanOrEqual(28);
    expect(addTransaction('ipv4', 'CLAUDE_GUARD_995', 995, 41234).split('\n')).toEqual([
      '*filter',
      ':CLAUDE_GUARD_995 - [0:0]',
      '-A CLAUDE_GUARD_995 -m owner --uid-owner 995 -p tcp -d 127.0.0.1/32 --dport 41234 -j ACCEPT',
      '-A CLAUDE_GUARD_995 -m owner --uid-owner 995 -p tcp -j REJECT --reject-with tcp-reset',
      '-A CLAUDE_GUARD_995 -m owner --uid-owner 995 -j REJECT',
      '-I OUTPUT 1 -m owner --uid-owner 995 -j CLAUDE_GUARD_995',
      'COMMIT',
      '',
    ]);
    expect(removeTransaction('CLAUDE_GUARD_995', 995).split('\n')).toEqual([
      '*filter',
      '-D OUTPUT -m owner --uid-owner 995 -j CLAUDE_GUARD_995',
      '-F CLAUDE_GUARD_995',
      '-X CLAUDE_GUARD_995',
      'COMMIT',
      '',
    ]);
  });
});

const EGRESS_CHAIN = chainName(995);

describe('applyEgressRules / removeEgressRules', () => {
  test('installs the chain and one jump per family in one transaction each, and records it', async () => {
    const system = new FakeSystem();
    const record = await applyEgressRules(system, 995, 41234);
    expect(system.log).toEqual(['iptables-restore -w --noflush', 'ip6tables-restore -w --noflush']);
    expect(record).toEqual({ chain: EGRESS_CHAIN, uid: 995, proxyPort: 41234, families: ['ipv4', 'ipv6'] });
    for (const tool of ['iptables', 'ip6tables'] as const) {
      const { chains } = system.firewall[tool];
      expect(chains.get('OUTPUT')).toEqual([['-m', 'owner', '--uid-owner', '995', '-j', EGRESS_CHAIN]]);
      expect(chains.get(EGRESS_CHAIN)).toEqual(chainRules(tool === 'iptables' ? 'ipv4' : 'ipv6', 995, 41234));
    }
  });

  test('two runs (two uids) get two chains; removing one leaves the other whole', async () => {
    const system = new FakeSystem();
    const a = await applyEgressRules(system, 995, 1000);
    const b = await applyEgressRules(system, 996, 2000);
    expect(system.firewall.iptables.chains.get('OUTPUT')).toHaveLength(2);
    expect(await removeEgressRules(system, a)).toEqual([]);
    const { chains } = system.firewall.iptables;
    expect(chains.get('OUTPUT')).toEqual([['-m', 'owner', '--uid-owner', '996', '-j', b.chain]]);
    expect(chains.get(b.chain)).toEqual(chainRules('ipv4', 996, 2000));
  });

  test('removal deletes exactly what was added and leaves other rules alone', async () => {
    const system = new FakeSystem();
    system.firewall.iptables.chains.get('OUTPUT')?.push(['-p', 'tcp', '-j', 'ACCEPT']);
    const record = await applyEgressRules(system, 995, 41234);
    expect(await removeEgressRules(system, record)).toEqual([]);
    expect(system.firewall.iptables.chains.get('OUTPUT')).toEqual([['-p', 'tcp', '-j', 'ACCEPT']]);
    expect(system.firewall.iptables.chains.has(EGRESS_CHAIN)).toBe(false);
    expect(system.firewall.ip6tables.chains.has(EGRESS_CHAIN)).toBe(false);
    expect(await removeEgressRules(system, record)).toEqual([]);
  });

  test('a failure half-way removes what was added and throws naming the tool', async () => {
    const system = new FakeSystem();
    system.failing.push('ip6tables-restore');
    await expect(applyEgressRules(system, 995, 41234)).rejects.toThrow(/Egress rules \(ip6tables\)/);
    expect(system.firewall.iptables.chains.has(EGRESS_CHAIN)).toBe(false);
    expect(system.firewall.iptables.chains.get('OUTPUT')).toEqual([]);
    expect(system.firewall.ip6tables.chains.has(EGRESS_CHAIN)).toBe(false);
  });

  test.each([0, -1, 1.5])('refuses uid %p', async (uid) => {
    await expect(applyEgressRules(new FakeSystem(), uid, 41234)).rejects.toThrow(/refusing uid/);
  });

  test('goes through sudo when the action is not root', async () => {
    const system = new FakeSystem(1001, 1001);
    await applyEgressRules(system, 995, 41234);
    expect(system.log.length).toBeGreaterThan(0);
    expect(system.log).toEqual([
      'sudo -n iptables-restore -w --noflush',
      'sudo -n ip6tables-restore -w --noflush',
    ]);
    expect(system.firewall.iptables.chains.get(EGRESS_CHAIN)).toHaveLength(3);
  });
});
