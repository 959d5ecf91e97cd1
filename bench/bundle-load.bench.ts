/**
 * How long the bundled entries take to load (issue 12): `node dist/<entry>/index.js` until the action reads
 * its first input (main) or state (post), against bare `node` reading one, interleaved, in a clean
 * environment. Wall time is since process start; CPU is user + system of the process. Prints, asserts only
 * that every run reached its first read.
 */
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HOOK = path.join(ROOT, 'bench/support/exit-at-first-input.mjs');
const RUNS = Number(process.env.BENCH_LOAD_RUNS ?? 15);
const TARGETS: Record<string, string[]> = {
  'node alone': ['-e', 'process.env.INPUT_X'],
  'dist/main': [path.join(ROOT, 'dist/main/index.js')],
  'dist/post': [path.join(ROOT, 'dist/post/index.js')],
};

function once(args: string[]): { wall: number; cpu: number } {
  const r = spawnSync(process.execPath, ['--import', HOOK, ...args], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    encoding: 'utf8',
  });
  const m = /LOAD (\S+) (\S+)/.exec(r.stderr);
  if (!m) throw new Error(`${args.join(' ')} never read an input: ${r.stderr.slice(-1000)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('load time of the bundled entries', () => {
  const seen: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(TARGETS)) {
      const r = once(args);
      seen[name] ??= { wall: [], cpu: [] };
      seen[name].wall.push(r.wall);
      seen[name].cpu.push(r.cpu);
    }
  }
  const base = seen['node alone'];
  const lines = Object.entries(seen).map(([name, s]) => {
    const over =
      name === 'node alone'
        ? ''
        : `  → load ${(median(s.wall) - median(base.wall)).toFixed(0)} ms wall, ` +
          `${(median(s.cpu) - median(base.cpu)).toFixed(0)} ms CPU`;
    return `${name.padEnd(10)}  median ${median(s.wall).toFixed(0)} ms wall, ${median(s.cpu).toFixed(0)} ms CPU${over}`;
  });
  console.log(
    `Bundle load time, ${RUNS} runs each, interleaved (${os.availableParallelism()} cores, ` +
      `${os.cpus()[0]?.model.trim()}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}):\n${lines.join('\n')}`,
  );
  expect(Object.keys(seen)).toHaveLength(3);
});
