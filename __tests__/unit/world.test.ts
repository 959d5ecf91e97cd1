import { describe, expect, test } from '@jest/globals';
import { createRunUser, isRunUserName, removeRunUser } from '../../src/isolation/agent-user.js';
import { undoIsolation, type UndoRecord } from '../../src/isolation/launcher.js';
import { judgeInventory, type WorldAllowance } from '../../src/isolation/proof-attempts.js';
import { FakeSystem } from '../support/fake-system.js';
import {
  installRoot,
  worldArgs,
  worldObstacles,
  WORLD_HOOK_DIR,
  type WorldSpec,
} from '../../src/isolation/world.js';

const spec: WorldSpec = {
  uid: 991,
  gid: 991,
  topLevel: [
    { path: '/bin', link: 'usr/bin' },
    { path: '/lib64', directory: true },
  ],
  readOnly: ['/tmp/claude-guard-agent-x/share', '/opt/node'],
  binds: [{ source: '/tmp/claude-guard-agent-x/repo', target: '/home/runner/work/r/r' }],
  cwd: '/home/runner/work/r/r',
  setpriv: '/usr/bin/setpriv',
  sh: '/usr/bin/sh',
};

/** The (flag, operand…) groups of an argv, for order checks. */
const index = (args: string[], ...seq: string[]) =>
  args.findIndex((_, i) => seq.every((s, j) => args[i + j] === s));

describe('worldArgs', () => {
  const args = worldArgs(spec, '/opt/claude/bin/claude', ['-p', '--', 'review']);

  test('own PID, IPC and UTS namespaces; dies with the action; its own session', () => {
    for (const flag of [
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--die-with-parent',
      '--new-session',
    ])
      expect(args).toContain(flag);
    expect(args).not.toContain('--unshare-net'); // egress is per uid, to this run's proxy on loopback
    expect(args).not.toContain('--unshare-user'); // bwrap runs as root: no user namespace needed
  });

  test.each([
    [['--ro-bind', '/usr', '/usr']],
    [['--symlink', 'usr/bin', '/bin']],
    [['--ro-bind', '/lib64', '/lib64']],
    [['--ro-bind-try', '/etc/passwd', '/etc/passwd']],
    [['--proc', '/proc']],
    [['--dev', '/dev']],
    [['--perms', '1777', '--tmpfs', '/tmp']],
    [['--perms', '1777', '--tmpfs', '/var/tmp']],
    [['--perms', '1777', '--tmpfs', '/dev/shm']],
    [['--perms', '0755', '--tmpfs', '/run']],
    [['--ro-bind', '/opt/node', '/opt/node']],
    [['--ro-bind', '/tmp/claude-guard-agent-x/repo', '/home/runner/work/r/r']],
    [['--remount-ro', '/']],
    [['--chdir', '/home/runner/work/r/r']],
  ])('mounts %j', (seq) => {
    expect(index(args, ...seq)).toBeGreaterThanOrEqual(0);
  });

  test('builds only what is listed: no bind of /, /home, /etc, /var or /run/lock as a whole', () => {
    for (let i = 0; i < args.length; i++) {
      if (!['--bind', '--ro-bind', '--ro-bind-try', '--dev-bind'].includes(args[i])) continue;
      expect(['/', '/home', '/home/runner', '/etc', '/var', '/run', '/tmp']).not.toContain(args[i + 1]);
    }
    expect(args).not.toContain('--bind');
    expect(args).not.toContain('--dev-bind');
  });

  test('the share directory is mounted after the fresh /tmp it lives on, its parents made 0755 first', () => {
    const tmpfs = index(args, '--tmpfs', '/tmp');
    const parent = index(args, '--perms', '0755', '--dir', '/tmp/claude-guard-agent-x');
    const share = index(args, '--ro-bind', '/tmp/claude-guard-agent-x/share');
    expect(tmpfs).toBeLessThan(parent);
    expect(parent).toBeLessThan(share);
    expect(index(args, '--perms', '0755', '--dir', '/home/runner/work/r')).toBeGreaterThan(0);
  });

  test('drops to the run uid with no groups, no capabilities, no_new_privs, then execs the command', () => {
    const tail = args.slice(args.indexOf('--') + 1);
    expect(tail.slice(0, 9)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=991',
      '--regid=991',
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
      '/usr/bin/sh',
    ]);
    expect(tail.slice(-4)).toEqual(['/opt/claude/bin/claude', '-p', '--', 'review']);
  });
});

