import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  expectedIntegrity,
  installClaude,
  platformKey,
  resolveClaudeVersion,
  type InstallOptions,
} from '../../src/install/claude-install.js';
import { registryUrl } from '../../src/install/npm-registry.js';
import { extractTarball, integrityMatches, tarEntryPath } from '../../src/install/tarball.js';
import { PINNED_CLAUDE_VERSION, PINS, type PinTable } from '../../src/install/pinned.js';
import { actionsToolCache } from '../../src/install/tool-cache.js';
import {
  FIXTURE_DIR,
  dirToolCache,
  loadFixtureIndex,
  startLocalRegistry,
  type LocalRegistry,
} from '../fixtures/registry/local-registry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WRAPPER = '@anthropic-ai/claude-code';
const NATIVE = `${WRAPPER}-linux-x64`;
const index = loadFixtureIndex();
/** The test's pin table: 9.9.1 pinned to the genuine fixture tarballs; 9.9.2 and 9.9.3 unpinned. */
const TEST_PINS: PinTable = {
  '9.9.1': {
    [WRAPPER]: index[`${WRAPPER}@9.9.1`].dist.integrity!,
    [NATIVE]: index[`${NATIVE}@9.9.1`].dist.integrity!,
  },
};

describe('decisions', () => {
  test.each([
    ['linux', 'x64', false, 'linux-x64'],
    ['linux', 'x64', true, 'linux-x64-musl'],
    ['linux', 'arm64', false, 'linux-arm64'],
    ['linux', 'arm64', true, 'linux-arm64-musl'],
    ['darwin', 'arm64', false, 'darwin-arm64'],
    ['darwin', 'x64', true, 'darwin-x64'],
    ['win32', 'x64', false, 'win32-x64'],
  ] as const)('platformKey(%s, %s, musl=%s) = %s', (os, arch, musl, key) => {
    expect(platformKey(os, arch, musl)).toBe(key);
  });

  test.each([
    ['freebsd', 'x64'],
    ['linux', 'ia32'],
    ['aix', 'ppc64'],
  ] as const)('platformKey(%s, %s) is unsupported', (os, arch) => {
    expect(() => platformKey(os, arch, false)).toThrow(/no native package/);
  });

  test.each([
    ['', PINNED_CLAUDE_VERSION],
    ['2.1.332', '2.1.332'],
    [' v2.0.1 ', '2.0.1'],
    ['3.0.0-beta.1', '3.0.0-beta.1'],
  ])('resolveClaudeVersion(%j) = %s', (raw, version) => {
    expect(resolveClaudeVersion(raw)).toBe(version);
  });

  test.each(['latest', '^2.1.0', '2.1', '2.1.x', '2.1.332 || 3', '../2.1.332'])(
    'resolveClaudeVersion(%j) is refused',
    (raw) => {
      expect(() => resolveClaudeVersion(raw)).toThrow(/Input 'claude-version'.*not an exact version/);
    },
  );

  const pins: PinTable = { '1.0.0': { a: 'sha512-PIN' } };
  test.each([
    [
      'pinned version: the pin, whatever the registry says',
      '1.0.0',
      'a',
      'sha512-REG',
      { integrity: 'sha512-PIN', pinned: true },
    ],
    [
      'unpinned version: the registry value',
      '2.0.0',
      'a',
      'sha512-REG',
      { integrity: 'sha512-REG', pinned: false },
    ],
    [
      'unpinned, several hashes',
      '2.0.0',
      'a',
      'sha1-x sha512-REG',
      { integrity: 'sha1-x sha512-REG', pinned: false },
    ],
    ['pinned version, package not pinned', '1.0.0', 'b', 'sha512-REG', /no pinned integrity/],
    ['unpinned, sha1 only', '2.0.0', 'a', 'sha1-abc', /no sha512 integrity/],
    ['unpinned, none', '2.0.0', 'a', undefined, /no sha512 integrity/],
  ] as const)('expectedIntegrity: %s', (_name, version, pkg, registryIntegrity, want) => {
    const run = () =>
      expectedIntegrity(pins, version, {
        name: pkg,
        version,
        dist: { tarball: 'x', integrity: registryIntegrity },
      });
    if (want instanceof RegExp) expect(run).toThrow(want);
    else expect(run()).toEqual(want);
  });

  test.each([
    ['sha512-AAA', 'sha512-AAA', true],
    ['sha1-x sha512-AAA', 'sha512-AAA', true],
    ['sha512-AAA?opt', 'sha512-AAA', true],
    ['sha512-AAA', 'sha512-AAB', false],
    ['sha1-AAA', 'sha1-AAA', false],
    ['', 'sha512-AAA', false],
  ])('integrityMatches(%j, %j) = %s', (expected, actual, match) => {
    expect(integrityMatches(expected, actual)).toBe(match);
  });

  test.each([
    ['package/package.json', 'package.json'],
    ['package/bin/claude.exe', 'bin/claude.exe'],
    ['package/./bin//x', 'bin/x'],
    ['package/', null],
    ['other-top/x', 'x'],
  ])('tarEntryPath(%j) = %j', (name, rel) => {
    expect(tarEntryPath(name)).toBe(rel);
  });

  test.each([
    '../x',
    'package/../../x',
    'package/a/../../b',
    '/etc/passwd',
    'C:/x',
    'package/a\\..\\b',
    'package/a\0b',
  ])('tarEntryPath(%j) throws', (name) => {
    expect(() => tarEntryPath(name)).toThrow();
  });

  test.each([
    [{}, 'https://registry.npmjs.org'],
    [{ npm_config_registry: 'https://mirror.example/npm/' }, 'https://mirror.example/npm'],
    [{ NPM_CONFIG_REGISTRY: 'http://127.0.0.1:4873' }, 'http://127.0.0.1:4873'],
  ])('registryUrl(%j) = %s', (env, url) => {
    expect(registryUrl(env)).toBe(url);
  });

  test.each([
    [{ npm_config_registry: 'not a url' }, /not a URL/],
    [{ npm_config_registry: 'file:///etc' }, /http\(s\)/],
    [{ npm_config_registry: 'https://user:secret@mirror.example' }, /credentials/],
  ])('registryUrl(%j) throws', (env, message) => {
    expect(() => registryUrl(env)).toThrow(message);
  });
});

