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
import { MINIMAL_GIT_CONFIG } from '../../src/isolation/repo-copy.js';
import { realSystem } from '../../src/isolation/system.js';
import { git, tempDirs } from '../support/git-sandbox.js';
import fs from 'node:fs';
import path from 'node:path';

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

  test('adds traverse only where others cannot traverse, and no ACL on a world-readable tree', async () => {
    const system = runnerMachine();
    const acls: AclChange[] = [];
    expect(await grantWorkspace(system, user, '/home/runner/work/r/r', false, acls)).toBeUndefined();
    expect(acls.map((a) => [a.path, a.recursive])).toEqual([
      ['/home/runner', false],
      ['/home/runner/work/r/r', true],
    ]);
    expect(system.files.get('/home/runner')?.acl).toEqual(['u:claude-guard-agent:x']);
    expect(system.files.get('/home/runner/work/r/r/a.ts')?.acl).toEqual([]);
  });

  test.each([
    ['a private file (0600) stays private', 'src/local-notes.ts', 0o600, false, []],
    ['a group-readable file is opened', 'src/shared.ts', 0o640, false, ['u:claude-guard-agent:rX']],
    ['a group-readable .env stays closed', '.env.local', 0o640, false, []],
    ['a group-readable key stays closed', 'certs/server.key', 0o640, false, []],
    ['a closed directory gets r-x', 'private', 0o750, true, ['u:claude-guard-agent:rX']],
  ])('%s', async (_name, rel, mode, isDirectory, acl) => {
    const system = runnerMachine();
    system.addFile(`/home/runner/work/r/r/${rel}`, { mode, isDirectory });
    await grantWorkspace(system, user, '/home/runner/work/r/r', false, []);
    expect(system.files.get(`/home/runner/work/r/r/${rel}`)?.acl).toEqual(acl);
  });

  test('custom mode: write on the workspace (private files excepted), read-only .git, files handed back afterwards', async () => {
    const system = runnerMachine();
    system.addFile('/home/runner/work/r/r/.env', { mode: 0o600, isDirectory: false });
    const acls: AclChange[] = [];
    const back = await grantWorkspace(system, user, '/home/runner/work/r/r', true, acls);
    expect(back).toEqual({ path: '/home/runner/work/r/r', fromUid: 995, toUid: 1001, toGid: 1001 });
    expect(system.files.get('/home/runner/work/r/r')?.acl).toEqual(['u:claude-guard-agent:rwX']);
    expect(system.files.get('/home/runner/work/r/r/a.ts')?.acl).toEqual(['u:claude-guard-agent:rwX']);
    expect(system.files.get('/home/runner/work/r/r/.env')?.acl).toEqual([]);
    expect(system.files.get('/home/runner/work/r/r/.git')?.acl).toEqual(['u:claude-guard-agent:rX']);
  });
});

