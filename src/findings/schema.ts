/**
 * The findings schema: the one source for the CLI's `--json-schema` (structured output) and for
 * validating what the agent returns. Everything the agent says is data; this is its shape.
 */
import { Ajv, type ValidateFunction } from 'ajv';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severity rank: higher is worse. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

export const TITLE_MAX = 120;

export interface Finding {
  /** Repository-relative path of the file the finding is about. */
  path: string;
  /** 1-based line on the PR's head side (RIGHT). */
  line: number;
  /** Last line of a multi-line finding (inclusive), ≥ line. */
  end_line?: number;
  severity: Severity;
  category: string;
  title: string;
  /** Markdown body. */
  body: string;
  /** Replacement text for line..end_line. */
  suggestion?: string;
}

export interface ReviewResult {
  summary: string;
  findings: Finding[];
}

export const FINDING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'line', 'severity', 'category', 'title', 'body'],
  properties: {
    path: { type: 'string', minLength: 1, maxLength: 1024 },
    line: { type: 'integer', minimum: 1 },
    end_line: { type: 'integer', minimum: 1 },
    severity: { type: 'string', enum: [...SEVERITIES] },
    category: { type: 'string', minLength: 1, maxLength: 64 },
    title: { type: 'string', minLength: 1, maxLength: TITLE_MAX },
    body: { type: 'string', maxLength: 65536 },
    suggestion: { type: 'string', maxLength: 65536 },
  },
} as const;

/** The structured-output schema given to the CLI. Items are loose here on purpose: a single bad
 * finding must not make the model's whole answer unusable, so items are validated one by one. */
export const REVIEW_OUTPUT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'findings'],
  properties: {
    summary: { type: 'string', maxLength: 65536 },
    // Each item only has to be an object: its fields are checked by validateReview, one finding at a
    // time. The strict item schema here made the CLI refuse the whole answer for one bad finding.
    findings: { type: 'array', maxItems: 500, items: { type: 'object' } },
  },
} as const;

export interface RejectedFinding {
  index: number;
  reason: string;
}

export interface ValidatedReview {
  review: ReviewResult;
  rejected: RejectedFinding[];
}

// validateSchema: false — the schema is this module's own constant, checked against the JSON Schema
// meta-schema by a unit test; validating it at run time compiled the meta-schema too, the larger part
// of the validator's cost (about 90 ms of CPU after the agent ends; issue 12).
const ajv = new Ajv({ allErrors: true, strict: true, validateSchema: false });
// Compiled on first use, not at import: compiling (meta-schema included) is most of the bundle's load time.
let compiledFinding: ValidateFunction<Finding> | undefined;
const findingValidator = (): ValidateFunction<Finding> =>
  (compiledFinding ??= ajv.compile<Finding>(FINDING_SCHEMA));

/**
 * Validate the agent's structured output. The envelope must be right (else throw); each finding is
 * validated on its own and a bad one is reported in `rejected`, never posted.
 */
export function validateReview(output: unknown): ValidatedReview {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) {
    throw new Error('the agent returned no structured review (expected an object with summary and findings)');
  }
  const o = output as Record<string, unknown>;
  if (typeof o.summary !== 'string')
    throw new Error('the agent\'s structured review has no "summary" string');
  if (!Array.isArray(o.findings)) throw new Error('the agent\'s structured review has no "findings" array');
  const findings: Finding[] = [];
  const rejected: RejectedFinding[] = [];
  const validateFinding = findingValidator();
  o.findings.forEach((f, index) => {
    if (!validateFinding(f)) {
      rejected.push({
        index,
        reason: ajv.errorsText(validateFinding.errors, { dataVar: `findings[${index}]` }),
      });
    } else if (f.end_line !== undefined && f.end_line < f.line) {
      rejected.push({
        index,
        reason: `findings[${index}].end_line (${f.end_line}) is before line (${f.line})`,
      });
    } else {
      findings.push(f);
    }
  });
  return { review: { summary: o.summary, findings }, rejected };
}
