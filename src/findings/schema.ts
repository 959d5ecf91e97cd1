/**
 * The findings schema: the one source for the CLI's `--json-schema` (structured output) and for
 * validating what the agent returns. Everything the agent says is data; this is its shape.
 */
import { FINDING_SCHEMA, SEVERITIES, TITLE_MAX } from './finding-schema.js';
import { validate as validateFindingShape } from './finding-validator.generated.js';

export { FINDING_SCHEMA, SEVERITIES, TITLE_MAX };

export type Severity = (typeof SEVERITIES)[number];

/** Severity rank: higher is worse. */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

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

/** One error of the generated validator (Ajv's ErrorObject, the fields used here). */
interface ShapeError {
  instancePath: string;
  message?: string;
}

/** Ajv's errorsText: each error as `<dataVar><instancePath> <message>`, comma-separated. */
function errorsText(errors: readonly ShapeError[] | null | undefined, dataVar: string): string {
  if (!errors?.length) return 'No errors';
  return errors.map((e) => `${dataVar}${e.instancePath} ${e.message}`).join(', ');
}

// The finding validator is Ajv's standalone code for FINDING_SCHEMA, generated at build time
// (scripts/gen-validators.mjs; a unit test fails when it is stale): compiling the schema at run time cost
// about 50 ms of CPU after every agent run, and loaded Ajv's compiler (issue 12).
const validateFinding = validateFindingShape as ((data: unknown) => data is Finding) & {
  errors?: ShapeError[] | null;
};

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
  o.findings.forEach((f, index) => {
    if (!validateFinding(f)) {
      rejected.push({
        index,
        reason: errorsText(validateFinding.errors, `findings[${index}]`),
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
