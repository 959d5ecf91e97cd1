import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { SEVERITIES } from '../../src/findings/schema.js';
import { InputError, readSettings, type Settings } from '../../src/inputs.js';
import { ALLOWED_FLAGS } from '../../src/policy/claude-args.js';
import { applyPolicy } from '../../src/policy/central-policy.js';
import { parsePolicy, type Policy } from '../../src/policy/policy-file.js';

const SRC = 'acme/.github/claude-guard.yml@main';
const REQUIRED = { 'anthropic-api-key': 'sk-ant-api03-test', 'github-token': 'ghs_test' };

/** A policy file: `version: 1` on line 1, then `body` from line 2. */
const policy = (body: string): Policy => parsePolicy(`version: 1\n${body}\n`, SRC);

/** Settings as readSettings makes them from these inputs; the inputs given are the explicit ones. */
function repo(inputs: Record<string, string>): { settings: Settings; explicit: Set<string> } {
  const all: Record<string, string> = { ...REQUIRED, ...inputs };
  return { settings: readSettings((name) => all[name] ?? ''), explicit: new Set(Object.keys(inputs)) };
}

function merge(body: string, inputs: Record<string, string>) {
  const { settings, explicit } = repo(inputs);
  return applyPolicy(settings, policy(body), explicit);
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

const at = (line: number) => `(${SRC} line ${line})`;

type Expected = Partial<Settings> | { error: string };

/** Central policy × repository inputs → the fields the policy governs, or the exact error. */
const MERGE_TABLE: [string, string, Record<string, string>, Expected][] = [
  // allowed-modes
  ['mode allowed', 'allowed-modes: [review, custom]', {}, { mode: 'review' }],
  [
    'explicit custom mode allowed',
    'allowed-modes: [review, custom]',
    { mode: 'custom', prompt: 'task' },
    { mode: 'custom' },
  ],
  [
    'default mode outside allowed-modes',
    'allowed-modes: [custom]',
    {},
    {
      error: `Input 'mode': review (the default) is not among the organisation policy's allowed-modes: custom ${at(2)}; use an allowed mode.`,
    },
  ],
  [
    'explicit mode outside allowed-modes',
    'allowed-modes: [review]',
    { mode: 'custom', prompt: 'task' },
    {
      error: `Input 'mode': custom is not among the organisation policy's allowed-modes: review ${at(2)}; use an allowed mode.`,
    },
  ],
  // deny
  [
    'policy deny rules are added to the repository deny rules',
    'deny: [Bash(rm:*), Read(secrets/**)]',
    { 'denied-tools': 'Read(private/**)' },
    { deniedTools: ['Read(private/**)', 'Bash(rm:*)', 'Read(secrets/**)'] },
  ],
  [
    'a deny rule in both appears once',
    'deny: [Bash(rm:*)]',
    { 'denied-tools': 'Bash(rm:*)' },
    { deniedTools: ['Bash(rm:*)'] },
  ],
  // allow
  [
    'repository allow rule on the allow list',
    'allow: [Bash(make test:*), Bash(make lint:*)]',
    { 'allowed-tools': 'Bash(make test:*)' },
    { allowedTools: ['Bash(make test:*)'] },
  ],
  [
    'repository allow rule outside the allow list',
    'allow: [Bash(make test:*)]',
    { 'allowed-tools': 'Bash(make test:*)\nBash(make lint:*)' },
    {
      error: `Input 'allowed-tools': rule 'Bash(make lint:*)' is not on the organisation policy's allow list: Bash(make test:*) ${at(2)}; remove it, or ask the policy owners to add it.`,
    },
  ],
  [
    'an empty allow list allows no rule',
    'allow: []',
    { 'allowed-tools': 'Bash(make test:*)' },
    {
      error: `Input 'allowed-tools': rule 'Bash(make test:*)' is not on the organisation policy's allow list: none ${at(2)}; remove it, or ask the policy owners to add it.`,
    },
  ],
  ['an empty allow list with no repository rule', 'allow: []', {}, { allowedTools: [] }],
  [
    'no allow key leaves allowed-tools to the action',
    'budget-usd: 10',
    { 'allowed-tools': 'Bash(make lint:*)' },
    { allowedTools: ['Bash(make lint:*)'] },
  ],
  // minimum-isolation
  [
    'minimum fills an unset require-isolation',
    'minimum-isolation: sandbox',
    {},
    { requireIsolation: 'sandbox' },
  ],
  [
    'a stronger repository requirement stays',
    'minimum-isolation: sandbox',
    { 'require-isolation': 'strict' },
    { requireIsolation: 'strict' },
  ],
  [
    'a weaker repository requirement is raised',
    'minimum-isolation: strict',
    { 'require-isolation': 'rules-only' },
    { requireIsolation: 'strict' },
  ],
  [
    'an explicit isolation level above the minimum',
    'minimum-isolation: sandbox',
    { isolation: 'strict' },
    { isolation: 'strict', requireIsolation: 'sandbox' },
  ],
  [
    'an explicit isolation level below the minimum',
    'minimum-isolation: strict',
    { isolation: 'sandbox' },
    {
      error: `Input 'isolation': sandbox is weaker than the organisation policy's minimum-isolation: strict ${at(2)}; set isolation to auto or at least strict.`,
    },
  ],
  // budget-usd
  ['default budget under the ceiling', 'budget-usd: 10', {}, { budgetUsd: 5 }],
  ['default budget over the ceiling is lowered', 'budget-usd: 2', {}, { budgetUsd: 2 }],
  ['explicit budget at the ceiling', 'budget-usd: 10', { 'budget-usd': '10' }, { budgetUsd: 10 }],
  ['explicit budget under the ceiling', 'budget-usd: 10', { 'budget-usd': '0.5' }, { budgetUsd: 0.5 }],
  [
    'explicit budget over the ceiling',
    'max-turns: 30\nbudget-usd: 10',
    { 'budget-usd': '50' },
    {
      error: `Input 'budget-usd': 50 exceeds the organisation policy's ceiling budget-usd: 10 ${at(3)}; set it to 10 or less, or leave it unset.`,
    },
  ],
  // max-turns
  ['default turns over the ceiling are lowered', 'max-turns: 10', {}, { maxTurns: 10 }],
  ['explicit turns under the ceiling', 'max-turns: 50', { 'max-turns': '40' }, { maxTurns: 40 }],
  [
    'explicit turns over the ceiling',
    'max-turns: 10',
    { 'max-turns': '40' },
    {
      error: `Input 'max-turns': 40 exceeds the organisation policy's ceiling max-turns: 10 ${at(2)}; set it to 10 or less, or leave it unset.`,
    },
  ],
  // timeout-minutes
  ['default timeout over the ceiling is lowered', 'timeout-minutes: 5', {}, { timeoutMinutes: 5 }],
  ['default timeout under the ceiling', 'timeout-minutes: 60', {}, { timeoutMinutes: 15 }],
  [
    'explicit timeout over the ceiling',
    'timeout-minutes: 5',
    { 'timeout-minutes': '6' },
    {
      error: `Input 'timeout-minutes': 6 exceeds the organisation policy's ceiling timeout-minutes: 5 ${at(2)}; set it to 5 or less, or leave it unset.`,
    },
  ],
  // models
  ['model on the list', 'models: [sonnet, claude-sonnet-4-5]', { model: 'sonnet' }, { model: 'sonnet' }],
  ['no model leaves the CLI default', 'models: [sonnet]', {}, { model: undefined }],
  ['an empty models list allows any', 'models: []', { model: 'opus' }, { model: 'opus' }],
  [
    'model off the list',
    'models: [sonnet]',
    { model: 'opus' },
    {
      error: `Input 'model': opus is not among the organisation policy's models: sonnet ${at(2)}; use one of them.`,
    },
  ],
  [
    'a fallback model on the list',
    'models: [sonnet, haiku]',
    { 'claude-args': '--fallback-model=haiku' },
    { claudeArgs: ['--fallback-model=haiku'] },
  ],
  [
    'a fallback model off the list',
    'models: [sonnet, haiku]',
    { 'claude-args': '--fallback-model haiku,opus' },
    {
      error: `Input 'claude-args': --fallback-model opus is not among the organisation policy's models: sonnet, haiku ${at(2)}; use one of them.`,
    },
  ],
  // allow-untrusted-pr
  [
    'untrusted PRs switched on against the policy',
    'allow-untrusted-pr: false',
    { 'allow-untrusted-pr': 'true' },
    {
      error: `Input 'allow-untrusted-pr': true is not allowed: the organisation policy sets allow-untrusted-pr: false ${at(2)}; remove it (use the fork-safe pattern in examples/ only where the policy allows it).`,
    },
  ],
  ['untrusted PRs off in both', 'allow-untrusted-pr: false', {}, { allowUntrustedPr: false }],
  [
    'untrusted PRs allowed and on',
    'allow-untrusted-pr: true',
    { 'allow-untrusted-pr': 'true' },
    { allowUntrustedPr: true },
  ],
  [
    'policy allows but repository does not opt in',
    'allow-untrusted-pr: true',
    {},
    { allowUntrustedPr: false },
  ],
  // require.fail-on-severity
  [
    'default none raised to the required severity',
    'require:\n  fail-on-severity: high',
    {},
    { failOnSeverity: 'high' },
  ],
  [
    'a stricter explicit severity stays',
    'require:\n  fail-on-severity: high',
    { 'fail-on-severity': 'medium' },
    { failOnSeverity: 'medium' },
  ],
  [
    'the same explicit severity',
    'require:\n  fail-on-severity: high',
    { 'fail-on-severity': 'high' },
    { failOnSeverity: 'high' },
  ],
  [
    'a looser explicit severity',
    'require:\n  fail-on-severity: high',
    { 'fail-on-severity': 'critical' },
    {
      error: `Input 'fail-on-severity': critical is looser than the organisation policy's require.fail-on-severity: high ${at(3)}; set it to high or a lower severity, or leave it unset.`,
    },
  ],
  [
    'an explicit none',
    'require:\n  fail-on-severity: info',
    { 'fail-on-severity': 'none' },
    {
      error: `Input 'fail-on-severity': none is looser than the organisation policy's require.fail-on-severity: info ${at(3)}; set it to info or a lower severity, or leave it unset.`,
    },
  ],
  // require.fail-on-denial
  ['fail-on-denial forced on', 'require:\n  fail-on-denial: true', {}, { failOnDenial: true }],
  [
    'fail-on-denial already on',
    'require:\n  fail-on-denial: true',
    { 'fail-on-denial': 'true' },
    { failOnDenial: true },
  ],
  [
    'fail-on-denial: false requires nothing',
    'require:\n  fail-on-denial: false',
    {},
    { failOnDenial: false },
  ],
  [
    'fail-on-denial explicitly off against the policy',
    'require:\n  fail-on-denial: true',
    { 'fail-on-denial': 'false' },
    {
      error: `Input 'fail-on-denial': false is not allowed: the organisation policy sets require.fail-on-denial: true ${at(3)}; remove it.`,
    },
  ],
  // require.audit-workflow
  ['default warn raised to fail', 'require:\n  audit-workflow: fail', {}, { auditWorkflow: 'fail' }],
  [
    'an explicit fail above warn',
    'require:\n  audit-workflow: warn',
    { 'audit-workflow': 'fail' },
    { auditWorkflow: 'fail' },
  ],
  [
    'audit explicitly off against the policy',
    'require:\n  audit-workflow: warn',
    { 'audit-workflow': 'off' },
    {
      error: `Input 'audit-workflow': off is looser than the organisation policy's require.audit-workflow: warn ${at(3)}; set it to warn or fail, or leave it unset.`,
    },
  ],
  // claude-args
  [
    'an allowed flag',
    'claude-args: [--effort]',
    { 'claude-args': '--effort high' },
    { claudeArgs: ['--effort', 'high'] },
  ],
  [
    'a flag the policy does not allow',
    'claude-args: [--effort]',
    { 'claude-args': '--effort=high --verbose' },
    {
      error: `Input 'claude-args': flag --verbose is not among the organisation policy's claude-args: --effort ${at(2)}; remove it, or ask the policy owners to add it.`,
    },
  ],
  ['an empty claude-args list and no flags', 'claude-args: []', {}, { claudeArgs: [] }],
  // nothing set
  [
    'a policy with no constraint changes nothing',
    '',
    { 'budget-usd': '50', 'max-turns': '200', 'fail-on-severity': 'none', 'allowed-tools': 'Bash(make x:*)' },
    {
      budgetUsd: 50,
      maxTurns: 200,
      failOnSeverity: 'none',
      allowedTools: ['Bash(make x:*)'],
      requireIsolation: undefined,
    },
  ],
];

describe('applyPolicy', () => {
  test.each(MERGE_TABLE)('%s', (_name, body, inputs, expected) => {
    if ('error' in expected) {
      expect(errorOf(() => merge(body, inputs)).message).toBe(expected.error);
      return;
    }
    const { effective } = merge(body, inputs);
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, effective[k as keyof Settings]]));
    expect(picked).toEqual(expected);
  });

  test('every other setting passes through unchanged, and the input object is not modified', () => {
    const { settings, explicit } = repo({ 'budget-usd': '3', prompt: 'be brief' });
    const before = structuredClone(settings);
    const { effective } = applyPolicy(
      settings,
      policy('budget-usd: 2\nrequire:\n  fail-on-denial: true'),
      new Set(),
    );
    expect(settings).toEqual(before);
    expect(effective).toEqual({ ...before, budgetUsd: 2, failOnDenial: true });
    expect(explicit.has('budget-usd')).toBe(true);
  });

  test('every key of the schema is covered by the table, both ways (allowed and refused)', () => {
    const schema = JSON.parse(readFileSync(new URL('../../policy.schema.json', import.meta.url), 'utf8')) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    const keys = Object.entries(schema.properties).flatMap(([k, v]) =>
      v.properties ? Object.keys(v.properties).map((n) => `${k}:\n  ${n}`) : [`${k}:`],
    );
    for (const key of keys.filter((k) => k !== 'version:')) {
      const rows = MERGE_TABLE.filter(([, body]) => body.includes(key));
      expect([key, rows.some(([, , , e]) => !('error' in e))]).toEqual([key, true]);
      // deny only ever adds rules: there is nothing for a repository to break.
      if (key !== 'deny:') expect([key, rows.some(([, , , e]) => 'error' in e)]).toEqual([key, true]);
    }
  });
});

