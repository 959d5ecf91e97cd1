/**
 * One security policy for a whole organisation: the YAML file named by the `policy` input, parsed,
 * validated against policy.schema.json (unknown keys fail closed, with their line), and merged with a
 * repository's inputs so that the inputs can only TIGHTEN it. Pure: text and Settings in, Settings and a
 * markdown summary out; reading the file is policy-source.ts.
 *
 * Merge rules (applyPolicy): deny rules are added; a repository's allow rules must be on the policy's
 * allow list; budget, turns and time take the lower of input and ceiling (an explicit input above the
 * ceiling is an error, a default above it is lowered and said so); the required isolation is the stronger
 * of the two; mode and model must be allowed; allow-untrusted-pr cannot be switched on against the
 * policy; required fail-on-* and audit settings raise the repository's (an explicit looser one is an
 * error). Every refusal names the input and the policy line it would break.
 *
 * Defends X6 (an organisation-wide spend, turn and time ceiling), X7 (a repository cannot widen rules,
 * flags, modes or models beyond what the organisation allows) and keeps the isolation floor of the
 * threat model (require-isolation) from being lowered per repository.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import policySchema from '../../policy.schema.json' with { type: 'json' };
import { severityRank, type Severity } from '../findings/schema.js';
import { InputError, type IsolationLevel, type Settings } from '../inputs.js';
import { meetsRequirement } from '../isolation/preflight.js';
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

// validateSchema: false — policy.schema.json is ours, checked against the meta-schema by a unit test;
// compiling the meta-schema at run time doubled the validator's cost (issue 12).
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true, validateSchema: false });
// Compiled on first use (a run with a policy file), not at import: compiling is most of the load time.
let compiledDocument: ValidateFunction<PolicyDocument> | undefined;
const documentValidator = (): ValidateFunction<PolicyDocument> =>
  (compiledDocument ??= ajv.compile<PolicyDocument>(policySchema));

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
function lineOf(lines: Readonly<Record<string, number>>, ptr: string): number {
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

const AUDIT_RANK: Record<AuditLevel, number> = { off: 0, warn: 1, fail: 2 };

/** True when `threshold` fails on `required` or on anything milder (a lower threshold is stricter). */
function failsAtLeastOn(threshold: Severity | 'none', required: Severity): boolean {
  return threshold !== 'none' && severityRank(threshold) <= severityRank(required);
}

/** The values --fallback-model names in validated claude-args (`--fallback-model a,b` or `=a,b`). */
function fallbackModels(args: readonly string[]): string[] {
  return args
    .flatMap((arg, i) =>
      arg === '--fallback-model'
        ? [args[i + 1] ?? '']
        : arg.startsWith('--fallback-model=')
          ? [arg.slice('--fallback-model='.length)]
          : [],
    )
    .flatMap((v) => v.split(','));
}

const flagOf = (arg: string): string => arg.split('=')[0];
const code = (value: unknown): string => `\`${String(value).replace(/[`|\n]/g, ' ')}\``;
const list = (values: readonly unknown[]): string => (values.length ? values.map(code).join(', ') : 'none');

/**
 * Merge a validated policy into the repository's settings. `explicitInputs` are the input names the
 * workflow set itself (a default above a ceiling is lowered; an explicit value above it is an error).
 * Throws InputError naming the input and the policy line it would break. `summary` is markdown for the
 * job summary: the policy's keys, the effective values, and every value the policy changed.
 */
