// Regenerates the inputs/outputs tables in README.md from action.yml (the one source of truth for names,
// defaults and descriptions). `node scripts/readme-tables.mjs --check` exits 1 when README.md is stale.
import fs from 'node:fs';
import { parse } from 'yaml';

export function renderTables(actionYml) {
  const action = parse(actionYml);
  const cell = (t) =>
    String(t ?? '')
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/\|/g, '\\|');
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${i.default === undefined || i.default === '' ? '' : `\`${cell(i.default)}\``} | ${cell(i.description)} |`,
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description)} |`,
  );
  return {
    inputs: ['| input | required | default | description |', '| --- | --- | --- | --- |', ...inputs].join(
      '\n',
    ),
    outputs: ['| output | description |', '| --- | --- |', ...outputs].join('\n'),
  };
}

export function updateReadme(readme, tables) {
  let out = readme;
  for (const [name, table] of Object.entries(tables)) {
    const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(out))
      throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> markers`);
    out = out.replace(re, `$1\n${table}\n$2`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = fs.readFileSync('README.md', 'utf8');
  const next = updateReadme(readme, renderTables(fs.readFileSync('action.yml', 'utf8')));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md inputs/outputs are out of date: run `node scripts/readme-tables.mjs`.');
      process.exit(1);
    }
  } else {
    fs.writeFileSync('README.md', next);
  }
}