describe('applyPolicy summary', () => {
  test('names the source, each governed setting, and what the policy changed', () => {
    const { summary } = merge(
      'budget-usd: 2\nmodels: [sonnet]\nminimum-isolation: strict\nrequire:\n  fail-on-severity: high',
      { 'budget-usd': '1' },
    );
    expect(summary).toContain(`Read from \`${SRC}\``);
    expect(summary).toContain('| budget-usd | at most 2 | `1` |');
    expect(summary).toContain("| model | `sonnet` | Claude Code's default |");
    expect(summary).toContain('| require-isolation | at least `strict` | `strict` |');
    expect(summary).toContain('| fail-on-severity | `high` or lower | `high` |');
    expect(summary).toContain("- model: not set, so Claude Code's default model is used");
    expect(summary).toContain("- require-isolation: raised to the policy's minimum strict (was unset).");
    expect(summary).toContain('- fail-on-severity: raised from the default none to high.');
    expect(summary).not.toContain('budget-usd: the default');
  });

  test('says when a default above a ceiling was lowered', () => {
    const { summary } = merge('budget-usd: 2\nmax-turns: 10', {});
    expect(summary).toContain("- budget-usd: the default 5 is above the policy's ceiling; 2 is used.");
    expect(summary).toContain("- max-turns: the default 30 is above the policy's ceiling; 10 is used.");
  });

  test('lists only the keys the policy sets', () => {
    const { summary } = merge('deny: [Bash(rm:*)]', {});
    expect(summary).toContain('| denied-tools | adds 1 rule(s) | 1 rule(s) |');
    expect(summary).not.toContain('budget-usd');
    expect(summary).not.toContain('\n- ');
  });
});

