#!/usr/bin/env node
/**
 * Writes the local npm registry fixture used by __tests__/unit/claude-install.test.ts and the install bench:
 * small FAKE package tarballs laid out like the real @anthropic-ai/claude-code packages (a wrapper package
 * whose bin/claude.exe is a stub, and a platform package whose `claude` is the "native binary" — here a
 * shell script printing its version), plus hostile tarballs for the extractor, and index.json holding the
 * version documents a registry would serve (dist.tarball relative to the registry, dist.integrity computed
 * here). Deterministic: same bytes on every run. Usage: node scripts/make-registry-fixture.mjs
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '__tests__', 'fixtures', 'registry');
const WRAPPER = '@anthropic-ai/claude-code';
const NATIVE = `${WRAPPER}-linux-x64`;

/** One 512-byte ustar header. */
function header(name, { size = 0, mode = 0o644, type = '0', link = '' } = {}) {
  const h = Buffer.alloc(512);
  const put = (value, offset, length) => h.write(value, offset, length, 'utf8');
  put(name, 0, 100);
  for (const [value, offset, length] of [
    [mode, 100, 8],
    [0, 108, 8],
    [0, 116, 8],
    [size, 124, 12],
    [499162500, 136, 12],
  ]) {
    put(value.toString(8).padStart(length - 1, '0') + '\0', offset, length);
  }
  put(' '.repeat(8), 148, 8);
  put(type, 156, 1);
  put(link, 157, 100);
  put('ustar\0' + '00', 257, 8);
  const sum = h.reduce((a, b) => a + b, 0);
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

const pad = (n) => Buffer.alloc((512 - (n % 512)) % 512);

/** A gzipped tar of entries: { name, data?, mode?, type?, link?, pax? }. */
function tgz(entries) {
  const parts = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    if (e.pax) {
      const record = (body) => {
        let len = body.length + 3;
        while (`${len} ${body}\n`.length !== len) len = `${len} ${body}\n`.length;
        return `${len} ${body}\n`;
      };
      const paxData = Buffer.from(record(`path=${e.name}`));
      parts.push(header('PaxHeader/long', { size: paxData.length, type: 'x' }), paxData, pad(paxData.length));
    }
    const name = e.pax ? e.name.slice(0, 99) : e.name;
    parts.push(
      header(name, { size: data.length, mode: e.mode, type: e.type, link: e.link }),
      data,
      pad(data.length),
    );
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

const integrity = (bytes) => `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
const tarballName = (pkg, version) => `${pkg.split('/')[1]}-${version}.tgz`;

/** A fake wrapper + platform package pair whose binary prints `printed`. */
function fakeRelease(version, printed) {
  const wrapperManifest = {
    name: WRAPPER,
    version,
    bin: { claude: 'bin/claude.exe' },
    scripts: { postinstall: 'node install.cjs' },
    optionalDependencies: { [`${WRAPPER}-darwin-arm64`]: version, [NATIVE]: version },
  };
  const wrapper = tgz([
    { name: 'package/package.json', data: JSON.stringify(wrapperManifest, null, 2) },
    {
      name: 'package/bin/claude.exe',
      data: 'echo "Error: claude native binary not installed." >&2\nexit 1\n',
      mode: 0o755,
    },
    { name: 'package/install.cjs', data: "throw new Error('install scripts must never run');\n" },
    { name: `package/docs/${'long-name-'.repeat(12)}.md`, data: 'kept through a pax header\n', pax: true },
  ]);
  const native = tgz([
    { name: 'package/', type: '5', mode: 0o755 },
    {
      name: 'package/package.json',
      data: JSON.stringify({ name: NATIVE, version, os: ['linux'], cpu: ['x64'] }),
    },
    { name: 'package/claude', data: `#!/bin/sh\necho '${printed} (Claude Code)'\n`, mode: 0o755 },
  ]);
  return [
    { manifest: wrapperManifest, bytes: wrapper },
    { manifest: { name: NATIVE, version, os: ['linux'], cpu: ['x64'] }, bytes: native },
  ];
}

const hostile = {
  'evil-dotdot.tgz': tgz([{ name: 'package/../../escape.txt', data: 'x' }]),
  'evil-absolute.tgz': tgz([{ name: '/tmp/claude-guard-fixture-escape.txt', data: 'x' }]),
  'evil-symlink.tgz': tgz([
    { name: 'package/link', type: '2', link: '/tmp' },
    { name: 'package/link/claude-guard-fixture-escape.txt', data: 'x' },
  ]),
  'evil-hardlink.tgz': tgz([{ name: 'package/passwd', type: '1', link: '/etc/passwd' }]),
  'evil-duplicate.tgz': tgz([
    { name: 'package/claude', data: 'first' },
    { name: 'package/claude', data: 'second' },
  ]),
};

mkdirSync(OUT, { recursive: true });
const index = {};
for (const [version, printed] of [
  ['9.9.1', '9.9.1'],
  ['9.9.2', '9.9.2'],
  ['9.9.3', '9.9.0'],
]) {
  for (const { manifest, bytes } of fakeRelease(version, printed)) {
    const file = tarballName(manifest.name, version);
    writeFileSync(join(OUT, file), bytes);
    index[`${manifest.name}@${version}`] = {
      ...manifest,
      dist: { tarball: file, integrity: integrity(bytes) },
    };
  }
}
for (const [file, bytes] of Object.entries(hostile)) writeFileSync(join(OUT, file), bytes);
writeFileSync(join(OUT, 'index.json'), JSON.stringify(index, null, 2) + '\n');
console.log(`wrote ${Object.keys(index).length} version documents and their tarballs to ${OUT}`);
