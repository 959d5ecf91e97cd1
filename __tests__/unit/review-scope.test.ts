/** Incremental review, the decision: which range a run reviews, and the record it reads back. */
import { describe, expect, test } from '@jest/globals';
import {
  commitToCheck,
  decideReviewScope,
  describeReviewed,
  parseReviewedMarker,
  reviewedMarker,
  wantsIncremental,
  type RecordedFacts,
  type ScopeInput,
} from '../../src/review-scope.js';

const BASE = 'b'.repeat(40);
const HEAD = 'd'.repeat(40);
const LAST = 'a'.repeat(40);
const pull = { baseSha: BASE, headSha: HEAD };
const good: RecordedFacts = { exists: true, ancestorOfHead: true, ancestorOfBase: false };

describe('wantsIncremental', () => {
  test.each<[string, string, unknown, boolean]>([
    ['incremental', 'pull_request', 'synchronize', true],
    ['incremental', 'pull_request_target', 'synchronize', true],
    ['incremental', 'pull_request', 'opened', false],
    ['incremental', 'pull_request', 'reopened', false],
    ['incremental', 'pull_request', 'labeled', false],
    ['incremental', 'push', 'synchronize', false],
    ['incremental', 'workflow_dispatch', undefined, false],
    ['full', 'pull_request', 'synchronize', false],
  ])('%s on %s/%s → %s', (setting, event, action, expected) => {
    expect(wantsIncremental(setting as 'incremental' | 'full', event, action)).toBe(expected);
  });
});

describe('decideReviewScope', () => {
  test.each<[string, Omit<ScopeInput, 'pull'>, string, RegExp | undefined]>([
    [
      'full requested (or not a push)',
      { incremental: false, recorded: { sha: LAST }, facts: good },
      'full',
      undefined,
    ],
    ['first review: nothing recorded, no fallback notice', { incremental: true }, 'full', undefined],
    [
      'recorded ancestor of head: incremental',
      { incremental: true, recorded: { sha: LAST }, facts: good },
      'incremental',
      undefined,
    ],
    [
      'force-push: recorded commit not an ancestor of head',
      { incremental: true, recorded: { sha: LAST }, facts: { ...good, ancestorOfHead: false } },
      'full',
      /not an ancestor of the head dddddddddddd \(a force-push/,
    ],
    [
      'recorded commit missing from the checkout',
      { incremental: true, recorded: { sha: LAST }, facts: { ...good, exists: false } },
      'full',
      /not in the checkout.*fetch-depth: 0/,
    ],
    [
      'recorded commit already on the base branch',
      { incremental: true, recorded: { sha: LAST }, facts: { ...good, ancestorOfBase: true } },
      'full',
      /already part of the base branch/,
    ],
    [
      'fail-on-severity set: a merge gate judges the whole pull request',
      { incremental: true, gate: true, recorded: { sha: LAST }, facts: good },
      'full',
      /fail-on-severity is set/,
    ],
    ['fail-on-severity set, full anyway: no fallback', { incremental: false, gate: true }, 'full', undefined],
    ['an invalid record', { incremental: true, recorded: { invalid: 'HEAD~3' } }, 'full', /not a commit SHA/],
    [
      'comments unreadable',
      { incremental: true, recorded: { unreadable: 'HTTP 500' } },
      'full',
      /could not be read \(HTTP 500\)/,
    ],
    [
      'a re-run of the reviewed head',
      { incremental: true, recorded: { sha: HEAD } },
      'full',
      /already reviewed/,
    ],
    ['git could not answer', { incremental: true, recorded: { sha: LAST } }, 'full', /could not be checked/],
  ])('%s', (_name, input, scope, fallback) => {
    const d = decideReviewScope({ ...input, pull });
    expect(d.scope).toBe(scope);
    expect(d.head).toBe(HEAD);
    expect(d.base).toBe(scope === 'incremental' ? LAST : BASE);
    expect(d.range).toBe(scope === 'incremental' ? `${LAST}...${HEAD}` : `${BASE}...${HEAD}`);
    if (fallback) expect(d.fallback).toMatch(fallback);
    else expect(d.fallback).toBeUndefined();
    // A fallback never quotes an invalid record (it is untrusted text).
    expect(JSON.stringify(d)).not.toContain('HEAD~3');
  });

  test('commitToCheck asks git only about a valid recorded SHA other than the head, when incremental', () => {
    expect(commitToCheck({ incremental: true, pull, recorded: { sha: LAST } })).toBe(LAST);
    expect(commitToCheck({ incremental: false, pull, recorded: { sha: LAST } })).toBeUndefined();
    expect(commitToCheck({ incremental: true, pull, recorded: { sha: HEAD } })).toBeUndefined();
    expect(commitToCheck({ incremental: true, pull, recorded: { invalid: 'x' } })).toBeUndefined();
    expect(commitToCheck({ incremental: true, pull })).toBeUndefined();
    expect(commitToCheck({ incremental: true, gate: true, pull, recorded: { sha: LAST } })).toBeUndefined();
  });
});

describe('the reviewed-head record', () => {
  const summary = (second: string) => `<!-- claude-guard:summary -->\n${second}\n### 🛡️ claude-guard`;

  test('round trip: the marker written is read back', () => {
    expect(parseReviewedMarker(summary(reviewedMarker(LAST)))).toEqual({ sha: LAST });
  });

  test.each<[string, string, ReturnType<typeof parseReviewedMarker>]>([
    ['no record', summary('### heading'), undefined],
    ['short SHA', summary('<!-- claude-guard:reviewed head=abc123 -->'), { invalid: 'abc123' }],
    [
      'upper-case hex',
      summary(`<!-- claude-guard:reviewed head=${LAST.toUpperCase()} -->`),
      { invalid: LAST.toUpperCase() },
    ],
    ['a revision expression', summary('<!-- claude-guard:reviewed head=HEAD~1 -->'), { invalid: 'HEAD~1' }],
    [
      'an option',
      summary(`<!-- claude-guard:reviewed head=--output=${LAST} -->`),
      { invalid: `--output=${LAST}` },
    ],
    [
      'SHA with trailing text',
      summary(`<!-- claude-guard:reviewed head=${LAST} x -->`),
      { invalid: `${LAST} x` },
    ],
    [
      'a record further down (e.g. in the model’s summary) does not count',
      `<!-- claude-guard:summary -->\n### x\n<!-- claude-guard:reviewed head=${LAST} -->`,
      undefined,
    ],
  ])('%s', (_name, body, expected) => {
    expect(parseReviewedMarker(body)).toEqual(expected);
  });

  test('the writer refuses anything but a 40-hex SHA', () => {
    expect(() => reviewedMarker('HEAD')).toThrow(/not a commit SHA/);
    expect(() => reviewedMarker(`${LAST} -->`)).toThrow(/not a commit SHA/);
  });

  test('describeReviewed names the range and the scope', () => {
    expect(describeReviewed({ scope: 'incremental', base: LAST, head: HEAD })).toBe(
      'reviewed commits aaaaaaaaaaaa..dddddddddddd (incremental)',
    );
    expect(describeReviewed({ scope: 'full', base: BASE, head: HEAD })).toBe(
      'reviewed commits bbbbbbbbbbbb..dddddddddddd (full)',
    );
  });
});
