// Renders the README's failure table from the fault suite's own table (__tests__/e2e/support/fault-table.mjs),
// so the README says exactly what the end-to-end suite asserts. `--check` exits 1 when README.md is stale.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAULTS } from '../__tests__/e2e/support/fault-table.mjs';

const GROUPS = { model: 'Model API', github: 'GitHub API', cli: 'Claude Code CLI', runner: 'Runner' };

export function renderFaultTable(rows = FAULTS) {
  const cell = (t) => String(t).replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
  const exit = (n) => (n === 0 ? '0 (success, with warnings)' : n === 130 ? '130 (cancelled)' : '1 (failed)');
  return [
    '| where | fault | step result | what you see |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${GROUPS[r.group]} | ${cell(r.fault)} | ${exit(r.exit)} | ${cell(r.sees)} |`),
  ].join('\n');
}

export function updateReadme(readme, table = renderFaultTable()) {
  const re = /(<!-- faults:start -->\n)[\s\S]*?(<!-- faults:end -->)/;
  if (!re.test(readme)) throw new Error('README.md has no <!-- faults:start --> … <!-- faults:end --> block');
  return readme.replace(re, (_m, a, b) => `${a}${table}\n${b}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL('../README.md', import.meta.url);
  const readme = fs.readFileSync(file, 'utf8');
  const next = updateReadme(readme);
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md failure table is stale: run node scripts/fault-table.mjs');
      process.exit(1);
    }
  } else fs.writeFileSync(file, next);
}