describe('the real pinned release', () => {
  const real = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', WRAPPER, 'package.json'), 'utf8')) as {
    version: string;
    optionalDependencies: Record<string, string>;
  };
  test('the pinned version is the one installed for these tests, and every platform package it names is pinned', () => {
    expect(real.version).toBe(PINNED_CLAUDE_VERSION);
    const pinned = PINS[PINNED_CLAUDE_VERSION];
    for (const [name, version] of Object.entries(real.optionalDependencies)) {
      expect(version).toBe(PINNED_CLAUDE_VERSION);
      expect(pinned[name]).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    }
    expect(pinned[WRAPPER]).toMatch(/^sha512-/);
  });
});

describe('extractTarball', () => {
  let dest: string;
  const escape = '/tmp/claude-guard-fixture-escape.txt';
  beforeEach(() => {
    dest = mkdtempSync(path.join(tmpdir(), 'extract-'));
    rmSync(escape, { force: true });
  });
  afterEach(() => rmSync(dest, { recursive: true, force: true }));

  test('writes files without the top directory, keeps modes (never group/world write) and a long pax name', async () => {
    const digests = await extractTarball(
      path.join(FIXTURE_DIR, 'claude-code-9.9.1.tgz'),
      path.join(dest, 'pkg'),
    );
    const longName = `docs/${'long-name-'.repeat(12)}.md`;
    expect([...digests.keys()].sort()).toEqual(
      ['bin/claude.exe', 'install.cjs', longName, 'package.json'].sort(),
    );
    expect(readFileSync(path.join(dest, 'pkg', longName), 'utf8')).toBe('kept through a pax header\n');
    expect(statSync(path.join(dest, 'pkg', 'bin', 'claude.exe')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dest, 'pkg', 'package.json')).mode & 0o777).toBe(0o644);
  });

  test.each([
    ['evil-dotdot.tgz', /climbs out/],
    ['evil-absolute.tgz', /absolute/],
    ['evil-symlink.tgz', /is a link/],
    ['evil-hardlink.tgz', /is a link/],
    ['evil-duplicate.tgz', /EEXIST/],
  ])('%s is refused and nothing lands outside the destination', async (file, message) => {
    const pkg = path.join(dest, 'a', 'pkg');
    await expect(extractTarball(path.join(FIXTURE_DIR, file), pkg)).rejects.toThrow(message);
    expect(existsSync(escape)).toBe(false);
    expect(existsSync(path.join(dest, 'escape.txt'))).toBe(false);
    expect(readdirSync(pkg).filter((f) => f !== 'claude')).toEqual([]);
  });

  test.each([
    ['cut in half', (b: Buffer) => b.subarray(0, b.length >> 1)],
    ['not gzip, not tar', () => Buffer.from('<html>a login page</html>\n')],
    [
      'corrupt inside the gzip stream',
      (b: Buffer) => Buffer.concat([b.subarray(0, 40), Buffer.alloc(64, 7), b.subarray(104)]),
    ],
  ])('a tarball %s is an error, never a partial install taken for whole', async (_name, damage) => {
    const file = path.join(dest, 'damaged.tgz');
    writeFileSync(file, damage(readFileSync(path.join(FIXTURE_DIR, 'claude-code-9.9.1.tgz'))));
    await expect(extractTarball(file, path.join(dest, 'pkg'))).rejects.toThrow();
  });
});

