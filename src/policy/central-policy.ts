/**
 * One security policy for a whole organisation: the YAML file named by the `policy` input, parsed and
 * validated by policy-file.ts (unknown keys fail closed, with their line), and merged here with a
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
import { severityRank, type Severity } from '../findings/schema.js';
import { InputError, type Settings } from '../inputs.js';
import { meetsRequirement } from '../isolation/preflight.js';
import { lineOf, type AuditLevel, type Policy } from './policy-file.js';

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
