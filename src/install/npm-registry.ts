/**
 * The npm registry, read without npm: one version document per package, a tarball download hashed as it
 * is written, and an in-process extractor that never runs a package script and refuses any entry that could
 * land outside its directory. Decides: which registry (npm_config_registry or npmjs.org), whether bytes
 * match an SRI integrity, whether a tar entry name is safe. Defends the install of the agent's binary
 * (threat model X4: a swapped or planted binary would run with everything later stages hand it).
 * Extraction is in-process rather than @actions/tool-cache's extractTar, which runs whichever `tar` is first
 * on PATH with the step's environment; here only regular files and directories are written, each through a
 * fresh O_EXCL open, so links, traversal and duplicate entries are refused, not merely neutralised.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
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

/** Downloads `url` to a new file `file`; returns the sha512 SRI of the bytes written. */
export async function downloadTarball(url: string, file: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TARBALL_TIMEOUT_MS) });
  if (!res.ok || !res.body) throw new Error(`Downloading ${url} failed: HTTP ${res.status}.`);
  const hash = createHash('sha512');
  await pipeline(
    Readable.fromWeb(res.body),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    },
    createWriteStream(file, { flags: 'wx' }),
  );
  return `sha512-${hash.digest('base64')}`;
}

/** A file's digest in SRI form (`sha256-<base64>`), read in 1 MiB chunks. */
export async function fileIntegrity(file: string, algorithm: 'sha256' | 'sha512'): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), hash);
  return `${algorithm}-${hash.digest('base64')}`;
}

/** Whether `actual` (one `sha512-…`) is among the sha512 hashes of `expected`; other algorithms never count. */
export function integrityMatches(expected: string, actual: string): boolean {
  return actual.startsWith('sha512-') && expected.split(/\s+/).some((h) => h.split('?')[0] === actual);
}

/**
 * Where a tar entry goes, relative to the package directory: the first path component (npm's `package/`)
 * is dropped; null for that top directory itself. Throws for absolute names, `..` components, backslashes
 * and NUL, so nothing is ever written outside the package directory.
 */
export function tarEntryPath(name: string): string | null {
  if (name.includes('\0') || name.includes('\\'))
    throw new Error(`unsafe tar entry name ${JSON.stringify(name)}`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
    throw new Error(`absolute tar entry ${JSON.stringify(name)}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`tar entry ${JSON.stringify(name)} climbs out with '..'`);
  return parts.length > 1 ? parts.slice(1).join('/') : null;
}

/** Pulls exact byte counts out of a stream of chunks. */
class ChunkReader {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Between 1 and `max` bytes, or null at the end of the stream. */
  async some(max: number): Promise<Buffer | null> {
    while (this.pending.length === 0) {
      const next = await this.source.next();
      if (next.done) return null;
      this.pending = next.value;
    }
    const out = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  async exactly(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let got = 0; got < n;) {
      const b = await this.some(n - got);
      if (!b) throw new Error('the tarball ends inside an entry');
      parts.push(b);
      got += b.length;
    }
    return Buffer.concat(parts, n);
  }
}

const field = (h: Buffer, offset: number, length: number): string => {
  const raw = h.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
};

const octal = (h: Buffer, offset: number, length: number): number => {
  const text = field(h, offset, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new Error('a tar header holds a non-octal number');
  return text === '' ? 0 : parseInt(text, 8);
};

/** The `path` record of a pax extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined;
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(0x20, at);
    const len = parseInt(data.subarray(at, space).toString('utf8'), 10);
    if (space < 0 || !(len > 0)) throw new Error('a pax header is malformed');
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    if (record.startsWith('path=')) found = record.slice('path='.length);
    at += len;
  }
  return found;
}

interface TarHeader {
  name: string;
  /** '0' file, '5' directory, 'x' pax header, anything else refused. */
  type: string;
  size: number;
  mode: number;
}

function parseHeader(h: Buffer, paxName: string | undefined): TarHeader {
  const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
  const name = paxName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
  return { name, type: String.fromCharCode(h[156] || 0x30), size: octal(h, 124, 12), mode: octal(h, 100, 8) };
}

/** Streams `size` bytes into a new file (O_EXCL: never an existing file, never through a link); returns its sha256. */
async function writeEntry(reader: ChunkReader, target: string, entry: TarHeader): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const out = await open(target, 'wx', 0o600);
  const hash = createHash('sha256');
  try {
    for (let left = entry.size; left > 0;) {
      const chunk = await reader.some(left);
      if (!chunk) throw new Error(`the tarball ends inside ${JSON.stringify(entry.name)}`);
      hash.update(chunk);
      await out.write(chunk);
      left -= chunk.length;
    }
    await out.chmod((entry.mode & 0o755) | 0o600);
  } finally {
    await out.close();
  }
  return `sha256-${hash.digest('base64')}`;
}

/**
 * Extracts an npm tarball (.tgz, ustar with optional pax path headers) into `dest`, dropping the top
 * directory. Only regular files and directories; file modes keep at most rwxr-xr-x. Returns the sha256 (in
 * SRI form) of every file written, by relative path.
 */
export async function extractTarball(tgz: string, dest: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const root = path.resolve(dest);
  await mkdir(root, { recursive: true });
  const extract = async (source: AsyncIterable<Buffer>) => {
    const reader = new ChunkReader(source[Symbol.asyncIterator]());
    for (let paxName: string | undefined; ;) {
      const block = await reader.exactly(512);
      if (block.every((b) => b === 0)) break;
      const entry = parseHeader(block, paxName);
      const padding = (512 - (entry.size % 512)) % 512;
      paxName = undefined;
      if (entry.type === 'x') {
        paxName = paxPath((await reader.exactly(entry.size + padding)).subarray(0, entry.size));
        continue;
      }
      const what = entry.type === '1' || entry.type === '2' ? 'a link' : `a type '${entry.type}' entry`;
      if (entry.type !== '0' && entry.type !== '5') {
        throw new Error(
          `tar entry ${JSON.stringify(entry.name)} is ${what}; only files and directories are accepted`,
        );
      }
      const rel = tarEntryPath(entry.name);
      const target = rel === null ? root : path.join(root, rel);
      if (target !== root && !target.startsWith(root + path.sep)) {
        throw new Error(`tar entry ${JSON.stringify(entry.name)} leaves ${dest}`);
      }
      if (entry.type === '5') {
        await mkdir(target, { recursive: true });
        await reader.exactly(entry.size + padding);
      } else if (rel === null) {
        throw new Error(
          `tar entry ${JSON.stringify(entry.name)} is a file in place of the package directory`,
        );
      } else {
        digests.set(rel, await writeEntry(reader, target, entry));
        await reader.exactly(padding);
      }
    }
    while (await reader.some(1 << 16)); // the zero padding to the record size, read so gzip's checksum is checked
  };
  await pipeline(createReadStream(tgz, { highWaterMark: 1 << 20 }), createGunzip(), extract);
  return digests;
}
