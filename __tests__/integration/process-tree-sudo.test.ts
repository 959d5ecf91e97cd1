/**
 * The run's process tree as a runner's user sees it: not root, passwordless sudo (GitHub-hosted runners).
 * As root, the test makes a throwaway user with a NOPASSWD sudoers entry, copies src/agent/process-tree.ts
 * where that user can read it (Node 24 runs it with type stripping), and has the user start the CLI
 * stand-in through the tree: a process that clears its environment (no run marker) and leaves the process
 * group must die with the tree and the cgroup go. Control: the same user without the sudoers entry gets
 * no cgroup, and that process survives (the README's known limit), so the test can fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/agent/process-tree.ts', import.meta.url));
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const usable =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  ['useradd', 'userdel', 'setpriv', 'sudo'].every(has) &&
  fs.existsSync('/etc/sudoers.d') &&
  Number(process.versions.node.split('.')[0]) >= 24;

const CHECK = `
import { createProcessTree, endTree, joinTree, markEnv } from './process-tree.ts';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
const tag = process.argv[2];
const tree = createProcessTree();
const { command, args } = joinTree(tree, '/bin/sh', ['-c',
  "env -i /bin/sh -c 'setsid /bin/bash -c \\"exec -a " + tag + " sleep 300\\" </dev/null >/dev/null 2>&1 &'; sleep 0.3"]);
execFileSync(command, args, { env: markEnv(tree, { PATH: '/usr/bin:/bin' }) });
const killed = await endTree(tree);
console.log(JSON.stringify({ cgroup: tree.cgroup ?? null, sudo: tree.sudo ?? null, killed,
  cgroupLeft: tree.cgroup ? existsSync(tree.cgroup) : false }));
`;

const alive = (tag: string) =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(tag) && !l.includes('ps -eo'));

(usable ? describe : describe.skip)('process tree without root, with passwordless sudo', () => {
  const user = `cgtree${process.pid % 100000}`;
  const sudoers = path.join('/etc/sudoers.d', user);
  let dir = '';
  beforeAll(() => {
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', user]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-tree-'));
    fs.chmodSync(dir, 0o755);
    fs.copyFileSync(SRC, path.join(dir, 'process-tree.ts'));
    fs.writeFileSync(path.join(dir, 'check.mjs'), CHECK);
    for (const f of ['process-tree.ts', 'check.mjs']) fs.chmodSync(path.join(dir, f), 0o644);
  });
  afterAll(() => {
    fs.rmSync(sudoers, { force: true });
    spawnSync('userdel', [user]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const runAsUser = (tag: string) => {
    const uid = execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim();
    const out = execFileSync(
      'setpriv',
      [`--reuid=${uid}`, `--regid=${uid}`, '--init-groups', '--', process.execPath, 'check.mjs', tag],
      { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir } },
    );
    return JSON.parse(out.trim().split('\n').pop() as string) as {
      cgroup: string | null;
      sudo: string | null;
      cgroupLeft: boolean;
    };
  };

  test('with sudo: an env -i setsid process dies with the tree, and the cgroup is removed', () => {
    fs.writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    const tag = `cg-tree-sudo-${Date.now()}`;
    const result = runAsUser(tag);
    expect(result.sudo).toMatch(/\/sudo$/);
    expect(result.cgroup).toMatch(/\/claude-guard-[0-9a-f-]{36}$/);
    expect(result.cgroupLeft).toBe(false);
    expect(alive(tag)).toEqual([]);
  });

  test('control, without sudo: no cgroup, and the same process survives', () => {
    fs.rmSync(sudoers, { force: true });
    const tag = `cg-tree-nosudo-${Date.now()}`;
    try {
      const result = runAsUser(tag);
      expect(result.cgroup).toBeNull();
      expect(alive(tag)).toHaveLength(1);
    } finally {
      for (const line of alive(tag)) process.kill(Number(line.trim().split(/\s+/)[0]), 'SIGKILL');
    }
  });
});
