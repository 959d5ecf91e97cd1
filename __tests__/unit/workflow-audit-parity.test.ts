/**
 * Parity with zizmor: its own test fixtures for the audits we claim (vendored byte for byte under
 * __tests__/fixtures/parity/zizmor, MIT, commit in SOURCE.txt), each with zizmor's verdict from its
 * snapshot tests. Our verdict per file must be zizmor's, changed only by the differences verdicts.json
 * lists with a reason; the README's parity table is rendered from the same list.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditWorkflow, type AuditOptions, type AuditRuleId } from '../../src/policy/workflow-audit.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, '__tests__/fixtures/parity/zizmor');

type Difference =
  | { extra: string; reason: string }
  | { missing: string; reason: string }
  | { moved: string; to: number; reason: string };
interface Verdicts {
  zizmor: { repository: string; commit: string; licence: string };
  options: Pick<AuditOptions, 'mode' | 'everyJob'>;
  audits: Record<string, AuditRuleId[]>;
  reasons: Record<string, string>;
  fixtures: Array<{
    file: string;
    test: string;
    persona: string;
    zizmor: string[];
    differences: Difference[];
  }>;
}
const verdicts = JSON.parse(readFileSync(join(DIR, 'verdicts.json'), 'utf8')) as Verdicts;

/** zizmor audit name for each of our rule ids that has one. */
const auditOf = new Map(
  Object.entries(verdicts.audits).flatMap(([audit, ids]) => ids.map((id) => [id, audit] as const)),
);

/** Our findings on a file, as `zizmor-audit:line`, for the rules with a zizmor counterpart. */
function ours(file: string): string[] {
  const text = readFileSync(join(DIR, file), 'utf8');
  return auditWorkflow(text, verdicts.options)
    .flatMap((f) => (auditOf.has(f.id) ? [`${auditOf.get(f.id)}:${f.line}`] : []))
    .sort();
}

/** zizmor's verdict with the listed differences applied: what we must report. */
function expected(fx: Verdicts['fixtures'][number]): string[] {
  const out = [...fx.zizmor];
  for (const d of fx.differences) {
    if ('extra' in d) out.push(d.extra);
    else {
      const gone = 'missing' in d ? d.missing : d.moved;
      out.splice(out.indexOf(gone), 1);
      if ('moved' in d) out.push(`${d.moved.split(':')[0]}:${d.to}`);
    }
  }
  return out.sort();
}

const ymlFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return ymlFiles(p);
    return name.endsWith('.yml') ? [relative(DIR, p)] : [];
  });

describe('the vendored fixtures', () => {
  test('carry zizmor’s licence and source commit, and every file has a recorded verdict', () => {
    expect(readFileSync(join(DIR, 'LICENSE'), 'utf8')).toMatch(/^The MIT License/);
    expect(readFileSync(join(DIR, 'SOURCE.txt'), 'utf8')).toContain(verdicts.zizmor.commit);
    expect(verdicts.zizmor.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(ymlFiles(DIR).sort()).toEqual(verdicts.fixtures.map((f) => f.file).sort());
  });

  test('cover every audit we claim, with findings and with clean files', () => {
    const audits = new Set(verdicts.fixtures.flatMap((f) => f.zizmor.map((z) => z.split(':')[0])));
    expect([...audits].sort()).toEqual(Object.keys(verdicts.audits).sort());
    expect(verdicts.fixtures.filter((f) => f.zizmor.length === 0).length).toBeGreaterThanOrEqual(10);
  });

  test('every difference is one: an extra is not zizmor’s, a miss or a move is, and each has a reason', () => {
    for (const fx of verdicts.fixtures) {
      for (const d of fx.differences) {
        expect(verdicts.reasons[d.reason]).toBeDefined();
        if ('extra' in d) expect(fx.zizmor).not.toContain(d.extra);
        else expect(fx.zizmor).toContain('missing' in d ? d.missing : d.moved);
      }
    }
  });
});

describe('our verdict per fixture is zizmor’s, up to the listed differences', () => {
  test.each(verdicts.fixtures.map((f) => [f.file, f] as const))('%s', (file, fx) => {
    expect(ours(file)).toEqual(expected(fx));
  });
});

/** The README table of the differences, one row per difference, and the tally above it. */
function parityTable(): string {
  const zizmorTotal = verdicts.fixtures.reduce((n, f) => n + f.zizmor.length, 0);
  const all = verdicts.fixtures.flatMap((f) => f.differences.map((d) => ({ f, d })));
  const count = (k: string) => all.filter(({ d }) => k in d).length;
  const same = zizmorTotal - count('missing') - count('moved');
  const rows = all.map(({ f, d }) => {
    const [audit, line] = ('extra' in d ? d.extra : 'missing' in d ? d.missing : d.moved).split(':');
    const zl = 'extra' in d ? '–' : line;
    const ol = 'missing' in d ? '–' : 'moved' in d ? String(d.to) : line;
    return `| \`${f.file}\` (${f.persona}) | ${audit} | ${zl} | ${ol} | ${verdicts.reasons[d.reason]} |`;
  });
  return [
    `Of the ${zizmorTotal} findings zizmor reports on its ${verdicts.fixtures.length} fixtures, the audit ` +
      `reports ${same} at the same line, ${count('moved')} at another line of the same step or job, and ` +
      `misses ${count('missing')}; it adds ${count('extra')} of its own.`,
    '',
    '| Fixture (persona of zizmor’s test) | zizmor audit | zizmor line | our line | Why |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

test('the README lists every difference with its reason (rendered from verdicts.json)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const table = parityTable();
  if (!readme.includes(table)) console.log(table);
  expect(readme).toContain(table);
});
