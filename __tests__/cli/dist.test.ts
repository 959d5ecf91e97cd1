/**
 * dist/ is exactly what the committed source bundles to (the runner executes dist/, not src/). It
 * rebuilds the three bundles with ncc (about a minute each on a busy 2-core machine), so it lives in the
 * `cli` project, not in the unit loop.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
    300_000,
  );
});
