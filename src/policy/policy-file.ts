/**
 * The organisation's policy file (the `policy` input): YAML parsed with its lines, validated against
 * policy.schema.json (unknown keys fail closed, with their line) and the action's own rule and flag
 * checks. Pure: text in, a validated `Policy` out. Merging it into the inputs is central-policy.ts.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { validate as generatedValidator } from './policy-validator.generated.js';
import type { Severity } from '../findings/schema.js';
import { InputError, type IsolationLevel, type Settings } from '../inputs.js';
import { ALLOWED_FLAGS } from './claude-args.js';
import { validateUserRule } from './permissions.js';
import type { Mode } from '../core.js';

export type PolicyMode = Mode;
export type AuditLevel = Settings['auditWorkflow'];

/** A validated policy. A field left undefined places no constraint. */
export interface Policy {
  /** Where it was read from, for messages: `acme/.github/claude-guard.yml@main` or a workspace path. */
  source: string;
  allowedModes?: PolicyMode[];
  deny: string[];
  allow?: string[];
  minimumIsolation?: IsolationLevel;
  budgetUsd?: number;
  maxTurns?: number;
  timeoutMinutes?: number;
  /** Undefined when the file lists none (any model). */
  models?: string[];
  allowUntrustedPr?: boolean;
  require: { failOnSeverity?: Severity; failOnDenial?: boolean; auditWorkflow?: 'warn' | 'fail' };
  claudeArgs?: string[];
  /** 1-based line of each key and list item, by JSON pointer (`/budget-usd`, `/require/fail-on-denial`, `/allow/0`). */
  lines: Readonly<Record<string, number>>;
}

/** The file as written (the schema's shape). */
interface PolicyDocument {
  version: 1;
  'allowed-modes'?: PolicyMode[];
  deny?: string[];
  allow?: string[];
  'minimum-isolation'?: IsolationLevel;
  'budget-usd'?: number;
  'max-turns'?: number;
  'timeout-minutes'?: number;
  models?: string[];
  'allow-untrusted-pr'?: boolean;
  require?: { 'fail-on-severity'?: Severity; 'fail-on-denial'?: boolean; 'audit-workflow'?: 'warn' | 'fail' };
  'claude-args'?: string[];
}

// Ajv's standalone code for policy.schema.json (allErrors, strict, verbose), generated at build time by
// scripts/gen-validators.mjs (a unit test fails when it is stale): neither Ajv nor a schema compile is
// loaded at run time (issue 12). policy.schema.json is checked against the meta-schema by a unit test.
const documentValidator = (): ValidateFunction<PolicyDocument> =>
  generatedValidator as unknown as ValidateFunction<PolicyDocument>;

const pointer = (segments: readonly (string | number)[]): string =>
  segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** `/require/fail-on-severity` → `require.fail-on-severity`; `/allow/2` → `allow[2]`. */
function keyName(ptr: string): string {
  return ptr
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, s) => (/^\d+$/.test(s) ? `${name}[${s}]` : name === '' ? s : `${name}.${s}`), '');
}

/** The line of every mapping key and sequence item, by JSON pointer. */
function lineIndex(contents: unknown, counter: LineCounter): Record<string, number> {
  const lines: Record<string, number> = {};
  const visit = (node: unknown, path: (string | number)[]): void => {
    const record = (at: (string | number)[], offset: number | undefined): void => {
      if (offset !== undefined) lines[pointer(at)] = counter.linePos(offset).line;
    };
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const at = [...path, String(pair.key.value)];
        record(at, pair.key.range?.[0]);
        visit(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        record([...path, i], isScalar(item) || isMap(item) || isSeq(item) ? item.range?.[0] : undefined);
        visit(item, [...path, i]);
      });
    }
  };
  visit(contents, []);
  return lines;
}

/** The line of a pointer, or of its nearest ancestor that has one. */
export function lineOf(lines: Readonly<Record<string, number>>, ptr: string): number {
  for (let p = ptr; ; p = p.slice(0, p.lastIndexOf('/'))) {
    if (lines[p] !== undefined) return lines[p];
    if (p === '') return 1;
  }
}

