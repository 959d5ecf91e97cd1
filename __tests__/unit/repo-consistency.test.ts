/**
 * The repository agrees with itself: the README's input/output tables are generated from action.yml.
 * (That dist/ matches the source is checked in __tests__/cli/dist.test.ts: it runs the bundler.)
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a plain .mjs script without type declarations
import { renderTables, updateReadme } from '../../scripts/readme-tables.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('README', () => {
  test('the input and output tables are generated from action.yml', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const tables = renderTables(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'));
    expect(updateReadme(readme, tables)).toBe(readme);
    expect(readme).toContain('`anthropic-api-key`');
  });
});