describe('installClaude against a local registry', () => {
  let work: string;
  let registry: LocalRegistry | undefined;
  const warnings: string[] = [];
  const log = { info: () => undefined, warning: (m: string) => void warnings.push(m) };

  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'claude-install-'));
    warnings.length = 0;
  });
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  const options = (
    version: string,
    url: string,
    cacheRoot = path.join(work, 'toolcache'),
  ): InstallOptions => ({
    version,
    registry: url,
    toolCache: dirToolCache(cacheRoot),
    workDir: work,
    pins: TEST_PINS,
    platform: 'linux-x64',
    log,
  });

  test('a pinned version installs: both tarballs fetched, the native binary in place of the stub, version checked, cached', async () => {
    registry = await startLocalRegistry({ index });
    const got = await installClaude(options('9.9.1', registry.url));
    expect(got).toMatchObject({ version: '9.9.1', pinned: true, fromCache: false });
    expect(got.path).toBe(
      path.join(
        work,
        'toolcache',
        'claude-code',
        '9.9.1',
        'x64',
        'node_modules',
        WRAPPER,
        'bin',
        'claude.exe',
      ),
    );
    expect(execFileSync(got.path, ['--version'], { encoding: 'utf8' })).toBe('9.9.1 (Claude Code)\n');
    expect(registry.requests).toEqual([
      '/@anthropic-ai%2fclaude-code/9.9.1',
      '/@anthropic-ai%2fclaude-code-linux-x64/9.9.1',
      '/tarballs/claude-code-9.9.1.tgz',
      '/tarballs/claude-code-linux-x64-9.9.1.tgz',
    ]);
    expect(warnings).toEqual([]);
    expect(readdirSync(work).sort()).toEqual(['toolcache']); // staging removed
  });

  test('the second run is restored from the tool cache with no request to the registry', async () => {
    registry = await startLocalRegistry({ index });
    const first = await installClaude(options('9.9.1', registry.url));
    await registry.close();
    registry = await startLocalRegistry({ index });
    const second = await installClaude(options('9.9.1', registry.url));
    expect(second).toEqual({ ...first, fromCache: true });
    expect(registry.requests).toEqual([]);
  });

  test('through the real @actions/tool-cache: installed into RUNNER_TOOL_CACHE, then restored with no request', async () => {
    const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP };
    process.env.RUNNER_TOOL_CACHE = path.join(work, 'runner-tool-cache');
    process.env.RUNNER_TEMP = path.join(work, 'runner-temp');
    try {
      registry = await startLocalRegistry({ index });
      const real = { ...options('9.9.1', registry.url), toolCache: actionsToolCache };
      const first = await installClaude(real);
      expect(
        first.path.startsWith(path.join(work, 'runner-tool-cache', 'claude-code', '9.9.1', 'x64') + path.sep),
      ).toBe(true);
      const requests = registry.requests.length;
      expect(await installClaude(real)).toEqual({ ...first, fromCache: true });
      expect(registry.requests.length).toBe(requests);
    } finally {
      for (const [name, value] of [
        ['RUNNER_TOOL_CACHE', saved.cache],
        ['RUNNER_TEMP', saved.temp],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test('a cached binary changed after caching is not used: it is installed again, with a warning', async () => {
    registry = await startLocalRegistry({ index });
    const first = await installClaude(options('9.9.1', registry.url));
    writeFileSync(first.path, "#!/bin/sh\necho '9.9.1 (Claude Code)'\n# planted\n");
    const again = await installClaude(options('9.9.1', registry.url));
    expect(again.fromCache).toBe(false);
    expect(warnings.join('\n')).toMatch(/failed verification \(its binary changed after it was cached\)/);
    expect(readFileSync(again.path, 'utf8')).not.toContain('planted');
  });

  test('a cached entry for a pinned version whose record shows other tarballs is installed again', async () => {
    registry = await startLocalRegistry({ index });
    const first = await installClaude(options('9.9.1', registry.url));
    const recordFile = path.join(
      path.dirname(first.path),
      '..',
      '..',
      '..',
      '..',
      'claude-guard-install.json',
    );
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { packages: Record<string, string> };
    record.packages[NATIVE] = index[`${NATIVE}@9.9.2`].dist.integrity!; // as if verified against a mirror's value
    writeFileSync(recordFile, JSON.stringify(record));
    const again = await installClaude(options('9.9.1', registry.url));
    expect(again).toMatchObject({ pinned: true, fromCache: false });
    expect(warnings.join('\n')).toMatch(
      /failed verification \(it was not installed from the pinned tarballs\)/,
    );
  });

  test.each([
    ['the platform tarball', 'claude-code-linux-x64-9.9.1.tgz', NATIVE],
    ['the wrapper tarball', 'claude-code-9.9.1.tgz', WRAPPER],
  ])(
    'pinned version: %s tampered, even with the registry vouching for it, is refused and nothing cached',
    async (_n, file, pkg) => {
      registry = await startLocalRegistry({ index, tamper: [file], lie: true });
      const pin = TEST_PINS['9.9.1'][pkg];
      const err = (await installClaude(options('9.9.1', registry.url)).catch((e: Error) => e)) as Error;
      expect(err.message).toContain(`${pkg}@9.9.1`);
      expect(err.message).toContain(`does not match its pinned integrity. Expected ${pin}, got sha512-`);
      expect(err.message).not.toContain(`got ${pin}`);
      expect(dirToolCache(path.join(work, 'toolcache')).find('claude-code', '9.9.1', 'x64')).toBe('');
      expect(readdirSync(work)).toEqual([]);
    },
  );

  test('unpinned version: a tarball that does not match the registry integrity is refused', async () => {
    registry = await startLocalRegistry({ index, tamper: ['claude-code-linux-x64-9.9.2.tgz'] });
    await expect(installClaude(options('9.9.2', registry.url))).rejects.toThrow(
      `${NATIVE}@9.9.2: the tarball from ${registry.url}/tarballs/claude-code-linux-x64-9.9.2.tgz does not match its registry's integrity. Expected ${index[`${NATIVE}@9.9.2`].dist.integrity}`,
    );
  });

  test('unpinned version: installs against the registry integrity, with a warning that it is not pinned', async () => {
    registry = await startLocalRegistry({ index });
    const got = await installClaude(options('9.9.2', registry.url));
    expect(got).toMatchObject({ version: '9.9.2', pinned: false, fromCache: false });
    expect(execFileSync(got.path, ['--version'], { encoding: 'utf8' })).toBe('9.9.2 (Claude Code)\n');
    expect(warnings).toEqual([expect.stringMatching(/Claude Code 9\.9\.2 .* is not pinned/)]);
  });

  test('a version the registry does not have: a clear error naming the package, version and registry', async () => {
    registry = await startLocalRegistry({ index });
    await expect(installClaude(options('9.9.9', registry.url))).rejects.toThrow(
      `The npm registry ${registry.url} answered HTTP 404 for ${WRAPPER}@9.9.9. Check the claude-version input`,
    );
  });

  test('a binary that prints another version is refused', async () => {
    registry = await startLocalRegistry({ index });
    await expect(installClaude(options('9.9.3', registry.url))).rejects.toThrow(
      /--version printed '9\.9\.0 \(Claude Code\)', expected 9\.9\.3/,
    );
  });

  test('a platform the release does not ship is refused before any download', async () => {
    registry = await startLocalRegistry({ index });
    await expect(
      installClaude({ ...options('9.9.1', registry.url), platform: 'linux-arm64' }),
    ).rejects.toThrow(`${WRAPPER}@9.9.1 ships no ${WRAPPER}-linux-arm64`);
    expect(registry.requests).toEqual(['/@anthropic-ai%2fclaude-code/9.9.1']);
  });
});
