/**
 * Parity with the field's own test suite: every case of claude-code-action's sanitizer tests (vendored
 * with its licence and source commit in __tests__/fixtures/parity/claude-code-action/), each asserting our verdict. A case
 * marked "same" must satisfy the upstream expectation on our output; a case marked "differs" must not
 * (so the README's table of deliberate differences cannot go stale) and must give exactly the recorded
 * output. The reasons are the rows of that table.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import { sanitizeUntrusted } from '../../src/policy/sanitize.js';

interface Verdict {
  verdict: 'same' | 'differs';
  reason?: string;
  text?: string;
  dedented?: Verdict;
}
interface Case {
  id: number;
  describe: string;
  it: string;
  calls: string[];
  input: string;
  toBe?: string;
  toContain?: string;
  notToContain?: string;
  ours: Verdict;
}

const fixture = JSON.parse(
  fs.readFileSync(
    new URL('../fixtures/parity/claude-code-action/claude-code-action-sanitizer.json', import.meta.url),
    'utf8',
  ),
) as { source: { commit: string }; cases: Case[] };

const REASONS = new Set([
  'no-redaction',
  'indented-code',
  'tags-removed',
  'unresolved-reference',
  'line-endings',
  'nul-entity',
]);

/** The upstream expectation, applied to our output. */
function upstreamHolds(c: Case, out: string): boolean {
  if (c.toBe !== undefined) return out === c.toBe;
  if (c.toContain !== undefined) return out.includes(c.toContain);
  return !out.includes(c.notToContain!);
}

/** The input without the common indentation a template literal in a test adds. */
function dedent(text: string): string {
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

function check(c: Case, input: string, verdict: Verdict): void {
  const out = sanitizeUntrusted(input).text;
  if (verdict.verdict === 'same') {
    expect(upstreamHolds(c, out)).toBe(true);
    return;
  }
  expect(REASONS.has(verdict.reason!)).toBe(true);
  expect(upstreamHolds(c, out)).toBe(false);
  expect(out).toBe(verdict.text);
}

describe(`claude-code-action's sanitizer tests (${fixture.source.commit.slice(0, 12)})`, () => {
  test('the fixture holds every upstream case, numbered', () => {
    expect(fixture.cases.length).toBe(125);
    expect(fixture.cases.map((c) => c.id)).toEqual(fixture.cases.map((_, i) => i + 1));
  });

  test.each(fixture.cases.map((c) => [`#${c.id} ${c.describe} › ${c.it}`, c] as const))('%s', (_name, c) => {
    check(c, c.input, c.ours);
    if (c.ours.dedented) check(c, dedent(c.input), c.ours.dedented);
  });

  test('no hidden text the upstream suite removes reaches our output once the input is not a code block', () => {
    const hiddenKept = fixture.cases.filter((c) => {
      if (c.notToContain === undefined || c.ours.reason === 'no-redaction') return false;
      const input = c.ours.reason === 'indented-code' ? dedent(c.input) : c.input;
      return sanitizeUntrusted(input).text.includes(c.notToContain);
    });
    expect(hiddenKept.map((c) => c.id)).toEqual([]);
  });
});
