/**
 * What is in an npm tarball, checked without npm: whether its bytes match an SRI integrity (only sha512
 * counts), and an in-process extractor that never runs a package script and refuses any entry that could
 * land outside its directory. Defends the install of the agent's binary (threat model X4: a swapped or
 * planted binary would run with everything later stages hand it). Libraries do the formats — `ssri` parses
 * and computes SRI integrity strings, `tar`'s Parser reads the gzip, ustar and pax layers (strict: a bad
 * checksum or a truncated archive is an error) — and this module keeps the policy. Extraction is
 * in-process rather than @actions/tool-cache's extractTar, which runs whichever `tar` is first on PATH with
 * the step's environment; here only regular files and directories are written, each through a fresh O_EXCL
 * open, so links, traversal and duplicate entries are refused, not merely neutralised.
 * Loaded only by an install (claude-install.ts imports it on first use): a run given `claude-path`, or
 * one restored from the tool cache, never parses a tarball.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fchmodSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import ssri from 'ssri';
import { Parser } from 'tar/parse';
import type { ReadEntry } from 'tar/read-entry';

/** A file's digest in SRI form (`sha256-<base64>`), read in 1 MiB chunks. */
export async function fileIntegrity(file: string, algorithm: 'sha256' | 'sha512'): Promise<string> {
  const sri = await ssri.fromStream(createReadStream(file, { highWaterMark: 1 << 20 }), {
    algorithms: [algorithm],
  });
  return sri.toString();
}

/**
 * Whether `actual` (one `sha512-…`) is among the sha512 hashes of `expected` (an SRI string: several
 * hashes, options after `?`); other algorithms never count, on either side.
 */
export function integrityMatches(expected: string, actual: string): boolean {
  const want = ssri.parse(expected);
  const got = ssri.parse(actual);
  if (!want?.sha512?.length || !got?.sha512?.length || Object.keys(got).length !== 1) return false;
  return want.match(got, { pickAlgorithm: () => 'sha512' }) !== false;
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

const ACCEPTED = new Set(['File', 'OldFile', 'Directory']);

/** Why a tar entry of this type is refused (files and directories only). */
function refusedType(entry: ReadEntry): string {
  const what = entry.type === 'Link' || entry.type === 'SymbolicLink' ? 'a link' : `a ${entry.type} entry`;
  return `tar entry ${JSON.stringify(entry.path)} is ${what}; only files and directories are accepted`;
}

/**
 * Extracts an npm tarball (.tgz) into `dest`, dropping the top directory. Only regular files and
 * directories; file modes keep at most rwxr-xr-x. Returns the sha256 (in SRI form) of every file written,
 * by relative path. The first refused entry aborts the whole extraction.
 */
export async function extractTarball(tgz: string, dest: string): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const root = path.resolve(dest);
  mkdirSync(root, { recursive: true });
  let open: number | undefined;
  const closeOpen = () => {
    if (open !== undefined) closeSync(open);
    open = undefined;
  };
  const parser = new Parser({ strict: true });
  const fail = (err: unknown) => {
    closeOpen();
    parser.abort(err instanceof Error ? err : new Error(String(err)));
  };
  /** One entry, synchronously: the parser hands out the next only after this one's data has been written. */
  const accept = (entry: ReadEntry) => {
    if (!ACCEPTED.has(entry.type)) throw new Error(refusedType(entry));
    const rel = tarEntryPath(entry.path);
    const target = rel === null ? root : path.join(root, rel);
    if (target !== root && !target.startsWith(root + path.sep)) {
      throw new Error(`tar entry ${JSON.stringify(entry.path)} leaves ${dest}`);
    }
    if (entry.type === 'Directory') {
      mkdirSync(target, { recursive: true });
      entry.resume();
      return;
    }
    if (rel === null)
      throw new Error(`tar entry ${JSON.stringify(entry.path)} is a file in place of the package directory`);
    mkdirSync(path.dirname(target), { recursive: true });
    // O_EXCL: never an existing file (a duplicate entry), never through a link.
    const fd = openSync(target, 'wx', 0o600);
    open = fd;
    const hash = createHash('sha256');
    entry.on('data', (chunk: Buffer) => {
      if (open !== fd) return;
      try {
        hash.update(chunk);
        for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
      } catch (err) {
        fail(err);
      }
    });
    entry.on('end', () => {
      if (open !== fd) return;
      try {
        fchmodSync(fd, ((entry.mode ?? 0) & 0o755) | 0o600);
        closeOpen();
        digests.set(rel, `sha256-${hash.digest('base64')}`);
      } catch (err) {
        fail(err);
      }
    });
  };
  parser.on('entry', (entry: ReadEntry) => {
    try {
      accept(entry);
    } catch (err) {
      entry.resume();
      fail(err);
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const input = createReadStream(tgz, { highWaterMark: 1 << 20 });
      input.on('error', reject);
      parser.on('error', reject);
      parser.on('end', () => resolve());
      input.pipe(parser);
    });
  } finally {
    closeOpen();
  }
  return digests;
}
