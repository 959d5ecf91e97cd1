/**
 * Redaction throughput: MB/s for 1, 16 and 64 MB inputs, with 1,000 secret values (plus their derived
 * forms and the credential patterns) and with none (patterns only). Prints a table; asserts nothing
 * about speed. Run: NODE_OPTIONS=--experimental-vm-modules npx jest -c jest.bench.config.js bench/redact.bench.ts
 */
import { test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createRedactor, derivedForms } from '../src/findings/redact.js';

const TARGET_MBPS = 200;
const SIZES_MB = [1, 16, 64];

/** Log-like text with a few secrets and tokens planted, so the match path is exercised too. */
function input(sizeMb: number, secrets: string[]): string {
  const lines = [
    '2025-01-01T00:00:00Z INFO  build step 12/40: compiling src/findings/redact.ts (3.2s)\n',
    '  at Object.<anonymous> (/home/runner/work/app/node_modules/jest-runtime/build/index.js:1:1)\n',
    `  payload=${randomBytes(48).toString('base64')} status=200 bytes=4812\n`,
    'diff --git a/src/app.ts b/src/app.ts\n+const user = await db.query("SELECT * FROM users");\n',
  ];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < sizeMb * 1048576; i++) {
    const line =
      i % 5000 === 4999
        ? `leaked ${secrets.length ? secrets[i % secrets.length] : 'ghp_' + 'x'.repeat(36)} here\n`
        : lines[i % lines.length];
    parts.push(line);
    size += line.length;
  }
  return parts.join('').slice(0, sizeMb * 1048576);
}

function measure(
  redact: (t: string) => { count: number },
  text: string,
): { mbps: number; ms: number; count: number } {
  // Warm up, so the JIT has optimised the scan before anything is timed.
  for (let i = 0; i < 5; i++) redact(text.slice(0, 1048576));
  redact(text);
  const runs = text.length > 32 * 1048576 ? 2 : 3;
  let best = Infinity;
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    count = redact(text).count;
    best = Math.min(best, performance.now() - t0);
  }
  return { mbps: text.length / 1048576 / (best / 1000), ms: best, count };
}

test('redaction throughput', () => {
  const secrets = Array.from({ length: 1000 }, () => randomBytes(30).toString('base64url'));
  const forms = secrets.flatMap(derivedForms).length;
  const rows: string[] = [];
  for (const [label, values] of [
    ['1,000 secrets', secrets],
    ['0 secrets', []],
  ] as const) {
    const t0 = performance.now();
    const redactor = createRedactor(values);
    const buildMs = performance.now() - t0;
    for (const mb of SIZES_MB) {
      const { mbps, ms, count } = measure((t) => redactor.redact(t), input(mb, [...values]));
      rows.push(
        `| ${label.padEnd(13)} | ${String(mb).padStart(5)} | ${ms.toFixed(0).padStart(6)} | ${mbps.toFixed(0).padStart(6)} | ${String(TARGET_MBPS).padStart(6)} | ${(mbps >= TARGET_MBPS ? 'yes' : 'no').padEnd(4)} | ${String(count).padStart(7)} | ${buildMs.toFixed(0).padStart(8)} |`,
      );
    }
  }
  process.stdout.write(
    [
      '',
      `redaction throughput (${forms} literal forms from 1,000 secrets; node ${process.version})`,
      '| values        | MB    |     ms |   MB/s | target | met  | matches | build ms |',
      '|---------------|-------|--------|--------|--------|------|---------|----------|',
      ...rows,
      '',
    ].join('\n'),
  );
});
