/**
 * Installing Claude Code (src/install/claude-install.ts): a cold install from a registry on 127.0.0.1
 * (version documents, both tarballs, sha512 verification, in-process extraction, tool-cache copy, --version)
 * against a restore from the tool cache (record check, the binary re-hashed, --version), side by side.
 * Target: restore ≤ 2 s. When the real linux-x64 platform package is installed in node_modules, its files are
 * packed into tarballs here (GNU tar, ustar, gzip) so the cold install moves the real binary; otherwise the
 * small fixture tarballs are used. The repacked bytes differ from the registry's, so the bench pins the
 * integrity of its own tarballs. The tool cache is the directory-backed fake of the unit tests (same copy
 * semantics as @actions/tool-cache). Prints a table; asserts nothing about speed.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectPlatform, installClaude, type InstallOptions } from '../src/install/claude-install.js';
import { fileIntegrity } from '../src/install/tarball.js';
import type { PinTable } from '../src/install/pinned.js';
import { execText, resolveTool } from '../src/system-tools.js';
import {
  dirToolCache,
  loadFixtureIndex,
  startLocalRegistry,
  type FixtureIndex,
  type LocalRegistry,
} from '../__tests__/fixtures/registry/local-registry.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const WRAPPER = '@anthropic-ai/claude-code';
const NATIVE = `${WRAPPER}-linux-x64`;
const REAL_WRAPPER_DIR = path.join(ROOT, 'node_modules', WRAPPER);
const REAL_NATIVE_DIR = path.join(ROOT, 'node_modules', NATIVE);
const useReal = existsSync(path.join(REAL_NATIVE_DIR, 'claude')) && detectPlatform() === 'linux-x64';
const COLD_RUNS = useReal ? 2 : 5;
const RESTORE_RUNS = 5;
/** The tarball's own stub (500 bytes); the installed copy in node_modules was replaced by postinstall. */
const STUB = 'echo "Error: claude native binary not installed." >&2\nexit 1\n';

const work = mkdtempSync(path.join(tmpdir(), 'install-bench-'));
let registry: LocalRegistry;
let setup: { index: FixtureIndex; dir?: string; pins: PinTable; version: string; label: string };

/** Packs `files` (name → source path, or contents) as an npm tarball `package/...`; returns its path. */
async function pack(
  name: string,
  files: Record<string, string | { text: string; mode: number }>,
): Promise<string> {
  const stage = path.join(work, 'pack', name);
  for (const [rel, source] of Object.entries(files)) {
    const target = path.join(stage, 'package', rel);
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof source === 'string') linkSync(source, target);
    else writeFileSync(target, source.text, { mode: source.mode });
  }
  const tgz = path.join(work, 'registry', `${name}.tgz`);
  mkdirSync(path.dirname(tgz), { recursive: true });
  const tar = await resolveTool('tar');
  await execText(tar, ['--format=ustar', '--owner=0', '--group=0', '-czf', tgz, '-C', stage, 'package']);
  return tgz;
}

