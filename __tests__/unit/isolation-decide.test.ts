import { describe, expect, test } from '@jest/globals';
import {
  decideLevel,
  IsolationError,
  meetsRequirement,
  type Capabilities,
} from '../../src/isolation/preflight.js';
import { sandboxSettings, usernsRestriction } from '../../src/isolation/sandbox.js';

const ALL: Capabilities = {
  isLinux: true,
  isRoot: false,
  sudoWorks: true,
  useraddWorks: true,
  aclWorks: true,
  iptablesWorks: true,
  ip6tablesWorks: true,
  bwrapWorks: true,
};
const NO_BWRAP = {
  bwrapWorks: false,
  bwrapReason: 'bwrap cannot start; cause: kernel.apparmor_restrict_unprivileged_userns=1',
};

describe('decideLevel', () => {
  test.each<[string, 'auto' | 'strict' | 'sandbox' | 'rules-only', Partial<Capabilities>, string, RegExp]>([
    ['auto on a full machine', 'auto', {}, 'strict', /strict: all prerequisites/],
    ['auto as root without sudo', 'auto', { isRoot: true, sudoWorks: false }, 'strict', /strict: all/],
    [
      'auto without sudo falls to sandbox',
      'auto',
      { sudoWorks: false },
      'sandbox',
      /strict not possible: the action is not root and has no passwordless sudo/,
    ],
    [
      'auto without ip6tables falls to sandbox',
      'auto',
      { ip6tablesWorks: false },
      'sandbox',
      /ip6tables with the owner match/,
    ],
    [
      'auto without iptables falls to sandbox',
      'auto',
      { iptablesWorks: false },
      'sandbox',
      /iptables with the owner match/,
    ],
    ['auto without acl tools', 'auto', { aclWorks: false }, 'sandbox', /setfacl/],
    ['auto without useradd', 'auto', { useraddWorks: false }, 'sandbox', /useradd/],
    [
      'auto without sudo or bwrap',
      'auto',
      { sudoWorks: false, ...NO_BWRAP },
      'rules-only',
      /sandbox not possible: .*apparmor_restrict/,
    ],
    [
      'auto off Linux',
      'auto',
      { isLinux: false, bwrapWorks: false, bwrapReason: 'bubblewrap needs Linux' },
      'rules-only',
      /needs Linux/,
    ],
    ['strict when possible', 'strict', {}, 'strict', /strict: all/],
    ['sandbox requested though strict is possible', 'sandbox', {}, 'sandbox', /sandbox: all/],
    ['rules-only requested', 'rules-only', {}, 'rules-only', /requested/],
    [
      'rules-only requested on a bare machine',
      'rules-only',
      { isLinux: false, bwrapWorks: false },
      'rules-only',
      /requested/,
    ],
  ])('%s', (_name, requested, caps, level, reason) => {
    const decision = decideLevel(requested, { ...ALL, ...caps });
    expect(decision.level).toBe(level);
    expect(decision.reasons.join('\n')).toMatch(reason);
  });

  test('auto records every fall, strongest first', () => {
    const { reasons } = decideLevel('auto', { ...ALL, sudoWorks: false, ...NO_BWRAP });
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^strict not possible/);
    expect(reasons[1]).toMatch(/^sandbox not possible/);
  });

  test.each<['strict' | 'sandbox', Partial<Capabilities>, RegExp]>([
    ['strict', { sudoWorks: false }, /strict was requested .* no passwordless sudo/],
    ['strict', { isLinux: false }, /needs Linux/],
    ['sandbox', NO_BWRAP, /sandbox was requested .*apparmor/],
  ])('an unreachable explicit %s throws instead of degrading', (requested, caps, message) => {
    expect(() => decideLevel(requested, { ...ALL, ...caps })).toThrow(IsolationError);
    expect(() => decideLevel(requested, { ...ALL, ...caps })).toThrow(message);
  });
});

describe('meetsRequirement', () => {
  test.each<['strict' | 'sandbox' | 'rules-only', 'strict' | 'sandbox' | 'rules-only' | undefined, boolean]>([
    ['strict', undefined, true],
    ['rules-only', undefined, true],
    ['strict', 'strict', true],
    ['strict', 'sandbox', true],
    ['strict', 'rules-only', true],
    ['sandbox', 'strict', false],
    ['sandbox', 'sandbox', true],
    ['sandbox', 'rules-only', true],
    ['rules-only', 'strict', false],
    ['rules-only', 'sandbox', false],
    ['rules-only', 'rules-only', true],
  ])('%s meets %s: %s', (level, required, expected) => {
    expect(meetsRequirement(level, required)).toBe(expected);
  });
});

describe('sandboxSettings', () => {
  test('fails closed, has no escape hatch and no allowed domain', () => {
    const settings = sandboxSettings({});
    expect(settings).toMatchObject({
      enabled: true,
      failIfUnavailable: true,
      allowUnsandboxedCommands: false,
      autoAllowBashIfSandboxed: false,
      network: { allowedDomains: [], strictAllowlist: true },
    });
  });

  test('hides RUNNER_TEMP, the HOME credential folders and extra paths, once each', () => {
    const { filesystem } = sandboxSettings({
      runnerTemp: '/w/_temp',
      runnerHome: '/home/runner',
      extraDenyRead: ['/w/_temp', '/x/cred'],
    });
    expect(filesystem.denyRead).toEqual(
      expect.arrayContaining([
        '/w/_temp',
        '/home/runner/.ssh',
        '/home/runner/.aws',
        '/home/runner/.docker',
        '/home/runner/.npmrc',
        '/x/cred',
      ]),
    );
    expect(filesystem.denyRead.filter((p) => p === '/w/_temp')).toHaveLength(1);
  });
});

describe('usernsRestriction', () => {
  test.each([
    [{ apparmor: '1' }, /apparmor_restrict_unprivileged_userns=1/],
    [{ apparmor: '0', unprivilegedClone: '0' }, /unprivileged_userns_clone=0/],
    [{ maxUserNamespaces: '0' }, /max_user_namespaces=0/],
    [{ apparmor: '0', maxUserNamespaces: '1000' }, undefined],
  ])('%j', (sysctls, expected) => {
    const reason = usernsRestriction(sysctls);
    if (expected === undefined) expect(reason).toBeUndefined();
    else expect(reason).toMatch(expected);
  });
});