describe('worldArgs with the hook bundle and a writable copy (custom mode)', () => {
  const copy = '/tmp/claude-guard-agent-x/repo';
  const ws = '/home/runner/work/r/r';
  const args = worldArgs(
    {
      ...spec,
      binds: [
        { source: copy, target: ws, writable: true },
        { source: `${copy}/.git`, target: `${ws}/.git` },
        { source: '/home/runner/work/_actions/o/claude-guard/v1/dist/hook', target: WORLD_HOOK_DIR },
      ],
    },
    '/opt/claude/bin/claude',
    [],
  );

  test('the copy is writable at the workspace path, its .git read-only over it, after it', () => {
    const tree = index(args, '--bind', copy, ws);
    const git = index(args, '--ro-bind', `${copy}/.git`, `${ws}/.git`);
    expect(tree).toBeGreaterThan(0);
    expect(git).toBeGreaterThan(tree);
    expect(args.filter((a) => a === '--bind')).toHaveLength(1);
  });

  test('only the hook bundle of the action is bound, read-only, at the fixed path, its parent made 0755', () => {
    expect(
      index(args, '--ro-bind', '/home/runner/work/_actions/o/claude-guard/v1/dist/hook', WORLD_HOOK_DIR),
    ).toBeGreaterThan(index(args, '--perms', '0755', '--dir', '/claude-guard'));
    expect(args.filter((a) => a.includes('_actions'))).toHaveLength(1);
  });
});

describe('worldObstacles (the copy replaces the workspace path)', () => {
  const ws = '/home/runner/work/r/r';
  const fine = { workspace: ws, node: '/opt/hostedtoolcache/node/24/x64/bin/node' };
  test.each<[string, Parameters<typeof worldObstacles>[0], RegExp[]]>([
    [
      'a pinned action, node and CLI outside',
      { ...fine, actionDir: '/home/runner/work/_actions/o/cg/v1', cli: '/opt/claude/bin/claude' },
      [],
    ],
    ['a sibling directory whose name starts like the workspace', { ...fine, actionDir: `${ws}-action` }, []],
    [
      'uses: ./ (the action is the workspace)',
      { ...fine, actionDir: ws },
      [/action's own directory.*uses: \.\/.*'isolation/],
    ],
    [
      'an action in a subdirectory of the workspace',
      { ...fine, actionDir: `${ws}/.github/actions/cg` },
      [/action's own directory/],
    ],
    [
      'node inside the workspace',
      { ...fine, node: `${ws}/.node/bin/node` },
      [/^node .* lies inside the workspace/],
    ],
    [
      'claude-path inside the workspace',
      { ...fine, cli: `${ws}/node_modules/.bin/claude` },
      [/input 'claude-path'/],
    ],
    [
      'all three',
      { workspace: ws, node: `${ws}/n`, actionDir: ws, cli: `${ws}/c` },
      [/action/, /^node/, /claude-path/],
    ],
  ])('%s', (_name, input, expected) => {
    const reasons = worldObstacles(input);
    expect(reasons).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(reasons[i]).toMatch(re));
  });
});

describe('installRoot', () => {
  const forbidden = ['/home/runner', '/home/runner/work/_temp', '/home/runner/work/r/r'];
  test.each([
    ['/opt/node24/bin/node', '/opt/node24'],
    ['/usr/bin/node', undefined],
    ['/opt/hostedtoolcache/claude/2.1/x64/bin/claude', '/opt/hostedtoolcache/claude/2.1/x64'],
    // The CLI installed in the run's own directory: never bind a directory that holds RUNNER_TEMP or HOME.
    ['/home/runner/bin/claude', '/home/runner/bin/claude'],
    ['/home/runner/work/_temp/claude-guard-1/cli/bin/claude', '/home/runner/work/_temp/claude-guard-1/cli'],
    ['/bin/claude', '/bin/claude'],
  ])('%s → %s', (file, root) => {
    expect(installRoot(file, forbidden)).toBe(root);
  });
});

