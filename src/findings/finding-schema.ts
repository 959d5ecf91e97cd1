/**
 * The schema of one finding, in a module of its own with no imports: scripts/gen-validators.mjs compiles
 * it into src/findings/finding-validator.generated.ts (Ajv's standalone code) when it changes, so a run
 * does not compile it (issue 12). Type-only syntax, so Node can load it without a build step.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

export const TITLE_MAX = 120;

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
