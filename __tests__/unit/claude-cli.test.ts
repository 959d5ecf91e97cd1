import { describe, expect, test } from '@jest/globals';
import { buildClaudeArgs, runClaude } from '../../src/agent/claude-cli.js';
import {
  cgroup2Mount,
  createProcessTree,
  passwordlessSudo,
  endTree,
  findMarked,
  joinTree,
  markEnv,
} from '../../src/agent/process-tree.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const base = { model: undefined, maxTurns: 30, claudeArgs: [] as string[] };

describe('buildClaudeArgs', () => {
  test.each([
    [{ ...base }, ['--max-turns', '30'], ['--model']],
    [{ ...base, model: 'claude-x' }, ['--model', 'claude-x'], []],
    [{ ...base, claudeArgs: ['--effort', 'high'] }, ['--effort', 'high'], []],
  ])('%j', (settings, contains, absent) => {
    const args = buildClaudeArgs({
      settings,
      settingsArgs: ['--settings', '/s.json'],
      outputSchema: { type: 'object' },
    });
    const joined = args.join('\u0000');
    expect(joined).toContain(contains.join('\u0000'));
    for (const a of absent) expect(args).not.toContain(a);
    for (const required of ['--print', '--no-session-persistence', '--verbose'])
      expect(args).toContain(required);
    expect(args.slice(args.indexOf('--output-format'), args.indexOf('--output-format') + 2)).toEqual([
      '--output-format',
      'stream-json',
    ]);
    expect(args.slice(args.indexOf('--permission-mode'), args.indexOf('--permission-mode') + 2)).toEqual([
      '--permission-mode',
      'dontAsk',
    ]);
    // our settings flags come after anything the user passed
    expect(args.indexOf('--settings')).toBeGreaterThan(args.indexOf('--print'));
    expect(args).not.toContain('--dangerously-skip-permissions');
  });
});