describe('prepareIsolation / undoIsolation', () => {
  const tempDir = tempDirs('cg-launcher-');
  const ctx = (system: FakeSystem, mode: 'review' | 'custom' = 'review') => ({
    system,
    workspace: '/home/runner/work/r/r',
    runnerTemp: '/home/runner/work/_temp',
    runnerHome: '/home/runner',
    proxyPort: 41234,
    mode,
    tmpRoot: '/tmp',
    // The older named-user, runner's-world path (world: false); the world has its own tests.
    agentUser: 'claude-guard-agent',
    world: false,
  });
  const snapshot = (system: FakeSystem) =>
    JSON.stringify({
      files: [...system.files.entries()],
      v4: [...system.firewall.iptables.chains.entries()],
      v6: [...system.firewall.ip6tables.chains.entries()],
    });

  test.each([
    ['the action (uses: ./)', { actionDir: '/home/runner/work/r/r' }, /action's own directory.*uses: \.\//],
    ['claude-path', { cliPath: '/home/runner/work/r/r/node_modules/.bin/claude' }, /input 'claude-path'/],
  ])(
    'strict refuses, before making anything, when %s lies inside the workspace',
    async (_n, extra, reason) => {
      const system = runnerMachine();
      const before = snapshot(system);
      await expect(
        prepareIsolation('strict', { ...ctx(system), world: true, realpath: (p: string) => p, ...extra }),
      ).rejects.toThrow(new RegExp(`input 'isolation'.*${reason.source}`));
      expect(snapshot(system)).toBe(before);
      expect(system.log).toEqual([]);
    },
  );

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
    expect(system.firewall.iptables.chains.has(`${EGRESS_CHAIN}_${launcher.uid}`)).toBe(true);
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
    system.failing.push('ip6tables-restore');
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

  test('sandbox, review mode: the agent works in a clean copy of the repository, gone with its directory', async () => {
    const ws = tempDir();
    git(ws, ['init', '-q']);
    fs.writeFileSync(path.join(ws, 'app.js'), 'export const a = 1;\n');
    git(ws, ['add', '.']);
    git(ws, ['commit', '-qm', 'base']);
    git(ws, ['config', 'http.https://github.com/.extraheader', 'AUTHORIZATION: basic c2VjcmV0']);
    fs.writeFileSync(path.join(ws, '.env'), 'TOKEN=untracked\n');
    const context = { ...ctx(runnerMachine()), system: realSystem, workspace: ws, tmpRoot: tempDir() };
    delete (context as { world?: boolean }).world;

    const launcher = await prepareIsolation('sandbox', context);
    expect(launcher.cwd).toBe(path.join(launcher.agentDir, 'repo'));
    expect(fs.readFileSync(path.join(launcher.cwd, 'app.js'), 'utf8')).toBe('export const a = 1;\n');
    expect(fs.readFileSync(path.join(launcher.cwd, '.git', 'config'), 'utf8')).toBe(MINIMAL_GIT_CONFIG);
    expect(fs.existsSync(path.join(launcher.cwd, '.env'))).toBe(false);
    expect(git(launcher.cwd, ['log', '--format=%s'])).toBe('base\n');
    await launcher.teardown();
    expect(fs.existsSync(launcher.agentDir)).toBe(false);

    // Modes that write the workspace keep it as the working directory.
    const custom = await prepareIsolation('sandbox', { ...context, mode: 'custom' });
    expect(custom.cwd).toBe(ws);
    await custom.teardown();
  });

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

// mode: fix on the older path (world: false) — write ACLs on exactly the PR's files.
import { grantFixScope } from '../../src/isolation/agent-user.js';
import type { RunOptions, RunResult } from '../../src/isolation/system.js';

/** The stateful fake plus the two look-ups grantFixScope makes as root: realpath and stat. */
class FakeWithLinks extends FakeSystem {
  /** path → where realpath resolves it (a link somewhere on the way). */
  readonly resolvesTo = new Map<string, string>();
  readonly hardLinks = new Map<string, number>();

  override async run(command: string, args: string[], options?: RunOptions): Promise<RunResult> {
    const [inner, innerArgs] =
      command === 'sudo' && args[0] === '-n' ? [args[1], args.slice(2)] : [command, args];
    const target = innerArgs[innerArgs.length - 1];
    const file = this.files.get(this.resolvesTo.get(target) ?? target);
    if (inner === 'realpath' || inner === 'stat') {
      this.log.push([command, ...args].join(' '));
      if (!file) return { exitCode: 1, stdout: '', stderr: 'No such file or directory' };
      const out =
        inner === 'realpath'
          ? (this.resolvesTo.get(target) ?? target)
          : `${file.isDirectory ? 'directory' : 'regular file'}:${this.hardLinks.get(target) ?? 1}`;
      return { exitCode: 0, stdout: `${out}\n`, stderr: '' };
    }
    return super.run(command, args, options);
  }
}

describe('grantFixScope', () => {
  const user = { name: 'claude-guard-agent', uid: 995, gid: 995 };
  const ws = '/home/runner/work/r/r';
  const machine = () => {
    const system = new FakeWithLinks(1001, 1001);
    for (const [p, stat] of runnerMachine().files) system.files.set(p, stat);
    system.addFile(`${ws}/src`);
    system.addFile(`${ws}/src/b.ts`, { mode: 0o644, isDirectory: false });
    return system;
  };

  test('rw (never x) on exactly the listed files; no directory gets write', async () => {
    const system = machine();
    const acls: AclChange[] = [];
    await grantFixScope(system, user, ws, ['a.ts'], acls);
    expect(acls).toEqual([{ path: `${ws}/a.ts`, recursive: false, saved: '' }]);
    const granted = [...system.files].filter(([, f]) => f.acl.length > 0).map(([p, f]) => [p, f.acl]);
    expect(granted).toEqual([[`${ws}/a.ts`, ['u:claude-guard-agent:rw']]]);
  });

  test.each<[string, (s: FakeWithLinks) => void, string, RegExp]>([
    [
      'a link to a runner file',
      (s) => s.resolvesTo.set(`${ws}/src/b.ts`, '/home/runner/.npmrc'),
      'src/b.ts',
      /symbolic link/,
    ],
    ['a missing file', () => undefined, 'src/none.ts', /missing/],
    ['a directory', () => undefined, 'src', /not a regular file/],
    ['a hard-linked file', (s) => s.hardLinks.set(`${ws}/a.ts`, 2), 'a.ts', /single link/],
    ['a path leaving the workspace', () => undefined, '../../.npmrc', /not a plain repository-relative path/],
  ])('refuses %s and grants nothing', async (_name, arrange, rel, message) => {
    const system = machine();
    arrange(system);
    const acls: AclChange[] = [];
    await expect(grantFixScope(system, user, ws, [rel], acls)).rejects.toThrow(message);
    expect(acls).toEqual([]);
    expect([...system.files.values()].some((f) => f.acl.length > 0)).toBe(false);
  });

  test('prepareIsolation in fix mode (world: false): read-only workspace plus the file grants, all undone', async () => {
    const system = machine();
    const snapshotFiles = () => JSON.stringify([...system.files.entries()]);
    const before = snapshotFiles();
    const launcher = await prepareIsolation('strict', {
      system,
      workspace: ws,
      runnerTemp: '/home/runner/work/_temp',
      runnerHome: '/home/runner',
      proxyPort: 41234,
      mode: 'fix',
      fixPaths: ['src/b.ts'],
      tmpRoot: '/tmp',
      agentUser: 'claude-guard-agent',
      world: false,
    });
    expect(system.files.get(`${ws}/src/b.ts`)?.acl).toEqual(['u:claude-guard-agent:rw']);
    expect(system.files.get(`${ws}/a.ts`)?.acl).toEqual([]);
    expect(system.files.get(ws)?.acl).toEqual([]);
    expect(launcher.undo.chownBack).toBeUndefined();
    expect(launcher.undo.acls.map((a) => a.path)).toContain(`${ws}/src/b.ts`);
    await launcher.teardown();
    expect(snapshotFiles()).toBe(before);
  });

  test('prepareIsolation in fix mode (world: false) undoes everything when a path is refused', async () => {
    const system = machine();
    system.resolvesTo.set(`${ws}/src/b.ts`, '/home/runner/.npmrc');
    const before = JSON.stringify([...system.files.entries()]);
    await expect(
      prepareIsolation('strict', {
        system,
        workspace: ws,
        runnerTemp: '/home/runner/work/_temp',
        runnerHome: '/home/runner',
        proxyPort: 41234,
        mode: 'fix',
        fixPaths: ['src/b.ts'],
        tmpRoot: '/tmp',
        agentUser: 'claude-guard-agent',
        world: false,
      }),
    ).rejects.toThrow(/symbolic link/);
    expect(JSON.stringify([...system.files.entries()])).toBe(before);
  });
});

// The agent's copy at strict (repo-copy.ts): what the mode lets the agent write, by ownership.
import { grantCopy } from '../../src/isolation/repo-copy.js';

describe('grantCopy', () => {
  const copy = '/tmp/claude-guard-agent-x/repo';
  const agent = { uid: 995, gid: 995 };
  const machine = () => {
    const system = new FakeWithLinks(0, 0);
    system.addFile('/tmp/claude-guard-agent-x');
    system.addFile(copy);
    system.addFile(`${copy}/.git`);
    system.addFile(`${copy}/.git/config`, { mode: 0o644, isDirectory: false });
    system.addFile(`${copy}/src`);
    system.addFile(`${copy}/src/b.ts`, { mode: 0o644, isDirectory: false });
    system.addFile(`${copy}/a.ts`, { mode: 0o644, isDirectory: false });
    return system;
  };
  const owned = (system: FakeWithLinks) =>
    [...system.files].filter(([, f]) => f.uid === agent.uid).map(([p]) => p);

  test('fix mode: exactly the fix files become the agent’s; no directory, no .git', async () => {
    const system = machine();
    await grantCopy(system, copy, 'fix', agent, ['src/b.ts']);
    expect(owned(system)).toEqual([`${copy}/src/b.ts`]);
  });

  test('review mode: nothing is the agent’s', async () => {
    const system = machine();
    await grantCopy(system, copy, 'review', agent, ['src/b.ts']);
    expect(owned(system)).toEqual([]);
    expect(system.log.filter((l) => l.includes('chown'))).toEqual([]);
  });

  test('custom mode: the working tree without .git, links not followed', async () => {
    const system = machine();
    await grantCopy(system, copy, 'custom', agent);
    expect(system.log).toContainEqual(
      `find ${copy} -xdev -path ${copy}/.git -prune -o -exec chown -h 995:995 {} +`,
    );
  });

  test.each<[string, (s: FakeWithLinks) => void, string, RegExp]>([
    [
      'a link out of the copy',
      (s) => s.resolvesTo.set(`${copy}/src/b.ts`, '/etc/shadow'),
      'src/b.ts',
      /symbolic link/,
    ],
    ['a missing file', () => undefined, 'src/none.ts', /missing/],
    ['a directory', () => undefined, 'src', /not a regular file/],
    ['a hard-linked file', (s) => s.hardLinks.set(`${copy}/a.ts`, 2), 'a.ts', /single link/],
    ['a path leaving the copy', () => undefined, '../../etc/passwd', /not a plain repository-relative path/],
    ['a path into .git', () => undefined, '.git/config', /not a plain repository-relative path/],
  ])('fix mode refuses %s and hands over nothing', async (_name, arrange, rel, message) => {
    const system = machine();
    arrange(system);
    await expect(grantCopy(system, copy, 'fix', agent, [rel])).rejects.toThrow(message);
    expect(owned(system)).toEqual([]);
  });
});
