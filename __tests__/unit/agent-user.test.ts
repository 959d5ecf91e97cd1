import { describe, expect, test } from '@jest/globals';
import {
  ancestors,
  ensureAgentUser,
  grantWorkspace,
  privilegedGroups,
  removeAgentDir,
  sudoVerdict,
  type AclChange,
} from '../../src/isolation/agent-user.js';
import { EGRESS_CHAIN } from '../../src/isolation/egress.js';
import { prepareIsolation, undoIsolation, wrapAsUser } from '../../src/isolation/launcher.js';
import { FakeSystem } from '../../src/isolation/system-fake.js';

describe('pure helpers', () => {
  test.each([
    [['claude-guard-agent'], []],
    [['claude-guard-agent', 'docker', 'users'], ['docker']],
    [
      ['sudo', 'adm', 'lxd', 'wheel', 'systemd-journal'],
      ['sudo', 'adm', 'lxd', 'wheel', 'systemd-journal'],
    ],
  ])('privilegedGroups(%j) = %j', (groups, expected) => {
    expect(privilegedGroups(groups)).toEqual(expected);
  });

  test.each([
    ['User claude-guard-agent is not allowed to run sudo on vm.\n', 'none'],
    [
      'Matching Defaults entries ...\nUser x may run the following commands on vm:\n    (ALL) NOPASSWD: ALL\n',
      'some',
    ],
    ['sudo: a password is required\n', 'unknown'],
    ['', 'unknown'],
  ])('sudoVerdict(%j) = %s', (output, expected) => {
    expect(sudoVerdict(output)).toBe(expected);
  });

  test.each([
    [
      '/home/runner/work/repo/repo',
      ['/', '/home', '/home/runner', '/home/runner/work', '/home/runner/work/repo'],
    ],
    ['/ws', ['/']],
    ['/a/b/', ['/', '/a']],
  ])('ancestors(%s)', (target, expected) => {
    expect(ancestors(target)).toEqual(expected);
  });

  test('wrapAsUser: setpriv as root, sudo otherwise; only names and paths on argv', () => {
    const user = { name: 'claude-guard-agent', uid: 995, gid: 994 };
    expect(wrapAsUser(0, user, { HOME: '/t/home' }, '/bin/claude', ['-p'])).toEqual({
      command: 'setpriv',
      args: ['--reuid=995', '--regid=994', '--clear-groups', '--', '/bin/claude', '-p'],
    });
    expect(wrapAsUser(1001, user, { HOME: '/t/home', PATH: '/usr/bin' }, '/bin/claude', ['-p'])).toEqual({
      command: 'sudo',
      args: [
        '-n',
        '-E',
        '-u',
        'claude-guard-agent',
        '--',
        'env',
        'HOME=/t/home',
        'PATH=/usr/bin',
        '/bin/claude',
        '-p',
      ],
    });
  });
});