describe('runClaude', () => {
  test('streams lines, passes the prompt on stdin, reports the exit', async () => {
    const lines: string[] = [];
    const exit = await runClaude({
      command: '/bin/sh',
      args: ['-c', 'read p; echo "got:$p"; echo second; exit 3'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      prompt: 'hello prompt\n',
      timeoutMs: 10_000,
      onLine: (l) => lines.push(l),
    });
    expect(lines).toEqual(['got:hello prompt', 'second']);
    expect(exit).toMatchObject({ code: 3, timedOut: false });
  });

  test('a hang past the timeout kills the whole process group, grandchildren included', async () => {
    const marker = `cg-test-${process.pid}-${Date.now()}`;
    const exit = await runClaude({
      command: '/bin/bash',
      // a background grandchild plus a foreground sleep: both must die
      args: ['-c', `(exec -a ${marker}-bg sleep 300) & exec -a ${marker} sleep 301`],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      prompt: '',
      timeoutMs: 300,
      onLine: () => undefined,
    });
    expect(exit.timedOut).toBe(true);
    const { execFileSync } = await import('node:child_process');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(marker); // the foreground sleep and the background grandchild (`${marker}-bg`)
  });

  test('a missing binary is reported, not thrown', async () => {
    const exit = await runClaude({
      command: '/nonexistent/claude',
      args: [],
      env: {},
      cwd: '/',
      prompt: '',
      timeoutMs: 5000,
      onLine: () => undefined,
    });
    expect(exit.spawnError).toMatch(/ENOENT/);
  });

  test('a child holding stdout after the CLI exits does not turn a finished run into a timeout', async () => {
    const tag = `cg-linger-${process.pid}-${Date.now()}`;
    const tree = createProcessTree();
    const lines: string[] = [];
    const started = Date.now();
    const exit = await runClaude({
      command: '/bin/sh',
      // the "result" is printed, then a setsid'd child keeps stdout open while the CLI exits
      args: ['-c', `echo '{"type":"result"}'; setsid bash -c 'exec -a ${tag} sleep 300' & exit 0`],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      prompt: '',
      timeoutMs: 60_000,
      onLine: (l) => lines.push(l),
      tree,
    });
    await endTree(tree);
    expect(exit).toMatchObject({ code: 0, timedOut: false });
    expect(lines).toEqual(['{"type":"result"}']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(alive(tag)).toEqual([]);
  });
});

/** Processes whose command line contains `tag`. */
function alive(tag: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(tag) && !l.includes('ps -eo'));
}

describe('process tree', () => {
  test('cgroup2Mount reads the cgroup2 mount point from mountinfo', () => {
    const info =
      '30 23 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n' +
      '38 23 0:34 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n';
    expect(cgroup2Mount(info)).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount('30 23 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw\n')).toBeUndefined();
  });

  test('without root or sudo there is no cgroup, only the marker', () => {
    const tree = createProcessTree({ uid: 1000, sudo: null });
    expect(tree.cgroup).toBeUndefined();
    expect(tree.sudo).toBeUndefined();
    expect(tree.marker).toMatch(/^cg-[0-9a-f-]{36}$/);
  });

  const root = process.getuid?.() === 0;
  const sudo = passwordlessSudo();
  test.each([
    ['marker only (no root, no sudo)', { uid: 1000, sudo: null }, false],
    ...(root ? [['cgroup when root', {}, true] as const] : []),
    // Not root (as a runner's user): the cgroup is made, joined, killed and removed through sudo.
    ...(sudo ? [['cgroup through sudo when not root', { uid: 1000, sudo }, true] as const] : []),
  ])('%s: setsid, double-forked and env -i processes die with the tree', async (_name, opts, cgroup) => {
    const tree = createProcessTree(opts);
    expect(tree.cgroup !== undefined).toBe(cgroup);
    if ('sudo' in opts && cgroup) expect(tree.sudo).toBe(sudo);
    const tag = `cg-escape-${process.pid}-${Date.now()}`;
    const { command, args } = joinTree(tree, '/bin/sh', [
      '-c',
      `setsid bash -c 'exec -a ${tag}-a sleep 300' </dev/null >/dev/null 2>&1 &
       (bash -c 'exec -a ${tag}-b sleep 300' </dev/null >/dev/null 2>&1 &)
       env -i /bin/sh -c 'setsid /bin/bash -c "exec -a ${tag}-env sleep 300" </dev/null >/dev/null 2>&1 &' ; sleep 0.3`,
    ]);
    execFileSync(command, args, { env: markEnv(tree, { PATH: '/usr/bin:/bin' }) });
    expect(alive(tag)).toHaveLength(3);
    expect(findMarked(tree.marker).length).toBeGreaterThanOrEqual(2);
    await endTree(tree);
    if (cgroup) {
      expect(alive(tag)).toEqual([]);
      expect(existsSync(tree.cgroup as string)).toBe(false);
    } else {
      // The limit without root or sudo: a process that clears its environment and leaves the group escapes.
      const left = alive(tag);
      expect(left.map((l) => l.trim().split(/\s+/).slice(1).join(' '))).toEqual([`${tag}-env 300`]);
      for (const line of left) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    }
  });

  test('the join command goes through sudo only when the tree says so', () => {
    const viaSudo = joinTree(
      { marker: 'cg-x', cgroup: '/sys/fs/cgroup/claude-guard-x', sudo: '/usr/bin/sudo' },
      '/bin/claude',
      ['-p'],
    );
    expect(viaSudo.args.slice(2)).toEqual([
      '/sys/fs/cgroup/claude-guard-x',
      '/usr/bin/sudo',
      '/bin/claude',
      '-p',
    ]);
    expect(viaSudo.args[1]).toMatch(/"\$1" -n tee "\$0\/cgroup\.procs"/);
    const direct = joinTree({ marker: 'cg-x', cgroup: '/sys/fs/cgroup/claude-guard-x' }, '/bin/claude', [
      '-p',
    ]);
    expect(direct.args.slice(2)).toEqual(['/sys/fs/cgroup/claude-guard-x', '/bin/claude', '-p']);
  });
});