export function applyPolicy(
  settings: Settings,
  policy: Policy,
  explicitInputs: Set<string>,
): { effective: Settings; summary: string } {
  const effective: Settings = { ...settings };
  const rows: [string, string, string][] = [];
  const notes: string[] = [];
  const at = (ptr: string): string => `${policy.source} line ${lineOf(policy.lines, ptr)}`;
  const refuse = (input: string, text: string, ptr: string, fix: string): never => {
    throw new InputError(input, `${text} (${at(ptr)}); ${fix}.`);
  };
  const given = (input: string, value: unknown): string =>
    explicitInputs.has(input) ? `${value}` : `${value} (the default)`;

  if (policy.allowedModes) {
    if (!(policy.allowedModes as string[]).includes(settings.mode)) {
      refuse(
        'mode',
        `${given('mode', settings.mode)} is not among the organisation policy's allowed-modes: ${policy.allowedModes.join(', ')}`,
        '/allowed-modes',
        'use an allowed mode',
      );
    }
    rows.push(['mode', list(policy.allowedModes), code(settings.mode)]);
  }

  if (policy.deny.length > 0) {
    effective.deniedTools = [...new Set([...settings.deniedTools, ...policy.deny])];
    rows.push([
      'denied-tools',
      `adds ${policy.deny.length} rule(s)`,
      `${effective.deniedTools.length} rule(s)`,
    ]);
  }

  if (policy.allow) {
    const allow = policy.allow;
    const outside = settings.allowedTools.find((rule) => !allow.includes(rule));
    if (outside !== undefined) {
      refuse(
        'allowed-tools',
        `rule '${outside}' is not on the organisation policy's allow list: ${allow.length ? allow.join(', ') : 'none'}`,
        '/allow',
        'remove it, or ask the policy owners to add it',
      );
    }
    rows.push(['allowed-tools', `only ${list(allow)}`, list(settings.allowedTools)]);
  }

  const ceiling = (
    input: 'budget-usd' | 'max-turns' | 'timeout-minutes',
    field: 'budgetUsd' | 'maxTurns' | 'timeoutMinutes',
  ): void => {
    const limit = policy[field];
    if (limit === undefined) return;
    const value = settings[field];
    if (value > limit) {
      if (explicitInputs.has(input)) {
        refuse(
          input,
          `${value} exceeds the organisation policy's ceiling ${input}: ${limit}`,
          `/${input}`,
          `set it to ${limit} or less, or leave it unset`,
        );
      }
      effective[field] = limit;
      notes.push(`${input}: the default ${value} is above the policy's ceiling; ${limit} is used.`);
    }
    rows.push([input, `at most ${limit}`, code(effective[field])]);
  };
  ceiling('budget-usd', 'budgetUsd');
  ceiling('max-turns', 'maxTurns');
  ceiling('timeout-minutes', 'timeoutMinutes');

  const minimum = policy.minimumIsolation;
  if (minimum) {
    if (settings.isolation !== 'auto' && !meetsRequirement(settings.isolation, minimum)) {
      refuse(
        'isolation',
        `${settings.isolation} is weaker than the organisation policy's minimum-isolation: ${minimum}`,
        '/minimum-isolation',
        `set isolation to auto or at least ${minimum}`,
      );
    }
    const required = settings.requireIsolation;
    effective.requireIsolation = required && meetsRequirement(required, minimum) ? required : minimum;
    if (effective.requireIsolation !== required) {
      notes.push(
        `require-isolation: raised to the policy's minimum ${minimum} (was ${required ?? 'unset'}).`,
      );
    }
    rows.push(['require-isolation', `at least ${code(minimum)}`, code(effective.requireIsolation)]);
  }

  if (policy.models) {
    const models = policy.models;
    if (settings.model !== undefined && !models.includes(settings.model)) {
      refuse(
        'model',
        `${settings.model} is not among the organisation policy's models: ${models.join(', ')}`,
        '/models',
        'use one of them',
      );
    }
    const fallback = fallbackModels(settings.claudeArgs).find((m) => !models.includes(m));
    if (fallback !== undefined) {
      refuse(
        'claude-args',
        `--fallback-model ${fallback} is not among the organisation policy's models: ${models.join(', ')}`,
        '/models',
        'use one of them',
      );
    }
    if (settings.model === undefined) {
      notes.push(
        "model: not set, so Claude Code's default model is used; the policy's models list cannot check it " +
          `(set model to one of ${models.join(', ')} to be sure).`,
      );
    }
    rows.push(['model', list(models), settings.model ? code(settings.model) : "Claude Code's default"]);
  }

  if (policy.allowUntrustedPr !== undefined) {
    if (settings.allowUntrustedPr && !policy.allowUntrustedPr) {
      refuse(
        'allow-untrusted-pr',
        'true is not allowed: the organisation policy sets allow-untrusted-pr: false',
        '/allow-untrusted-pr',
        'remove it (use the fork-safe pattern in examples/ only where the policy allows it)',
      );
    }
    rows.push([
      'allow-untrusted-pr',
      policy.allowUntrustedPr ? 'may be on' : 'off',
      code(settings.allowUntrustedPr),
    ]);
  }

  const { failOnSeverity, failOnDenial, auditWorkflow } = policy.require;
  if (failOnSeverity && !failsAtLeastOn(settings.failOnSeverity, failOnSeverity)) {
    if (explicitInputs.has('fail-on-severity')) {
      refuse(
        'fail-on-severity',
        `${settings.failOnSeverity} is looser than the organisation policy's require.fail-on-severity: ${failOnSeverity}`,
        '/require/fail-on-severity',
        `set it to ${failOnSeverity} or a lower severity, or leave it unset`,
      );
    }
    effective.failOnSeverity = failOnSeverity;
    notes.push(`fail-on-severity: raised from the default ${settings.failOnSeverity} to ${failOnSeverity}.`);
  }
  if (failOnSeverity)
    rows.push(['fail-on-severity', `${code(failOnSeverity)} or lower`, code(effective.failOnSeverity)]);

  if (failOnDenial && !settings.failOnDenial) {
    if (explicitInputs.has('fail-on-denial')) {
      refuse(
        'fail-on-denial',
        'false is not allowed: the organisation policy sets require.fail-on-denial: true',
        '/require/fail-on-denial',
        'remove it',
      );
    }
    effective.failOnDenial = true;
    notes.push('fail-on-denial: switched on by the policy.');
  }
  if (failOnDenial) rows.push(['fail-on-denial', 'on', code(effective.failOnDenial)]);

  if (auditWorkflow && AUDIT_RANK[settings.auditWorkflow] < AUDIT_RANK[auditWorkflow]) {
    if (explicitInputs.has('audit-workflow')) {
      refuse(
        'audit-workflow',
        `${settings.auditWorkflow} is looser than the organisation policy's require.audit-workflow: ${auditWorkflow}`,
        '/require/audit-workflow',
        `set it to ${auditWorkflow}${auditWorkflow === 'warn' ? ' or fail' : ''}, or leave it unset`,
      );
    }
    effective.auditWorkflow = auditWorkflow;
    notes.push(`audit-workflow: raised from the default ${settings.auditWorkflow} to ${auditWorkflow}.`);
  }
  if (auditWorkflow)
    rows.push(['audit-workflow', `at least ${code(auditWorkflow)}`, code(effective.auditWorkflow)]);

  if (policy.claudeArgs) {
    const allowed = policy.claudeArgs;
    const flag = settings.claudeArgs
      .filter((a) => a.startsWith('--'))
      .map(flagOf)
      .find((f) => !allowed.includes(f));
    if (flag !== undefined) {
      refuse(
        'claude-args',
        `flag ${flag} is not among the organisation policy's claude-args: ${allowed.length ? allowed.join(', ') : 'none'}`,
        '/claude-args',
        'remove it, or ask the policy owners to add it',
      );
    }
    rows.push([
      'claude-args',
      `only ${list(allowed)}`,
      list(settings.claudeArgs.filter((a) => a.startsWith('--')).map(flagOf)),
    ]);
  }

  const summary = [
    '### Organisation policy',
    '',
    `Read from ${code(policy.source)}. This repository's inputs can only tighten it.`,
    '',
    '| Setting | Policy | This run |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
  return { effective, summary };
}
