/**
 * Installs Claude Code without npm and without running any package script: the wrapper package and the one
 * platform package for this machine are fetched from the registry, each tarball's sha512 is checked (against
 * the pin table for a pinned version, where the registry is not trusted; against the registry's own value,
 * with a warning, for any other version), extracted in-process, laid out as npm would with the native binary
 * in place of the wrapper's stub bin/claude.exe (what the package's postinstall does), and put in the tool
 * cache. A cached copy is used only after the binary's hash matches the one recorded when it was installed
 * (and, for a pinned version, only if it was installed from the pinned tarballs); otherwise it is installed
 * again. Either way the binary must print the expected version before its path is returned.
 * Decides (pure, table-tested): the platform package, the integrity a tarball must have, the version input.
 * Threat model: X4 (a swapped binary inherits every later stage's trust); fails closed on any mismatch.
 */
import * as core from '@actions/core';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
export { resolveClaudeVersion } from '../inputs.js';
import { execText } from '../system-tools.js';
import { downloadTarball, fetchVersionManifest, type VersionManifest } from './npm-registry.js';
import { PINNED_CLAUDE_VERSION, PINS, type PinTable } from './pinned.js';

/** tarball.ts (with tar and ssri), loaded on first use: most runs restore from the cache or get `claude-path`. */
let tarballModule: Promise<typeof import('./tarball.js')> | undefined;
const tarball = () => (tarballModule ??= import('./tarball.js'));

export const WRAPPER_PACKAGE = '@anthropic-ai/claude-code';
export const TOOL_NAME = 'claude-code';
/** Written next to node_modules in the cached directory: what was verified at install time. */
export const INSTALL_RECORD = 'claude-guard-install.json';

/** Platform key (as the package's install.cjs names them) → the native binary's name in its package. */
export const PLATFORM_BINARIES = {
  'linux-x64': 'claude',
  'linux-arm64': 'claude',
  'linux-x64-musl': 'claude',
  'linux-arm64-musl': 'claude',
  'darwin-x64': 'claude',
  'darwin-arm64': 'claude',
  'win32-x64': 'claude.exe',
  'win32-arm64': 'claude.exe',
} as const;
export type PlatformKey = keyof typeof PLATFORM_BINARIES;

/** The subset of @actions/tool-cache the installer uses (real one in tool-cache.ts). */
export interface ToolCachePort {
  /** The cached directory, or '' when absent. */
  find(tool: string, version: string, arch: string): string | Promise<string>;
  /** Copies `dir` into the cache; returns the cached directory. */
  cacheDir(dir: string, tool: string, version: string, arch: string): Promise<string>;
}

export interface InstallLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface InstallOptions {
  /** Exact version (see resolveClaudeVersion). */
  version: string;
  /** Registry base URL without trailing slash (see registryUrl). */
  registry: string;
  toolCache: ToolCachePort;
  /** Scratch directory for downloads and staging (e.g. the run directory); emptied of what we add. */
  workDir: string;
  pins?: PinTable;
  platform?: PlatformKey;
  log?: InstallLog;
}

export interface InstalledClaude {
  /** Absolute path of the verified binary. */
  path: string;
  version: string;
  /** Whether its tarballs were checked against this action's pins (false: the registry's own values). */
  pinned: boolean;
  fromCache: boolean;
}

interface InstallRecord {
  version: string;
  platform: PlatformKey;
  /** Package name → the integrity its tarball was verified against. */
  packages: Record<string, string>;
  binarySha256: string;
}

/** The platform package key for an OS, CPU and C library, as the package's own install.cjs computes it. */
export function platformKey(os: NodeJS.Platform, arch: string, musl: boolean): PlatformKey {
  const key = `${os}-${arch}${os === 'linux' && musl ? '-musl' : ''}`;
  if (!(key in PLATFORM_BINARIES)) {
    throw new Error(
      `Claude Code has no native package for ${key}; supported: ${Object.keys(PLATFORM_BINARIES).join(', ')}.`,
    );
  }
  return key as PlatformKey;
}

/** This machine's platform key (musl: no glibc version in the process report, as install.cjs checks). */
export function detectPlatform(): PlatformKey {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return platformKey(
    process.platform,
    process.arch,
    process.platform === 'linux' && !report?.header?.glibcVersionRuntime,
  );
}

/**
 * The integrity a package's tarball must have. A pinned version: the pin, and a package missing from the
 * pins fails closed. Any other version: the registry's sha512 (pinned: false).
 */
export function expectedIntegrity(
  pins: PinTable,
  version: string,
  manifest: Pick<VersionManifest, 'name' | 'version' | 'dist'>,
): { integrity: string; pinned: boolean } {
  const pinned = pins[version];
  const id = `${manifest.name}@${manifest.version}`;
  if (pinned) {
    const integrity = pinned[manifest.name];
    if (!integrity)
      throw new Error(`${id} has no pinned integrity for Claude Code ${version}; refusing to install it.`);
    return { integrity, pinned: true };
  }
  const integrity = manifest.dist.integrity ?? '';
  if (!integrity.split(/\s+/).some((h) => h.startsWith('sha512-'))) {
    throw new Error(`The registry gives no sha512 integrity for ${id}; refusing to install it unverified.`);
  }
  return { integrity, pinned: false };
}

const wrapperDir = (root: string) => path.join(root, 'node_modules', ...WRAPPER_PACKAGE.split('/'));
const binaryPath = (root: string) => path.join(wrapperDir(root), 'bin', 'claude.exe');
/** The tool cache's arch slot: the platform key without the OS, so musl and glibc builds never share one. */
const cacheArch = (platform: PlatformKey) => platform.slice(platform.indexOf('-') + 1);

