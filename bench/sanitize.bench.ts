/**
 * Sanitiser cost: CPU milliseconds for a typical description, a GitHub-sized one (64 KB), a 1 MB one (only
 * the first 64,000 characters are read), and the parser's worst shapes (many links in one paragraph, deep
 * lists and quotes), bounded by the bracket and quote budgets; and, last row, the cold cost the main step
 * pays (bench/support/cold-scan.mjs): a fresh `node` process that imports the bundled sanitiser and
 * detector, then sanitises and scans a title and a body once (its import is reported beside it): the
 * one-line pair of the profile, a title with a code span and curly quotes, a typical description.
 * Prints a table; asserts nothing about speed (__tests__/unit/sanitize-rendered.test.ts holds a generous
 * CPU bound for the 1 MB case).
 * Run: NODE_OPTIONS=--experimental-vm-modules npx jest -c jest.bench.config.js bench/sanitize.bench.ts
 */
import { test } from '@jest/globals';
import { sanitizeUntrusted } from '../src/policy/sanitize.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { coldScan } from './support/cold-scan.mjs';

const PARAGRAPH =
  'Adds *retries* to the `client`, see [the docs](https://example.com/docs "title") and #123.\n\n' +
  '- item one\n- item two <!-- note -->\n\n';
const fill = (unit: string, size: number): string =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

const INPUTS: [string, string][] = [
  ['typical description, 4 KB', fill(PARAGRAPH, 4_000)],
  ['GitHub-sized description, 64 KB', fill(PARAGRAPH, 64_000)],
  ['1 MB description', fill(PARAGRAPH, 1_000_000)],
  ['1 MB plain words', fill('word ', 1_000_000)],
  ['links in one paragraph, 64 KB', fill('[x](', 64_000)],
  [
    'nested list, 64 KB',
    Array.from({ length: 4000 }, (_, i) => ' '.repeat(2 * (i % 16)) + '- x')
      .join('\n')
      .slice(0, 64_000),
  ],
  ['deep blockquotes, 64 KB', fill('>'.repeat(200) + ' x\n', 64_000)],
];

function cpuMs(run: () => void): number {
  const started = process.cpuUsage();
  run();
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1000;
}

test('sanitiser cost', async () => {
  const rows = ['| input | CPU ms (min of 3) | output chars |', '| --- | --- | --- |'];
  for (const [label, text] of INPUTS) {
    sanitizeUntrusted(text); // warm up
    let best = Infinity;
    let out = 0;
    for (let i = 0; i < 3; i++)
      best = Math.min(
        best,
        cpuMs(() => (out = sanitizeUntrusted(text).text.length)),
      );
    rows.push(`| ${label} | ${best.toFixed(0)} | ${out} |`);
  }
  const COLD: [string, string[]][] = [
    ['title and one-line body', ['Add div()', 'Adds a division helper.']],
    ['title with a code span and curly quotes, one-line body', ['Fix “`div()`”', 'Adds a division helper.']],
    ['title and the typical 4 KB description', ['Add div()', INPUTS[0][1]]],
  ];
  for (const [label, texts] of COLD) {
    const cold = (await coldScan(7, texts)) as Record<'importMs' | 'scanMs', { median: number }>;
    rows.push(
      `| cold, fresh process (median of 7; import ${cold.importMs.median.toFixed(1)} ms): ${label} | ` +
        `${cold.scanMs.median.toFixed(1)} | – |`,
    );
  }
  console.log(rows.join('\n'));
});