describe('judgeInventory (the allowed set of the world, precisely)', () => {
  const allowance: WorldAllowance = {
    skip: ['/usr', '/proc', '/sys', '/dev'],
    readable: ['/etc/passwd', '/etc/ssl/certs', '/tmp/claude-guard-agent-x/share'],
    workspace: '/w/r',
    tracked: ['a.ts', 'src/b.ts'],
    writable: ['/tmp', '/var/tmp', '/dev/shm', '/run'],
  };
  test('tracked files, .git, public /etc files, the share directory and the fresh tmpfs are allowed', () => {
    expect(
      judgeInventory(allowance, {
        readable: [
          '/w/r/a.ts',
          '/w/r/src/b.ts',
          '/w/r/.git/HEAD',
          '/etc/passwd',
          '/etc/ssl/certs/ca.pem',
          '/tmp/claude-guard-agent-x/share/settings.json',
          '/tmp/claude-guard/home/.claude.json',
        ],
        writable: ['/tmp', '/tmp/claude-guard/home', '/var/tmp'],
      }),
    ).toEqual([]);
  });
  test.each([
    ['/w/r/.env'],
    ['/w/r/dist/out.js'],
    ['/w/r.env'],
    ['/etc/shadow'],
    ['/etc/passwd-'],
    ['/home/runner/.gitconfig'],
  ])('%s is outside', (file) => {
    expect(judgeInventory(allowance, { readable: [file], writable: [] })).toEqual([`readable: ${file}`]);
  });
  test('a writable place outside the fresh tmpfs is outside', () => {
    expect(judgeInventory(allowance, { readable: [], writable: ['/run/lock', '/w/r'] })).toEqual([
      'writable: /w/r',
    ]);
  });
  test('custom mode: the copy of the working tree may be writable, never its .git', () => {
    const custom = { ...allowance, writable: [...allowance.writable, '/w/r'] };
    expect(
      judgeInventory(custom, {
        readable: [],
        writable: ['/w/r', '/w/r/src', '/w/r/.git', '/w/r/.git/hooks'],
      }),
    ).toEqual(['writable: /w/r/.git', 'writable: /w/r/.git/hooks']);
  });
});

describe('per-run users', () => {
  test('a fresh user per run, verified, and removed again (idempotently)', async () => {
    const system = new FakeSystem();
    const a = await createRunUser(system, () => '0000abcd');
    const b = await createRunUser(system, () => '0000abce');
    expect(a.name).toBe('claude-guard-0000abcd');
    expect(a.uid).not.toBe(b.uid);
    expect(system.log).toContain('sudo -n -l -U claude-guard-0000abcd');
    await removeRunUser(system, a.name);
    await removeRunUser(system, a.name);
    expect(system.users.has(a.name)).toBe(false);
    expect(system.users.has(b.name)).toBe(true);
  });

  test('refuses names that are not per-run users', async () => {
    expect(isRunUserName('claude-guard-agent')).toBe(false);
    expect(isRunUserName('root')).toBe(false);
    await expect(removeRunUser(new FakeSystem(), 'runner')).rejects.toThrow(/refusing/);
  });

  test('a world run is undone without scanning shared temporary directories, and its user removed', async () => {
    const system = new FakeSystem();
    const user = await createRunUser(system, () => '0000abcf');
    const record: UndoRecord = {
      version: 1,
      level: 'strict',
      agentUser: user.name,
      world: true,
      dirs: [],
      acls: [],
      modes: [],
    };
    expect(await undoIsolation(record, system)).toEqual([]);
    expect(system.log.some((l) => l.startsWith('find'))).toBe(false);
    expect(system.killed).toContain(user.name);
    expect(system.users.has(user.name)).toBe(false);
  });
});
