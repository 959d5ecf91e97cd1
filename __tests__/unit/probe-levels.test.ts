/** Probing only what the requested isolation level needs (issue 12): which probes run for which level. */
import { describe, expect, test } from '@jest/globals';
import { decideLevel, levelsToProbe, probeCapabilities } from '../../src/isolation/preflight.js';
import { FakeSystem } from '../support/fake-system.js';

const firewall = (log: string[]) => log.filter((l) => /^(sudo -n )?ip6?tables(-restore)? /.test(l));
const bwrap = (log: string[]) => log.filter((l) => /bwrap|socat/.test(l));
const tools = (log: string[]) => log.filter((l) => /useradd|getfacl/.test(l));

describe('levelsToProbe', () => {
  test.each([
    ['auto', ['strict', 'sandbox']],
    ['strict', ['strict']],
    ['sandbox', ['sandbox']],
    ['rules-only', []],
  ] as const)('%s → %j', (requested, levels) => {
    expect(levelsToProbe(requested)).toEqual(levels);
  });
});

describe('probeCapabilities for the requested level only', () => {
  test('rules-only runs no probe at all', async () => {
    const system = new FakeSystem();
    const caps = await probeCapabilities(system, levelsToProbe('rules-only'));
    expect(system.log).toEqual([]);
    expect(decideLevel('rules-only', caps).level).toBe('rules-only');
  });

  test("strict probes the firewall and the tools (bwrap only looked up, for the agent's world), never starts bubblewrap", async () => {
    const system = new FakeSystem();
    const caps = await probeCapabilities(system, levelsToProbe('strict'));
    expect(firewall(system.log).length).toBeGreaterThan(0);
    expect(tools(system.log).length).toBeGreaterThan(0);
    expect(bwrap(system.log).filter((l) => !l.includes('command -v'))).toEqual([]);
    expect(caps).toMatchObject({ iptablesWorks: true, ip6tablesWorks: true, bwrapWorks: false });
  });

  test('sandbox probes bubblewrap, never the firewall, sudo or the user tools', async () => {
    const system = new FakeSystem(1001, 1001);
    await probeCapabilities(system, levelsToProbe('sandbox'));
    expect(bwrap(system.log).length).toBeGreaterThan(0);
    expect(firewall(system.log)).toEqual([]);
    expect(tools(system.log)).toEqual([]);
    expect(system.log.filter((l) => l.startsWith('sudo'))).toEqual([]);
  });

  test('a level that was not probed reads as unavailable: an explicit request for it fails closed', async () => {
    // The fake's firewall works (a strict probe finds it) but a sandbox-only probe never asks.
    const caps = await probeCapabilities(new FakeSystem(), levelsToProbe('sandbox'));
    expect(caps).toMatchObject({ iptablesWorks: false, ip6tablesWorks: false, useraddWorks: false });
    expect(() => decideLevel('strict', caps)).toThrow(/strict was requested/);
  });

  test('auto probes every level (the default)', async () => {
    const system = new FakeSystem();
    await probeCapabilities(system);
    expect(firewall(system.log).length).toBeGreaterThan(0);
    expect(bwrap(system.log).length).toBeGreaterThan(0);
  });
});