describe('ensureAgentUser', () => {
  test('creates a system user without login shell or home when missing', async () => {
    const system = new FakeSystem();
    const user = await ensureAgentUser(system);
    expect(user.name).toBe('claude-guard-agent');
    expect(user.uid).toBeGreaterThan(0);
    const useradd = system.log.find((l) => l.startsWith('useradd'));
    expect(useradd).toMatch(/--system/);
    expect(useradd).toMatch(/--shell \/usr\/sbin\/nologin/);
    expect(useradd).toMatch(/--no-create-home/);
  });

  test('reuses an existing user and strips privileged groups', async () => {
    const system = new FakeSystem(1001, 1001);
    system.users.set('claude-guard-agent', {
      uid: 995,
      gid: 995,
      groups: ['claude-guard-agent', 'docker', 'adm'],
      sudo: false,
    });
    const user = await ensureAgentUser(system);
    expect(user).toEqual({ name: 'claude-guard-agent', uid: 995, gid: 995 });
    expect(system.log.some((l) => l.includes('useradd'))).toBe(false);
    expect(system.users.get('claude-guard-agent')?.groups).toEqual(['claude-guard-agent']);
  });

  test('refuses when a privileged group cannot be removed', async () => {
    const system = new FakeSystem();
    system.users.set('claude-guard-agent', { uid: 995, gid: 995, groups: ['docker'], sudo: false });
    system.failing.push('gpasswd');
    await expect(ensureAgentUser(system)).rejects.toThrow(/still in privileged group\(s\) docker/);
  });

  test('refuses a user with sudo rights', async () => {
    const system = new FakeSystem();
    system.users.set('claude-guard-agent', { uid: 995, gid: 995, groups: [], sudo: true });
    await expect(ensureAgentUser(system)).rejects.toThrow(/sudo rights are granted/);
  });

  test.each([
    ['root', 0],
    ['the action itself', 1001],
  ])('refuses a user that is %s', async (_what, uid) => {
    const system = new FakeSystem(1001, 1001);
    system.users.set('claude-guard-agent', { uid, gid: uid, groups: [], sudo: false });
    await expect(ensureAgentUser(system)).rejects.toThrow(/is root or the action's own uid/);
  });

  test('refuses an invalid name before running anything', async () => {
    const system = new FakeSystem();
    await expect(ensureAgentUser(system, 'a b;rm')).rejects.toThrow(/not a valid user name/);
    expect(system.log).toEqual([]);
  });
});

function runnerMachine(): FakeSystem {
  const system = new FakeSystem(1001, 1001);
  system.addFile('/', { uid: 0, gid: 0 });
  system.addFile('/home', { uid: 0, gid: 0 });
  system.addFile('/tmp', { uid: 0, gid: 0, mode: 0o1777 });
  system.addFile('/home/runner', { mode: 0o750 });
  system.addFile('/home/runner/.npmrc', { mode: 0o644, isDirectory: false });
  system.addFile('/home/runner/work');
  system.addFile('/home/runner/work/_temp');
  system.addFile('/home/runner/work/_temp/git-credentials-1.config', { mode: 0o644, isDirectory: false });
  system.addFile('/home/runner/work/r');
  system.addFile('/home/runner/work/r/r');
  system.addFile('/home/runner/work/r/r/.git');
  system.addFile('/home/runner/work/r/r/a.ts', { mode: 0o644, isDirectory: false });
  return system;
}

describe('grantWorkspace', () => {
  const user = { name: 'claude-guard-agent', uid: 995, gid: 995 };

  test('adds traverse only where others cannot traverse, and no read ACL on a world-readable tree', async () => {
    const system = runnerMachine();
    const acls: AclChange[] = [];
    expect(await grantWorkspace(system, user, '/home/runner/work/r/r', false, acls)).toBeUndefined();
    expect(acls.map((a) => a.path)).toEqual(['/home/runner']);
    expect(system.files.get('/home/runner')?.acl).toEqual(['u:claude-guard-agent:x']);
  });

  test('adds a recursive read ACL when part of the workspace is hidden from others', async () => {
    const system = runnerMachine();
    system.addFile('/home/runner/work/r/r/secret.ts', { mode: 0o600, isDirectory: false });
    const acls: AclChange[] = [];
    await grantWorkspace(system, user, '/home/runner/work/r/r', false, acls);
    expect(acls.map((a) => [a.path, a.recursive])).toEqual([
      ['/home/runner', false],
      ['/home/runner/work/r/r', true],
    ]);
    expect(system.files.get('/home/runner/work/r/r/secret.ts')?.acl).toEqual(['u:claude-guard-agent:rX']);
  });

  test('custom mode: write on the workspace, read-only .git, files handed back afterwards', async () => {
    const system = runnerMachine();
    const acls: AclChange[] = [];
    const back = await grantWorkspace(system, user, '/home/runner/work/r/r', true, acls);
    expect(back).toEqual({ path: '/home/runner/work/r/r', fromUid: 995, toUid: 1001, toGid: 1001 });
    expect(system.files.get('/home/runner/work/r/r/a.ts')?.acl).toEqual(['u:claude-guard-agent:rwX']);
    expect(system.files.get('/home/runner/work/r/r/.git')?.acl).toEqual(['u:claude-guard-agent:rX']);
  });
});

describe('prepareIsolation / undoIsolation', () => {
  const ctx = (system: FakeSystem, mode: 'review' | 'custom' = 'review') => ({
    system,
    workspace: '/home/runner/work/r/r',
    runnerTemp: '/home/runner/work/_temp',
    runnerHome: '/home/runner',
    proxyPort: 41234,
    mode,
    tmpRoot: '/tmp',
  });
  const snapshot = (system: FakeSystem) =>
    JSON.stringify({
      files: [...system.files.entries()],
      v4: [...system.firewall.iptables.chains.entries()],
      v6: [...system.firewall.ip6tables.chains.entries()],
    });

  test('strict: closes RUNNER_TEMP and HOME, grants the workspace, installs egress; undo restores everything, twice', async () => {
    const system = runnerMachine();
    system.addFile('/home/runner/work/r/r/secret.ts', { mode: 0o600, isDirectory: false });
    const before = snapshot(system);
    const launcher = await prepareIsolation('strict', ctx(system, 'custom'));
    expect(launcher.level).toBe('strict');
    expect(system.files.get('/home/runner/work/_temp')?.mode).toBe(0o750);
    expect(system.files.get(launcher.agentDir)?.mode).toBe(0o711);
    expect(system.files.get(launcher.paths.home)?.uid).toBe(launcher.uid);
    expect(system.files.get(launcher.paths.home)?.mode).toBe(0o700);
    expect(system.firewall.iptables.chains.has(EGRESS_CHAIN)).toBe(true);
    expect(system.files.get('/home/runner/.npmrc')?.mode).toBe(0o640);
    expect(launcher.undo.modes.map((m) => m.path)).toEqual([
      '/home/runner/work/_temp',
      '/home/runner/.npmrc',
    ]);

    const record = JSON.parse(JSON.stringify(launcher.undo));
    expect(await undoIsolation(record, system)).toEqual([]);
    expect(snapshot(system)).toBe(before);
    expect(system.killed).toContain('claude-guard-agent');
    expect(await undoIsolation(record, system)).toEqual([]);
    expect(snapshot(system)).toBe(before);
  });

  test('a failure half-way undoes what was done and rethrows', async () => {
    const system = runnerMachine();
    const before = snapshot(system);
    system.failing.push('ip6tables -w -A');
    await expect(prepareIsolation('strict', ctx(system))).rejects.toThrow(/ip6tables/);
    expect(snapshot(system)).toBe(before);
  });

  test('wrap: runs as the agent with its own HOME, config and TMPDIR; the env stays off argv', async () => {
    const system = runnerMachine();
    const launcher = await prepareIsolation('strict', ctx(system));
    const wrapped = launcher.wrap('/bin/claude', ['-p'], {
      PATH: '/usr/bin',
      ANTHROPIC_API_KEY: 'per-run-token',
    });
    expect(wrapped.command).toBe('sudo');
    expect(wrapped.args.join(' ')).not.toContain('per-run-token');
    expect(wrapped.env).toMatchObject({
      ANTHROPIC_API_KEY: 'per-run-token',
      HOME: launcher.paths.home,
      CLAUDE_CONFIG_DIR: launcher.paths.configDir,
      TMPDIR: launcher.paths.tmpDir,
      USER: 'claude-guard-agent',
    });
    await launcher.teardown();
  });

  test.each(['sandbox', 'rules-only'] as const)(
    '%s: no user, no firewall, the agent directory stays private',
    async (level) => {
      const system = runnerMachine();
      const launcher = await prepareIsolation(level, ctx(system));
      expect(launcher.uid).toBeUndefined();
      expect(system.files.get(launcher.agentDir)?.mode).toBe(0o700);
      expect(system.firewall.iptables.chains.has(EGRESS_CHAIN)).toBe(false);
      expect(launcher.wrap('/bin/claude', ['-p'], {}).command).toBe('/bin/claude');
      await launcher.teardown();
      expect(system.files.has(launcher.agentDir)).toBe(false);
    },
  );

  test('refuses to close a top-level directory such as /tmp', async () => {
    const system = runnerMachine();
    await expect(prepareIsolation('strict', { ...ctx(system), runnerTemp: '/tmp' })).rejects.toThrow(
      /refusing to change the mode of a top-level directory/,
    );
    expect(system.files.get('/tmp')?.mode).toBe(0o1777);
  });

  test('removeAgentDir refuses anything but a per-run agent directory', async () => {
    await expect(removeAgentDir(new FakeSystem(), '/')).rejects.toThrow(/refusing/);
    await expect(removeAgentDir(new FakeSystem(), '/home/runner')).rejects.toThrow(/refusing/);
  });
});
