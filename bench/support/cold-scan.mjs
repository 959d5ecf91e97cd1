// Cold cost of scanning untrusted PR text (issue 12): the sanitiser and the injection-signal detector,
// bundled as scripts/bundle.mjs bundles them (esbuild, minified, the confusables subset), loaded into a
// fresh `node` process that then sanitises and scans a title and a body once, as buildUntrustedContext
// does (by default the one-line pair of the main-step profile in issue 12). Prints the median and minimum
// over RUNS processes of the CPU milliseconds (user + system) of the import and of that first scan (which
// includes every regex compiled, table built and parser function compiled on first use).
//
// Usage: node bench/support/cold-scan.mjs [RUNS]     (bench/sanitize.bench.ts prints the same figures)
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { confusablesSubset } from '../../scripts/bundle.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TITLE = 'Add div()';
export const BODY = 'Adds a division helper.';

const CHILD = `
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const { sanitizeUntrusted, detectInjectionSignals } = await import(process.argv[1]);
const c1 = cpu();
for (const text of JSON.parse(process.argv[2])) detectInjectionSignals(sanitizeUntrusted(text).text);
const c2 = cpu();
console.log(JSON.stringify({ importMs: c1 - c0, scanMs: c2 - c1 }));
`;

/** Bundles the two functions into a temporary folder; returns the module's path. */
async function bundle(dir) {
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    `export { sanitizeUntrusted } from ${JSON.stringify(path.join(ROOT, 'src/policy/sanitize.ts'))};\n` +
      `export { detectInjectionSignals } from ${JSON.stringify(path.join(ROOT, 'src/policy/injection-signals.ts'))};\n`,
  );
  const outfile = path.join(dir, 'scan.mjs');
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    keepNames: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'confusables-only-folded',
        setup(build) {
          build.onLoad({ filter: /node_modules[\\/]unhomoglyph[\\/]data\.json$/ }, (args) => ({
            contents: confusablesSubset(fs.readFileSync(args.path, 'utf8')),
            loader: 'json',
          }));
        },
      },
    ],
  });
  return outfile;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU ms of the import and of the first scan of `texts`, median and minimum over `runs` fresh processes. */
export async function coldScan(runs = 7, texts = [TITLE, BODY]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-scan-'));
  try {
    const file = await bundle(dir);
    const seen = { importMs: [], scanMs: [] };
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', CHILD, file, JSON.stringify(texts)],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`cold scan failed: ${r.stderr.slice(-1000)}`);
      const one = JSON.parse(r.stdout);
      seen.importMs.push(one.importMs);
      seen.scanMs.push(one.scanMs);
    }
    const sum = (xs) => ({ median: median(xs), min: Math.min(...xs) });
    return { importMs: sum(seen.importMs), scanMs: sum(seen.scanMs) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await coldScan(Number(process.argv[2] ?? 7));
  const f = (s) => `median ${s.median.toFixed(2)} ms, min ${s.min.toFixed(2)} ms`;
  console.log(`import (fresh process): ${f(r.importMs)}\nfirst scan of title + body: ${f(r.scanMs)}`);
}
