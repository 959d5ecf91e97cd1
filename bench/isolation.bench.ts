/**
 * Isolation set-up plus teardown (issue 12), side by side in one run on the same runner-like tree:
 * rules-only, strict in the agent's world (review mode: per-run user, repository copy, two
 * iptables-restore transactions, no ACLs, no scans) and strict in the runner's world (the ACL path
 * custom and fix modes still use). Each round prepares and undoes one level after the other
 * (interleaved), then prints min/median/max in milliseconds and the subprocess count of one round.
 * Needs Linux and root (bwrap, setpriv, iptables); prints why when it cannot run. Asserts nothing about speed.
 */
import { expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareIsolation, undoIsolation } from '../src/isolation/launcher.js';
import { realSystem, type SystemPort } from '../src/isolation/system.js';
import type { IsolationLevel } from '../src/inputs.js';

const ROUNDS = 7;
const canRun =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  ['bwrap', 'setpriv', 'iptables-restore', 'useradd'].every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
  );

function runnerTree(base: string) {
  const home = path.join(base, 'home');
  const runnerTemp = path.join(home, 'work', '_temp');
  const workspace = path.join(home, 'work', 'repo', 'repo');
  fs.mkdirSync(runnerTemp, { recursive: true });
  fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
  for (let i = 0; i < 200; i++)
    fs.writeFileSync(path.join(workspace, 'src', `f${i}.ts`), `export const v${i} = ${i};\n`);
  const env = {
    PATH: '/usr/bin:/bin',
    GIT_AUTHOR_NAME: 'b',
    GIT_AUTHOR_EMAIL: 'b@x',
    GIT_COMMITTER_NAME: 'b',
    GIT_COMMITTER_EMAIL: 'b@x',
  };
  execFileSync('sh', ['-c', 'git init -q && git add -A && git commit -qm base'], { cwd: workspace, env });
  return { home, runnerTemp, workspace };
}

/** Counts the subprocesses the isolation code starts. */
function counting(system: SystemPort): { system: SystemPort; count: () => number } {
  let n = 0;
  return {
    system: { ...system, run: (c, a, o) => (n++, system.run(c, a, o)) } as SystemPort,
    count: () => n,
  };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};

test('isolation set-up + teardown: rules-only vs strict (world) vs strict (runner world)', async () => {
  if (!canRun) {
    console.log('isolation bench skipped: needs Linux, root, bwrap, setpriv, iptables-restore, useradd');
    return;
  }
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-bench-iso-'));
  fs.chmodSync(base, 0o755);
  const tree = runnerTree(base);
  const proxy = net.createServer((c) => c.end());
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as net.AddressInfo).port;
  const variants: [string, IsolationLevel, boolean][] = [
    ['rules-only', 'rules-only', true],
    ['strict (agent world, review)', 'strict', true],
    ['strict (runner world, ACLs)', 'strict', false],
  ];
  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  const calls = new Map<string, number>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, level, world] of variants) {
        const { system, count } = counting(realSystem);
        const start = performance.now();
        const launcher = await prepareIsolation(level, {
          system,
          workspace: tree.workspace,
          runnerTemp: tree.runnerTemp,
          runnerHome: tree.home,
          proxyPort: port,
          mode: 'review',
          git: 'git',
          world,
        });
        const problems = await undoIsolation(launcher.undo, system);
        times.get(name)?.push(performance.now() - start);
        calls.set(name, count());
        expect(problems).toEqual([]);
      }
    }
  } finally {
    proxy.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
  const rows = variants.map(([name]) => {
    const s = stats(times.get(name) ?? []);
    return `| ${name} | ${s.min.toFixed(0)} | ${s.median.toFixed(0)} | ${s.max.toFixed(0)} | ${calls.get(name)} |`;
  });
  console.log(
    [
      `Isolation set-up + teardown, ${ROUNDS} interleaved rounds, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), 200-file repository`,
      '| level | min ms | median ms | max ms | subprocesses |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
});
