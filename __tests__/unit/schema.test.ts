/** The findings schema: the CLI gets a loose item schema, our side validates each finding alone. */
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { FINDING_SCHEMA, REVIEW_OUTPUT_SCHEMA, validateReview } from '../../src/findings/schema.js';
import policySchema from '../../policy.schema.json' with { type: 'json' };

const good = { path: 'a.ts', line: 3, severity: 'high', category: 'bug', title: 'T', body: 'B' };

describe('findings schema', () => {
  // The validators skip the meta-schema check at run time (its cost, issue 12); it is made here instead.
  test.each([
    ['finding', FINDING_SCHEMA],
    ['review output', REVIEW_OUTPUT_SCHEMA],
    ['policy', policySchema],
  ])('the %s schema is a valid JSON Schema (meta-schema check)', (_name, schema) => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema(schema as object)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
  });

  test('the schema given to the CLI accepts an answer with one bad finding (so the CLI does not reject it all)', () => {
    const validate = new Ajv({ strict: true }).compile(REVIEW_OUTPUT_SCHEMA);
    expect(validate({ summary: 's', findings: [good, { ...good, severity: 'urgent' }, { x: 1 }] })).toBe(
      true,
    );
    expect(validate({ summary: 's', findings: [good, 'not an object'] })).toBe(false);
    expect(validate({ findings: [] })).toBe(false);
  });

  test.each([
    [{ ...good, severity: 'urgent' }, /severity.*allowed values/],
    [{ ...good, line: 0 }, /line must be >= 1/],
    [{ ...good, end_line: 1 }, /end_line \(1\) is before line \(3\)/],
    [{ ...good, extra: 1 }, /additional properties/],
    [{ ...good, title: 'x'.repeat(121) }, /title must NOT have more than 120/],
  ])('a bad finding is rejected with its reason, the good ones kept: %j', (bad, reason) => {
    const { review, rejected } = validateReview({ summary: 's', findings: [good, bad, good] });
    expect(review.findings).toHaveLength(2);
    expect(rejected).toEqual([{ index: 1, reason: expect.stringMatching(reason) }]);
  });

  test('a wrong envelope is an error naming what is missing', () => {
    expect(() => validateReview(undefined)).toThrow(/no structured review/);
    expect(() => validateReview({ findings: [] })).toThrow(/"summary"/);
    expect(() => validateReview({ summary: '' })).toThrow(/"findings"/);
  });
});