function describeSchemaError(e: ErrorObject): { ptr: string; text: string } {
  const where = keyName(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      return {
        ptr: `${e.instancePath}${pointer([key])}`,
        text: `unknown key '${key}'${where ? ` in '${where}'` : ''}; known keys: ${known.join(', ')}`,
      };
    }
    case 'required':
      return { ptr: e.instancePath, text: `missing key '${String(e.params.missingProperty)}'` };
    case 'enum':
      return {
        ptr: e.instancePath,
        text: `'${where}' must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'const':
      return { ptr: e.instancePath, text: `'${where}' must be ${JSON.stringify(e.params.allowedValue)}` };
    default:
      return { ptr: e.instancePath, text: `'${where || 'the policy'}' ${e.message ?? 'is invalid'}` };
  }
}

function invalid(source: string, problems: { line: number; text: string }[]): InputError {
  const list = [...new Map(problems.map((p) => [`${p.line}:${p.text}`, p])).values()]
    .sort((a, b) => a.line - b.line)
    .map((p) => `\n  line ${p.line}: ${p.text}`)
    .join('');
  return new InputError(
    'policy',
    `the organisation policy ${source} is not valid (see policy.schema.json):${list}`,
  );
}

/** Rules and flags the schema cannot judge: each must pass the action's own checks. */
function semanticProblems(
  doc: PolicyDocument,
  lines: Record<string, number>,
): { line: number; text: string }[] {
  const problems: { line: number; text: string }[] = [];
  const check = (key: 'deny' | 'allow', kind: 'deny' | 'allow'): void =>
    doc[key]?.forEach((rule, i) => {
      try {
        // Custom mode is the widest: a rule refused there can never be used.
        validateUserRule(rule, kind, 'custom');
      } catch (error) {
        const reason = (error as Error).message.replace(/^Input '[^']+': /, '');
        problems.push({ line: lineOf(lines, pointer([key, i])), text: `${key}[${i}]: ${reason}` });
      }
    });
  check('deny', 'deny');
  check('allow', 'allow');
  doc['claude-args']?.forEach((flag, i) => {
    if (ALLOWED_FLAGS[flag] === undefined) {
      problems.push({
        line: lineOf(lines, pointer(['claude-args', i])),
        text: `claude-args[${i}]: '${flag}' is not a flag claude-args accepts (${Object.keys(ALLOWED_FLAGS).join(', ')})`,
      });
    }
  });
  return problems;
}

/**
 * Parse and validate a policy file. `source` names it in messages. Throws InputError('policy') listing
 * every problem with its line: YAML syntax, duplicate keys, unknown keys, wrong types, bad rules.
 */
export function parsePolicy(text: string, source: string): Policy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  // A warning (e.g. an unknown !tag read as a plain string) fails too: the file must mean what it says.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw invalid(
      source,
      yamlProblems.map((e) => ({
        line: counter.linePos(e.pos[0]).line,
        text: e.message.split('\n')[0],
      })),
    );
  }
  if (doc.contents === null)
    throw invalid(source, [{ line: 1, text: 'the file is empty; start with version: 1' }]);
  const lines = lineIndex(doc.contents, counter);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (e) {
    // e.g. an alias bomb: "Excessive alias count indicates a resource exhaustion attack"
    throw invalid(source, [{ line: 1, text: `the YAML cannot be read: ${(e as Error).message}` }]);
  }
  const validateDocument = documentValidator();
  if (!validateDocument(data)) {
    throw invalid(
      source,
      (validateDocument.errors ?? []).map((e) => {
        const { ptr, text: problem } = describeSchemaError(e);
        return { line: lineOf(lines, ptr), text: problem };
      }),
    );
  }
  const problems = semanticProblems(data, lines);
  if (problems.length > 0) throw invalid(source, problems);
  const req = data.require ?? {};
  return {
    source,
    allowedModes: data['allowed-modes'],
    deny: data.deny ?? [],
    allow: data.allow,
    minimumIsolation: data['minimum-isolation'],
    budgetUsd: data['budget-usd'],
    maxTurns: data['max-turns'],
    timeoutMinutes: data['timeout-minutes'],
    models: data.models?.length ? data.models : undefined,
    allowUntrustedPr: data['allow-untrusted-pr'],
    require: {
      failOnSeverity: req['fail-on-severity'],
      failOnDenial: req['fail-on-denial'],
      auditWorkflow: req['audit-workflow'],
    },
    claudeArgs: data['claude-args'],
    lines,
  };
}
