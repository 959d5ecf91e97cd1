import { describe, expect, test } from '@jest/globals';
import { applyEgressRules, chainRules, EGRESS_CHAIN, removeEgressRules } from '../../src/isolation/egress.js';
import { FakeSystem } from '../../src/isolation/system-fake.js';

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

describe('applyEgressRules / removeEgressRules', () => {
  test('installs the chain and one jump per family, and records it', async () => {
    const system = new FakeSystem();
    const record = await applyEgressRules(system, 995, 41234);
    expect(record).toEqual({ chain: EGRESS_CHAIN, uid: 995, proxyPort: 41234, families: ['ipv4', 'ipv6'] });
    for (const tool of ['iptables', 'ip6tables'] as const) {
      const { chains } = system.firewall[tool];
      expect(chains.get('OUTPUT')).toEqual([['-m', 'owner', '--uid-owner', '995', '-j', EGRESS_CHAIN]]);
      expect(chains.get(EGRESS_CHAIN)).toEqual(chainRules(tool === 'iptables' ? 'ipv4' : 'ipv6', 995, 41234));
    }
  });

  test('is idempotent: applying twice leaves one jump and one copy of the rules', async () => {
    const system = new FakeSystem();
    await applyEgressRules(system, 995, 1000);
    await applyEgressRules(system, 995, 2000);
    const { chains } = system.firewall.iptables;
    expect(chains.get('OUTPUT')).toHaveLength(1);
    expect(chains.get(EGRESS_CHAIN)).toEqual(chainRules('ipv4', 995, 2000));
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
    system.failing.push('ip6tables -w -A');
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
    expect(system.log.filter((line) => !line.startsWith('sudo -n ip'))).toEqual([]);
    expect(system.firewall.iptables.chains.get(EGRESS_CHAIN)).toHaveLength(3);
  });
});