/** Installs (or restores) Claude Code `version` and returns the verified binary. */
export async function installClaude(options: InstallOptions): Promise<InstalledClaude> {
  const { version, toolCache, pins = PINS, platform = detectPlatform(), log = core } = options;
  const pinned = version in pins;
  if (!pinned) {
    log.warning(
      `Claude Code ${version} is not the version this action is tested with (${PINNED_CLAUDE_VERSION}) and is not pinned: its tarballs are checked only against the registry's own integrity values.`,
    );
  }
  const cached = await toolCache.find(TOOL_NAME, version, cacheArch(platform));
  if (cached) {
    try {
      await verifyCached(cached, version, platform, pins);
      const found = binaryPath(cached);
      await verifyRuns(found, version);
      log.info(`Claude Code ${version} restored from the tool cache (${cached}).`);
      return { path: found, version, pinned, fromCache: true };
    } catch (err) {
      log.warning(
        `The cached Claude Code ${version} at ${cached} failed verification (${(err as Error).message}); installing it again.`,
      );
    }
  }
  const stage = await mkdtemp(path.join(options.workDir, 'claude-install-'));
  try {
    const tree = await download(options.registry, version, platform, pins, stage);
    const root = await toolCache.cacheDir(tree, TOOL_NAME, version, cacheArch(platform));
    const installed = binaryPath(root);
    await verifyRuns(installed, version);
    log.info(
      `Claude Code ${version} installed from ${options.registry} (${pinned ? 'pinned' : 'registry'} integrity verified).`,
    );
    return { path: installed, version, pinned, fromCache: false };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Fetches, verifies and lays out both packages under `stage`; returns the directory to cache. */
async function download(
  registry: string,
  version: string,
  platform: PlatformKey,
  pins: PinTable,
  stage: string,
): Promise<string> {
  const wrapper = await fetchVersionManifest(registry, WRAPPER_PACKAGE, version);
  const nativeName = `${WRAPPER_PACKAGE}-${platform}`;
  const nativeVersion = wrapper.optionalDependencies[nativeName];
  if (!nativeVersion)
    throw new Error(`${WRAPPER_PACKAGE}@${version} ships no ${nativeName}; it does not support ${platform}.`);
  if (nativeVersion !== version) {
    throw new Error(
      `${WRAPPER_PACKAGE}@${version} asks for ${nativeName}@${nativeVersion}; only the same version is accepted.`,
    );
  }
  const native = await fetchVersionManifest(registry, nativeName, version);
  const tree = path.join(stage, 'tree');
  const record: InstallRecord = { version, platform, packages: {}, binarySha256: '' };
  const files: Record<string, Map<string, string>> = {};
  for (const manifest of [wrapper, native]) {
    const { integrity, pinned } = expectedIntegrity(pins, version, manifest);
    const tgz = path.join(stage, `${manifest.name.replace('/', '-')}.tgz`);
    await downloadTarball(manifest.dist.tarball, tgz);
    const { extractTarball, fileIntegrity, integrityMatches } = await tarball();
    const actual = await fileIntegrity(tgz, 'sha512');
    if (!integrityMatches(integrity, actual)) {
      throw new Error(
        `${manifest.name}@${version}: the tarball from ${manifest.dist.tarball} does not match its ${pinned ? 'pinned' : "registry's"} integrity. Expected ${integrity}, got ${actual}. Refusing to install it.`,
      );
    }
    record.packages[manifest.name] = integrity;
    files[manifest.name] = await extractTarball(
      tgz,
      path.join(tree, 'node_modules', ...manifest.name.split('/')),
    );
  }
  // install.cjs's job, done without running it: the native binary replaces the stub. Moved, not linked,
  // so the tool cache holds one copy.
  const binary = PLATFORM_BINARIES[platform];
  record.binarySha256 = files[nativeName].get(binary) ?? '';
  if (!record.binarySha256) throw new Error(`${nativeName}@${version} contains no '${binary}' binary.`);
  await rename(path.join(tree, 'node_modules', ...nativeName.split('/'), binary), binaryPath(tree));
  await writeFile(path.join(tree, INSTALL_RECORD), JSON.stringify(record, null, 2) + '\n');
  return tree;
}

/** A cached directory is used only if its record fits this install and its binary is unchanged. */
async function verifyCached(
  root: string,
  version: string,
  platform: PlatformKey,
  pins: PinTable,
): Promise<void> {
  const record = JSON.parse(
    await readFile(path.join(root, INSTALL_RECORD), 'utf8'),
  ) as Partial<InstallRecord>;
  if (record.version !== version || record.platform !== platform)
    throw new Error('its install record is for another build');
  const pinned = pins[version];
  const names = [WRAPPER_PACKAGE, `${WRAPPER_PACKAGE}-${platform}`];
  if (pinned && names.some((name) => record.packages?.[name] !== pinned[name])) {
    throw new Error('it was not installed from the pinned tarballs');
  }
  const { fileIntegrity } = await tarball();
  if (!record.binarySha256 || (await fileIntegrity(binaryPath(root), 'sha256')) !== record.binarySha256) {
    throw new Error('its binary changed after it was cached');
  }
}

/** The binary must run and print `<version> (Claude Code)`. */
async function verifyRuns(binary: string, version: string): Promise<void> {
  const printed = (await execText(binary, ['--version'])).trim();
  if (printed.split(/\s+/)[0] !== version) {
    throw new Error(`${binary} --version printed '${printed.slice(0, 200)}', expected ${version}.`);
  }
}
