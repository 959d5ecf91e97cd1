/**
 * The repository agrees with itself: dist/ is exactly what the committed source bundles to (the runner
 * executes dist/, not src/), and the README's input/output tables are generated from action.yml.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs script without type declarations
import { renderTables, updateReadme } from '../../scripts/readme-tables.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('dist/ matches the source', () => {
  test.each([['main'], ['post'], ['proxy']])(
    'dist/%s/index.js',
    (entry) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-dist-'));
      try {
        execFileSync(
          process.execPath,
          [
            path.join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
            'build',
            `src/${entry}.ts`,
            '-o',
            out,
            '--quiet',
          ],
          { cwd: ROOT, stdio: 'pipe' },
        );
        const built = fs.readFileSync(path.join(out, 'index.js'), 'utf8');
        const committed = fs.readFileSync(path.join(ROOT, 'dist', entry, 'index.js'), 'utf8');
        // Not toEqual on 1 MB strings: a mismatch message would be unreadable.
        expect(built === committed ? 'same' : `dist/${entry}/index.js is stale: run npm run bundle`).toBe(
          'same',
        );
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('README', () => {
  test('the input and output tables are generated from action.yml', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const tables = renderTables(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'));
    expect(updateReadme(readme, tables)).toBe(readme);
    expect(readme).toContain('`anthropic-api-key`');
  });
});