const invalidMessage = (text: string): string =>
  errorOf(() => parsePolicy(text, SRC)).message.replace(
    `Input 'policy': the organisation policy ${SRC} is not valid (see policy.schema.json):`,
    '',
  );

describe('parsePolicy', () => {
  test('reads every key into the typed policy, with lines', () => {
    const p = parsePolicy(readFileSync(new URL('../../examples/policy.yml', import.meta.url), 'utf8'), SRC);
    expect(p).toMatchObject({
      source: SRC,
      allowedModes: ['review', 'custom'],
      deny: ['Bash(rm:*)', 'Read(secrets/**)', 'Edit(.github/workflows/**)'],
      minimumIsolation: 'sandbox',
      budgetUsd: 10,
      maxTurns: 40,
      timeoutMinutes: 20,
      allowUntrustedPr: false,
      require: { failOnSeverity: 'high', failOnDenial: true, auditWorkflow: 'fail' },
      claudeArgs: ['--effort', '--fallback-model'],
    });
    const lines = readFileSync(new URL('../../examples/policy.yml', import.meta.url), 'utf8').split('\n');
    expect(lines[p.lines['/budget-usd'] - 1]).toBe('budget-usd: 10');
    expect(lines[p.lines['/require/fail-on-denial'] - 1]).toBe('  fail-on-denial: true');
    expect(lines[p.lines['/deny/1'] - 1]).toBe('  - Read(secrets/**)');
  });

  test('a minimal policy constrains nothing', () => {
    expect(policy('')).toEqual({
      source: SRC,
      allowedModes: undefined,
      deny: [],
      allow: undefined,
      minimumIsolation: undefined,
      budgetUsd: undefined,
      maxTurns: undefined,
      timeoutMinutes: undefined,
      models: undefined,
      allowUntrustedPr: undefined,
      require: { failOnSeverity: undefined, failOnDenial: undefined, auditWorkflow: undefined },
      claudeArgs: undefined,
      lines: { '/version': 1 },
    });
  });

  test('an unknown top-level key fails closed with its line and name', () => {
    expect(errorOf(() => parsePolicy('version: 1\nbudget-usd: 5\nbudget: 10\n', SRC)).message).toBe(
      `Input 'policy': the organisation policy ${SRC} is not valid (see policy.schema.json):\n` +
        "  line 3: unknown key 'budget'; known keys: version, allowed-modes, deny, allow, minimum-isolation, " +
        'budget-usd, max-turns, timeout-minutes, models, allow-untrusted-pr, require, claude-args',
    );
  });

  test('an unknown nested key fails closed with its line and name', () => {
    expect(invalidMessage('version: 1\nrequire:\n  fail-on-denial: true\n  fail-on-findings: true\n')).toBe(
      "\n  line 4: unknown key 'fail-on-findings' in 'require'; known keys: fail-on-severity, fail-on-denial, audit-workflow",
    );
  });

  test.each([
    ['a string for a number', 'budget-usd: "10"', "line 2: 'budget-usd' must be number"],
    ['a fraction for turns', 'max-turns: 2.5', "line 2: 'max-turns' must be integer"],
    ['a zero budget', 'budget-usd: 0', "line 2: 'budget-usd' must be > 0"],
    [
      'a timeout above the action maximum',
      'timeout-minutes: 361',
      "line 2: 'timeout-minutes' must be <= 360",
    ],
    [
      'an unknown mode',
      'allowed-modes:\n  - review\n  - deploy',
      "line 4: 'allowed-modes[1]' must be one of: review, custom, fix",
    ],
    ['an empty mode list', 'allowed-modes: []', "line 2: 'allowed-modes' must NOT have fewer than 1 items"],
    ['a list given as a string', 'deny: Bash(rm:*)', "line 2: 'deny' must be array"],
    [
      'yes is not a boolean (YAML 1.2)',
      'allow-untrusted-pr: yes',
      "line 2: 'allow-untrusted-pr' must be boolean",
    ],
    [
      'an unknown isolation level',
      'minimum-isolation: paranoid',
      "line 2: 'minimum-isolation' must be one of: strict, sandbox, rules-only",
    ],
    [
      'a severity that does not exist',
      'require:\n  fail-on-severity: severe',
      "line 3: 'require.fail-on-severity' must be one of: critical, high, medium, low, info",
    ],
    [
      'audit off cannot be required',
      'require:\n  audit-workflow: off',
      "line 3: 'require.audit-workflow' must be one of: warn, fail",
    ],
    ['require as a list', 'require: [fail-on-denial]', "line 2: 'require' must be object"],
    ['a model name with a space', 'models: ["claude sonnet"]', `line 2: 'models[0]' must match pattern`],
    ['a flag without dashes', 'claude-args: [effort]', `line 2: 'claude-args[0]' must match pattern`],
  ])('%s', (_name, body, expected) => {
    expect(invalidMessage(`version: 1\n${body}\n`)).toContain(expected);
  });

  test.each([
    ['no version', 'budget-usd: 5\n', "line 1: missing key 'version'"],
    ['another version', 'version: 2\n', "line 1: 'version' must be 1"],
    ['an empty file', '', 'line 1: the file is empty; start with version: 1'],
    ['a list, not a mapping', '- version: 1\n', "line 1: 'the policy' must be object"],
    ['a YAML syntax error', 'version: 1\ndeny: [Bash(rm:*)\n', 'line 3: Flow sequence'],
    ['a duplicate key', 'version: 1\nbudget-usd: 50\nbudget-usd: 5\n', 'line 3: Map keys must be unique'],
    ['two documents', 'version: 1\n---\nversion: 1\n', 'line 2: Source contains multiple documents'],
    ['an unknown tag', 'version: 1\nbudget-usd: !usd 5\n', 'line 2: Unresolved tag: !usd'],
  ])('%s', (_name, text, expected) => {
    expect(invalidMessage(text)).toContain(expected);
  });

  test('every problem is listed, in line order', () => {
    expect(invalidMessage('version: 1\nmax-turns: x\nextra: 1\n').split('\n').filter(Boolean)).toEqual([
      "  line 2: 'max-turns' must be integer",
      expect.stringMatching(/^ {2}line 3: unknown key 'extra'/),
    ]);
  });

  test.each([
    [
      'an allow rule as broad as Bash',
      'allow:\n  - Read\n  - Bash(*)',
      "line 4: allow[1]: allow rule 'Bash(*)' is refused",
    ],
    [
      'an allow rule re-allowing a denied command',
      'allow: [Bash(curl:*)]',
      "line 2: allow[0]: allow rule 'Bash(curl:*)' is refused",
    ],
    [
      'a malformed deny rule',
      'deny:\n  - Bash(rm:*\n',
      "line 3: deny[0]: rule 'Bash(rm:*' is not of the form",
    ],
    [
      'a deny rule for an unknown tool',
      'deny: [Shell(rm)]',
      "line 2: deny[0]: rule 'Shell(rm)' names an unknown tool 'Shell'",
    ],
    [
      'a flag claude-args refuses',
      'claude-args: [--effort, --dangerously-skip-permissions]',
      "line 2: claude-args[1]: '--dangerously-skip-permissions' is not a flag claude-args accepts",
    ],
  ])('%s', (_name, body, expected) => {
    expect(invalidMessage(`version: 1\n${body}\n`)).toContain(expected);
  });
});

