/** The README's failure table is generated from the fault suite's table: it must be current. */
import { expect, test } from '@jest/globals';
import fs from 'node:fs';
// @ts-expect-error a plain ESM script without declarations
import { renderFaultTable, updateReadme } from '../../scripts/fault-table.mjs';

test('README.md shows the fault suite table as generated (node scripts/fault-table.mjs)', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(updateReadme(readme)).toBe(readme);
  expect(readme).toContain(renderFaultTable());
});
