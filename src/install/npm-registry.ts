/**
 * The npm registry, read without npm: which registry (npm_config_registry or npmjs.org), one version
 * document per package, a tarball download. What is in a tarball — its integrity and its entries — is
 * tarball.ts's. Defends the install of the agent's binary (threat model X4).
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkHttpUrl } from '../core.js';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org';
const METADATA_TIMEOUT_MS = 30_000;
const TARBALL_TIMEOUT_MS = 600_000;

/** The parts of a registry version document the installer reads. */
export interface VersionManifest {
  name: string;
  version: string;
  optionalDependencies: Record<string, string>;
  dist: { tarball: string; integrity?: string };
}

/** The registry base URL: `npm_config_registry` when set, else npmjs.org; no trailing slash. */
export function registryUrl(env: NodeJS.ProcessEnv = process.env): string {
  const raw = env.npm_config_registry || env.NPM_CONFIG_REGISTRY || DEFAULT_REGISTRY;
  const { url, problem } = checkHttpUrl(raw, { allowQuery: true });
  if (problem !== undefined) {
    const what = problem === 'is not a valid URL' ? 'is not a URL' : problem;
    throw new Error(
      `npm_config_registry ${what} (an http(s) URL without credentials); set it to the registry base URL, e.g. https://registry.npmjs.org`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** GET {registry}/{name}/{version}: the version document (about 2 KB, where the packument is ~740 KB). */
export async function fetchVersionManifest(
  registry: string,
  name: string,
  version: string,
): Promise<VersionManifest> {
  const url = `${registry}/${name.replace('/', '%2f')}/${encodeURIComponent(version)}`;
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
  });
  if (!res.ok) {
    const hint =
      res.status === 404 ? ' Check the claude-version input and the registry (npm_config_registry).' : '';
    throw new Error(
      `The npm registry ${registry} answered HTTP ${res.status} for ${name}@${version}.${hint}`,
    );
  }
  return parseManifest(await res.json(), name, version);
}

function parseManifest(doc: unknown, name: string, version: string): VersionManifest {
  const bad = (what: string) =>
    new Error(`The registry's document for ${name}@${version} is unusable: ${what}.`);
  if (typeof doc !== 'object' || doc === null) throw bad('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.name !== name || d.version !== version) throw bad(`it names ${String(d.name)}@${String(d.version)}`);
  const dist = d.dist as Record<string, unknown> | undefined;
  if (typeof dist?.tarball !== 'string' || !/^https?:\/\//.test(dist.tarball))
    throw bad('no http(s) dist.tarball');
  if (dist.integrity !== undefined && typeof dist.integrity !== 'string')
    throw bad('dist.integrity is not a string');
  const deps = d.optionalDependencies ?? {};
  if (typeof deps !== 'object' || deps === null || Object.values(deps).some((v) => typeof v !== 'string')) {
    throw bad('optionalDependencies is not a map of versions');
  }
  return {
    name,
    version,
    optionalDependencies: deps as Record<string, string>,
    dist: { tarball: dist.tarball, integrity: dist.integrity },
  };
}

/** Downloads `url` to a new file `file` (never an existing one); the caller checks its integrity. */
export async function downloadTarball(url: string, file: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TARBALL_TIMEOUT_MS) });
  if (!res.ok || !res.body) throw new Error(`Downloading ${url} failed: HTTP ${res.status}.`);
  await pipeline(Readable.fromWeb(res.body), createWriteStream(file, { flags: 'wx' }));
}
