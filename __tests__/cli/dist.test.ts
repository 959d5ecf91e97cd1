/**
 * dist/ is exactly what the committed source bundles to (the runner executes dist/, not src/). It
 * rebuilds the bundles with scripts/bundle.mjs (esbuild) into a temporary folder and compares every
 * file byte for byte, so it lives in the `cli` project, not in the unit loop.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain ESM build script without type declarations
import { bundleEntry } from '../../scripts/bundle.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('dist/ matches the source', () => {
  test.each([['main'], ['post'], ['proxy'], ['hook']])(
    'dist/%s: every file is what scripts/bundle.mjs builds',
    async (entry) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-dist-'));
      try {
        await bundleEntry(entry, path.join(out, entry));
        const built = fs.readdirSync(path.join(out, entry)).sort();
        const committed = fs.readdirSync(path.join(ROOT, 'dist', entry)).sort();
        expect(committed).toEqual(built);
        for (const file of built) {
          const same = fs
            .readFileSync(path.join(out, entry, file))
            .equals(fs.readFileSync(path.join(ROOT, 'dist', entry, file)));
          // Not toEqual on 1 MB strings: a mismatch message would be unreadable.
          expect(same ? 'same' : `dist/${entry}/${file} is stale: run npm run bundle`).toBe('same');
        }
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
});
