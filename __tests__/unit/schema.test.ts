/** The findings schema: the CLI gets a loose item schema, our side validates each finding alone. */
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { FINDING_SCHEMA, REVIEW_OUTPUT_SCHEMA, validateReview } from '../../src/findings/schema.js';
import fs from 'node:fs';
// @ts-expect-error -- a plain .mjs script without type declarations
import { generate, generatePolicy, OUT, POLICY_OUT } from '../../scripts/gen-validators.mjs';
import policySchema from '../../policy.schema.json' with { type: 'json' };
import { validate as generatedValidator } from '../../src/findings/finding-validator.generated.js';
import { validate as generatedPolicyValidator } from '../../src/policy/policy-validator.generated.js';

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

  // The finding validator is generated at build time (issue 12): it must be today's schema's, and decide
  // and explain exactly as Ajv compiling the schema at run time did.
  test('the generated finding validator is up to date (else: node scripts/gen-validators.mjs)', () => {
    expect(fs.readFileSync(OUT, 'utf8')).toBe(generate());
  });

  test.each([
    good,
    { ...good, end_line: 4, suggestion: 'x' },
    { ...good, title: '😀'.repeat(120) }, // 120 code points, 240 UTF-16 units: allowed
    { ...good, title: '😀'.repeat(121) },
    { ...good, path: '' },
    { ...good, line: 1.5, severity: 'urgent', extra: true },
    { path: 'a' },
    [good],
    null,
    'text',
  ])('the generated validator agrees with Ajv compiling the schema: %j', (finding) => {
    const compiled = new Ajv({ allErrors: true, strict: true }).compile(FINDING_SCHEMA);
    const validate = generatedValidator as unknown as typeof compiled;
    expect(validate(finding)).toBe(compiled(finding));
    expect(validate.errors ?? null).toEqual(compiled.errors ?? null);
  });

  test('the generated policy validator is up to date (else: node scripts/gen-validators.mjs)', () => {
    expect(fs.readFileSync(POLICY_OUT, 'utf8')).toBe(generatePolicy());
  });

  // The policy validator's errors carry the failing value and schema (verbose): the same as Ajv's.
  test.each([
    { version: 1 },
    { version: 2 },
    { version: 1, 'allowed-modes': ['review', 'review'] }, // uniqueItems: the deep-equality helper
    { version: 1, 'allowed-modes': ['nope'], 'budget-usd': -1, extra: true },
    { version: 1, deny: ['x'.repeat(2000)] },
    { version: 1, require: { 'fail-on-severity': 'urgent', 'audit-workflow': 'off' } },
    { 'max-turns': 1.5 },
    [],
    null,
  ])('the generated policy validator agrees with Ajv compiling the schema: %j', (policy) => {
    const compiled = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(policySchema);
    const validate = generatedPolicyValidator as unknown as typeof compiled;
    expect(validate(policy)).toBe(compiled(policy));
    expect(validate.errors ?? null).toEqual(compiled.errors ?? null);
  });

  test('a wrong envelope is an error naming what is missing', () => {
    expect(() => validateReview(undefined)).toThrow(/no structured review/);
    expect(() => validateReview({ findings: [] })).toThrow(/"summary"/);
    expect(() => validateReview({ summary: '' })).toThrow(/"findings"/);
  });
});