/** A registry holding the real 2.1.332 files, repacked. */
async function realRegistry(): Promise<typeof setup> {
  const manifest = (dir: string) =>
    JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
  const wrapper = manifest(REAL_WRAPPER_DIR);
  const version = wrapper.version;
  const small = (dir: string, names: string[]) =>
    Object.fromEntries(names.map((n) => [n, path.join(dir, n)]));
  const wrapperTgz = await pack(`claude-code-${version}`, {
    ...small(REAL_WRAPPER_DIR, [
      'package.json',
      'README.md',
      'LICENSE.md',
      'install.cjs',
      'cli-wrapper.cjs',
      'sdk-tools.d.ts',
    ]),
    'bin/claude.exe': { text: STUB, mode: 0o755 },
  });
  const nativeTgz = await pack(
    `claude-code-linux-x64-${version}`,
    small(REAL_NATIVE_DIR, ['package.json', 'README.md', 'LICENSE.md', 'claude']),
  );
  const index: FixtureIndex = {};
  const pins: Record<string, string> = {};
  for (const [dir, tgz] of [
    [REAL_WRAPPER_DIR, wrapperTgz],
    [REAL_NATIVE_DIR, nativeTgz],
  ]) {
    const doc = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as FixtureIndex[string];
    const integrity = await fileIntegrity(tgz, 'sha512');
    index[`${doc.name}@${version}`] = { ...doc, dist: { tarball: path.basename(tgz), integrity } };
    pins[doc.name] = integrity;
  }
  const size = (f: string) => {
    const bytes = statSync(f).size;
    return bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 2 ** 20).toFixed(0)} MB`;
  };
  return {
    index,
    dir: path.dirname(wrapperTgz),
    pins: { [version]: pins },
    version,
    label: `real ${version} linux-x64 files, repacked (tarballs ${size(wrapperTgz)} + ${size(nativeTgz)}; binary ${size(path.join(REAL_NATIVE_DIR, 'claude'))})`,
  };
}

/** The small fixture tarballs, 9.9.1 pinned. */
function fixtureRegistry(): typeof setup {
  const index = loadFixtureIndex();
  const integrity = (name: string) => index[`${name}@9.9.1`].dist.integrity ?? '';
  return {
    index,
    pins: { '9.9.1': { [WRAPPER]: integrity(WRAPPER), [NATIVE]: integrity(NATIVE) } },
    version: '9.9.1',
    label: 'fixture tarballs (no real linux-x64 platform package in node_modules)',
  };
}

beforeAll(async () => {
  setup = useReal ? await realRegistry() : fixtureRegistry();
  registry = await startLocalRegistry({ index: setup.index, dir: setup.dir });
});

afterAll(async () => {
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

const options = (cacheRoot: string): InstallOptions => ({
  version: setup.version,
  registry: registry.url,
  toolCache: dirToolCache(cacheRoot),
  workDir: work,
  pins: setup.pins,
  platform: 'linux-x64',
  log: { info: () => undefined, warning: () => undefined },
});

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

test('cold install vs restore from the tool cache', async () => {
  const cold: number[] = [];
  let cacheRoot = '';
  for (let i = 0; i < COLD_RUNS; i++) {
    if (cacheRoot) rmSync(cacheRoot, { recursive: true, force: true });
    cacheRoot = path.join(work, `toolcache-${i}`);
    const [ms, got] = await timed(() => installClaude(options(cacheRoot)));
    expect(got).toMatchObject({ fromCache: false, pinned: true, version: setup.version });
    cold.push(ms);
  }
  const restore: number[] = [];
  const before = registry.requests.length;
  for (let i = 0; i < RESTORE_RUNS; i++) {
    const [ms, got] = await timed(() => installClaude(options(cacheRoot)));
    expect(got.fromCache).toBe(true);
    restore.push(ms);
  }
  expect(registry.requests.length).toBe(before);

  const c = stats(cold);
  const r = stats(restore);
  const rows = [
    ['case', 'runs', 'median', 'min', 'max', 'target'],
    [
      'cold install (registry on 127.0.0.1)',
      String(COLD_RUNS),
      seconds(c.median),
      seconds(c.min),
      seconds(c.max),
      '-',
    ],
    [
      'restore from tool cache',
      String(RESTORE_RUNS),
      seconds(r.median),
      seconds(r.min),
      seconds(r.max),
      `≤ 2 s: ${r.median <= 2000 ? 'met' : 'MISSED'}`,
    ],
  ];
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const line = (row: string[]) => `| ${row.map((cell, col) => cell.padEnd(widths[col])).join(' | ')} |\n`;
  process.stdout.write(
    `\nClaude Code install: ${setup.label}\n` +
      line(rows[0]) +
      line(widths.map((w) => '-'.repeat(w))) +
      rows.slice(1).map(line).join('') +
      `restore requests to the registry: ${registry.requests.length - before}\n\n`,
  );
});