describe('policy.schema.json agrees with the code', () => {
  const schema = JSON.parse(readFileSync(new URL('../../policy.schema.json', import.meta.url), 'utf8')) as {
    $schema: string;
    properties: Record<
      string,
      { enum?: string[]; items?: { enum?: string[] }; properties?: Record<string, { enum?: string[] }> }
    >;
  };

  test('is draft-07', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  test('severities, isolation levels and modes are the action’s own', () => {
    expect(schema.properties.require.properties?.['fail-on-severity'].enum?.sort()).toEqual(
      [...SEVERITIES].sort(),
    );
    expect(schema.properties['minimum-isolation'].enum).toEqual(['strict', 'sandbox', 'rules-only']);
    expect(schema.properties['allowed-modes'].items?.enum).toEqual(
      expect.arrayContaining(['review', 'custom']),
    );
  });

  test('every flag claude-args accepts can be listed', () => {
    const body = `claude-args: [${Object.keys(ALLOWED_FLAGS).join(', ')}]`;
    expect(policy(body).claudeArgs).toEqual(Object.keys(ALLOWED_FLAGS));
  });
});

describe('parsePolicy: a YAML alias bomb', () => {
  test('is refused with an error naming the policy input, not a bare parser exception', () => {
    const level = (i: number) => String.fromCharCode(97 + i);
    let text = 'version: 1\nx-a: &a ["x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 10; i++)
      text += `x-${level(i)}: &${level(i)} [${Array(9)
        .fill(`*${level(i - 1)}`)
        .join(',')}]\n`;
    expect(() => parsePolicy(text, 'policy.yml')).toThrow(
      /^Input 'policy': .*line 1: .*resource exhaustion/s,
    );
  });
});
