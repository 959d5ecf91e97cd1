import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs script without type declarations
import { findCycles, importGraph } from '../../scripts/import-cycles.mjs';
import { tempDirs } from '../support/git-sandbox.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const tempDir = tempDirs('cg-cycles-');

describe('import cycles', () => {
  test('src/ has none', () => {
    const cycles: string[][] = findCycles(importGraph(path.join(ROOT, 'src')));
    expect(cycles.map((group) => group.map((f) => path.relative(ROOT, f)).join(' <-> '))).toEqual([]);
  });

  test('the checker finds a cycle through type-only imports, .js specifiers and index files', () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    };
    write('a.ts', "import type { B } from './b.js';\nexport type A = B;\n");
    write('b.ts', "import { c } from './c/index.js';\nexport type B = string;\nexport const x = c;\n");
    write('c/index.ts', "export { a } from '../a';\nexport const c = 1;\n");
    write('d.ts', "import { c } from './c';\nimport fs from 'node:fs';\nexport const d = [c, fs];\n");
    const cycles: string[][] = findCycles(importGraph(dir));
    expect(cycles.map((g) => g.map((f) => path.relative(dir, f)))).toEqual([['a.ts', 'b.ts', 'c/index.ts']]);
  });
});
