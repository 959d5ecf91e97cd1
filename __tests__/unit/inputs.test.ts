import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { INPUT_NAMES, InputError, readSettings } from '../../src/inputs.js';
import { ALLOWED_FLAGS, MAPPED_FLAGS } from '../../src/policy/claude-args.js';
import type { Settings } from '../../src/inputs.js';

const REQUIRED = { 'anthropic-api-key': 'sk-ant-api03-test', 'github-token': 'ghs_test' };

/** getInput over a plain record, with core.getInput semantics ('' when unset). */
function read(inputs: Record<string, string>): Settings {
  const all: Record<string, string> = { ...REQUIRED, ...inputs };
  return readSettings((name) => all[name] ?? '');
}

function errorOf(inputs: Record<string, string>): InputError {
  try {
    read(inputs);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('INPUT_NAMES', () => {
  test('equals the inputs declared in action.yml, in order', () => {
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    expect(Object.keys(action.inputs)).toEqual([...INPUT_NAMES]);
  });

  test('the claude-args description lists exactly the accepted and the mapped flags', () => {
    const action = parse(readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')) as {
      inputs: Record<string, { description: string }>;
    };
    const listed = action.inputs['claude-args'].description.match(/`--[a-z-]+`/g)?.map((f) => f.slice(1, -1));
    const mapped = Object.keys(MAPPED_FLAGS).filter((f) => /^--[a-z-]+$/.test(f));
    expect([...new Set(listed)].sort()).toEqual([...Object.keys(ALLOWED_FLAGS), ...mapped].sort());
  });

  test('readSettings reads only declared names', () => {
    const asked: string[] = [];
    readSettings((name) => {
      asked.push(name);
      return (REQUIRED as Record<string, string>)[name] ?? '';
    });
    expect([...new Set(asked)].sort()).toEqual([...INPUT_NAMES].sort());
  });
});

describe('defaults', () => {
  test('only the required inputs set', () => {
    expect(read({})).toEqual({
      anthropicApiKey: 'sk-ant-api03-test',
      claudeCodeOauthToken: '',
      provider: { provider: 'anthropic', auth: 'api-key', endpoint: 'https://api.anthropic.com' },
      githubToken: 'ghs_test',
      mode: 'review',
      prompt: '',
      model: undefined,
      maxTurns: 30,
      timeoutMinutes: 15,
      allowedTools: [],
      deniedTools: [],
      diffRange: '',
      triggerPhrase: '@claude-guard',
      triggerLabel: '',
      reviewScope: 'incremental',
      claudeArgs: [],
      claudePath: undefined,
      anthropicBaseUrl: 'https://api.anthropic.com',
      comment: true,
      failOnSeverity: 'none',
      budgetUsd: 5,
      isolation: 'auto',
      requireIsolation: undefined,
      claudeVersion: '2.1.332',
      includePrDescription: true,
      maxComments: 25,
      allowUntrustedPr: false,
      allowedBots: [],
      auditWorkflow: 'warn',
      failOnDenial: false,
      policy: '',
      fixDelivery: 'suggestions',
      onRefused: 'skip',
      excludePaths: [],
      guidanceFiles: [],
    });
  });
});

describe('accepted values', () => {
  test.each<[Record<string, string>, Partial<Settings>]>([
    [{ 'anthropic-api-key': '  sk-ant-x  ' }, { anthropicApiKey: 'sk-ant-x' }],
    [{ 'claude-version': '2.0.1' }, { claudeVersion: '2.0.1' }],
    [{ 'on-refused': 'fail' }, { onRefused: 'fail' }],
    [{ 'exclude-paths': 'dist/**\n  **/*.gen.ts \n' }, { excludePaths: ['dist/**', '**/*.gen.ts'] }],
    [
      { 'guidance-files': 'CLAUDE.md, REVIEW.md\ndocs/review.md' },
      { guidanceFiles: ['CLAUDE.md', 'REVIEW.md', 'docs/review.md'] },
    ],
    [{ 'claude-version': 'v2.0.1-beta.1' }, { claudeVersion: '2.0.1-beta.1' }],
    [{ 'include-pr-description': 'false' }, { includePrDescription: false }],
    [{ 'max-comments': '0' }, { maxComments: 0 }],
    [{ 'max-comments': '100' }, { maxComments: 100 }],
    [{ 'allow-untrusted-pr': 'true' }, { allowUntrustedPr: true }],
    [
      { 'allowed-bots': 'dependabot[bot], Renovate[bot]\nmy-app[bot]' },
      { allowedBots: ['dependabot[bot]', 'renovate[bot]', 'my-app[bot]'] },
    ],
    [{ 'audit-workflow': 'fail' }, { auditWorkflow: 'fail' }],
    [{ 'audit-workflow': 'off' }, { auditWorkflow: 'off' }],
    [{ 'fail-on-denial': 'true' }, { failOnDenial: true }],
    [{ mode: 'fix' }, { mode: 'fix' }],
    [{ 'fix-delivery': 'push' }, { fixDelivery: 'push' }],
    [
      { policy: 'acme/.github/claude-guard.yml@0123456789012345678901234567890123456789' },
      { policy: 'acme/.github/claude-guard.yml@0123456789012345678901234567890123456789' },
    ],
    [
      { mode: 'custom', prompt: 'Fix the typo' },
      { mode: 'custom', prompt: 'Fix the typo' },
    ],
    [
      { mode: 'review', prompt: 'Focus on SQL' },
      { mode: 'review', prompt: 'Focus on SQL' },
    ],
    [{ model: 'claude-sonnet-4-5' }, { model: 'claude-sonnet-4-5' }],
    [
      { model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' },
      { model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' },
    ],
    [{ model: 'sonnet[1m]' }, { model: 'sonnet[1m]' }],
    [{ 'max-turns': '1' }, { maxTurns: 1 }],
    [{ 'max-turns': '500' }, { maxTurns: 500 }],
    [{ 'timeout-minutes': '0.5' }, { timeoutMinutes: 0.5 }],
    [{ 'timeout-minutes': '360' }, { timeoutMinutes: 360 }],
    [{ 'budget-usd': '0.25' }, { budgetUsd: 0.25 }],
    [{ 'budget-usd': '100' }, { budgetUsd: 100 }],
    [{ comment: 'true' }, { comment: true }],
    [{ comment: 'True' }, { comment: true }],
    [{ comment: 'TRUE' }, { comment: true }],
    [{ comment: 'false' }, { comment: false }],
    [{ comment: 'False' }, { comment: false }],
    [{ comment: 'FALSE' }, { comment: false }],
    [{ 'fail-on-severity': 'none' }, { failOnSeverity: 'none' }],
    [{ 'fail-on-severity': 'info' }, { failOnSeverity: 'info' }],
    [{ 'fail-on-severity': 'low' }, { failOnSeverity: 'low' }],
    [{ 'fail-on-severity': 'medium' }, { failOnSeverity: 'medium' }],
    [{ 'fail-on-severity': 'high' }, { failOnSeverity: 'high' }],
    [{ 'fail-on-severity': 'critical' }, { failOnSeverity: 'critical' }],
    [{ isolation: 'strict' }, { isolation: 'strict' }],
    [{ isolation: 'sandbox' }, { isolation: 'sandbox' }],
    [{ isolation: 'rules-only' }, { isolation: 'rules-only' }],
    [{ 'require-isolation': 'strict' }, { requireIsolation: 'strict' }],
    [{ isolation: 'strict', 'require-isolation': 'sandbox' }, { requireIsolation: 'sandbox' }],
    [{ isolation: 'sandbox', 'require-isolation': 'rules-only' }, { requireIsolation: 'rules-only' }],
    [
      { 'anthropic-base-url': 'https://gw.example.com/anthropic/' },
      { anthropicBaseUrl: 'https://gw.example.com/anthropic' },
    ],
    [{ 'anthropic-base-url': 'http://127.0.0.1:8080' }, { anthropicBaseUrl: 'http://127.0.0.1:8080' }],
    [{ 'anthropic-base-url': 'https://API.example.com//' }, { anthropicBaseUrl: 'https://api.example.com' }],
    [
      { 'allowed-tools': 'Bash(make test:*)\n\n  Read(docs/**)  \r\n' },
      { allowedTools: ['Bash(make test:*)', 'Read(docs/**)'] },
    ],
    [{ 'denied-tools': 'Bash(rm:*)\nRead(secrets/**)' }, { deniedTools: ['Bash(rm:*)', 'Read(secrets/**)'] }],
    [{ mode: 'custom', prompt: 'x', 'allowed-tools': 'Edit(src/**)' }, { allowedTools: ['Edit(src/**)'] }],
    [
      { 'claude-args': `--effort high --append-system-prompt 'Be brief.'` },
      { claudeArgs: ['--effort', 'high', '--append-system-prompt', 'Be brief.'] },
    ],
    [{ 'claude-path': '/opt/claude/bin/claude' }, { claudePath: '/opt/claude/bin/claude' }],
    [{ 'review-scope': 'full' }, { reviewScope: 'full' }],
  ])('%j', (inputs, expected) => {
    expect(read(inputs)).toMatchObject(expected);
  });
});

describe('refused values', () => {
  test.each<[Record<string, string>, string, RegExp]>([
    [{ 'anthropic-api-key': '' }, 'anthropic-api-key', /required/],
    [{ 'claude-version': 'latest' }, 'claude-version', /not an exact version/],
    [{ 'on-refused': 'ignore' }, 'on-refused', /skip, fail/],
    [{ 'review-scope': 'partial' }, 'review-scope', /incremental, full/],
    [{ 'exclude-paths': '!src/**' }, 'exclude-paths', /without '!'/],
    [{ 'exclude-paths': '/etc/**' }, 'exclude-paths', /repository-relative/],
    [{ 'guidance-files': '../secrets.md' }, 'guidance-files', /no '\.\.'/],
    [{ 'guidance-files': 'docs/*.md' }, 'guidance-files', /no globs/],
    [{ 'guidance-files': '/etc/passwd' }, 'guidance-files', /repository-relative/],
    [{ 'claude-version': '^2.1.0' }, 'claude-version', /not an exact version/],
    [{ 'include-pr-description': 'yes' }, 'include-pr-description', /true or false|'yes'/],
    [{ 'max-comments': '101' }, 'max-comments', /100/],
    [{ 'max-comments': '-1' }, 'max-comments', /whole number/],
    [{ 'allowed-bots': '*' }, 'allowed-bots', /wildcards are not accepted/],
    [{ 'allowed-bots': 'evil bot' }, 'allowed-bots', /not a GitHub login/],
    [{ 'audit-workflow': 'strict' }, 'audit-workflow', /warn, fail, off/],
    [{ 'fix-delivery': 'commit' }, 'fix-delivery', /suggestions, patch, push/],
    [{ 'fail-on-denial': '1' }, 'fail-on-denial', /true or false|'1'/],
    [{ 'anthropic-api-key': 'sk-ant a' }, 'anthropic-api-key', /whitespace/],
    [{ 'anthropic-api-key': 'sk-ant\nb' }, 'anthropic-api-key', /whitespace/],
    [{ 'github-token': '' }, 'github-token', /required/],
    [{ mode: 'Review' }, 'mode', /review, custom/],
    [{ mode: 'agent' }, 'mode', /review, custom/],
    [{ mode: 'custom' }, 'prompt', /required in custom mode/],
    [{ model: '--dangerously-skip-permissions' }, 'model', /model name/],
    [{ model: 'sonnet opus' }, 'model', /model name/],
    [{ 'max-turns': '0' }, 'max-turns', /whole number from 1 to 500/],
    [{ 'max-turns': '501' }, 'max-turns', /1 to 500/],
    [{ 'max-turns': '30abc' }, 'max-turns', /1 to 500/],
    [{ 'max-turns': '2.5' }, 'max-turns', /whole number/],
    [{ 'max-turns': '-3' }, 'max-turns', /whole number/],
    [{ 'max-turns': '1e2' }, 'max-turns', /whole number/],
    [{ 'max-turns': '0x10' }, 'max-turns', /whole number/],
    [{ 'timeout-minutes': '0' }, 'timeout-minutes', /above 0 and at most 360/],
    [{ 'timeout-minutes': '361' }, 'timeout-minutes', /at most 360/],
    [{ 'timeout-minutes': '15m' }, 'timeout-minutes', /number/],
    [{ 'timeout-minutes': 'Infinity' }, 'timeout-minutes', /number/],
    [{ 'budget-usd': '0' }, 'budget-usd', /above 0/],
    [{ 'budget-usd': '$5' }, 'budget-usd', /number/],
    [{ 'budget-usd': '5.' }, 'budget-usd', /number/],
    [{ 'budget-usd': '.5' }, 'budget-usd', /number/],
    [{ comment: 'yes' }, 'comment', /true or false/],
    [{ comment: 'tRue' }, 'comment', /true or false/],
    [{ comment: '1' }, 'comment', /true or false/],
    [{ 'fail-on-severity': 'High' }, 'fail-on-severity', /none, critical, high, medium, low, info/],
    [{ 'fail-on-severity': 'warning' }, 'fail-on-severity', /one of/],
    [{ isolation: 'none' }, 'isolation', /auto, strict, sandbox, rules-only/],
    [{ 'require-isolation': 'auto' }, 'require-isolation', /strict, sandbox, rules-only/],
    [{ isolation: 'rules-only', 'require-isolation': 'sandbox' }, 'require-isolation', /never be met/],
    [{ isolation: 'sandbox', 'require-isolation': 'strict' }, 'require-isolation', /never be met/],
    [{ 'anthropic-base-url': 'api.anthropic.com' }, 'anthropic-base-url', /valid URL/],
    [{ 'anthropic-base-url': 'ftp://api.anthropic.com' }, 'anthropic-base-url', /http:\/\/ or https:\/\//],
    [{ 'anthropic-base-url': 'file:///etc/passwd' }, 'anthropic-base-url', /scheme/],
    [{ 'anthropic-base-url': 'https://user:pw@gw.example.com' }, 'anthropic-base-url', /credentials/],
    [{ 'anthropic-base-url': 'https://user@gw.example.com' }, 'anthropic-base-url', /credentials/],
    [{ 'anthropic-base-url': 'https://gw.example.com/?key=x' }, 'anthropic-base-url', /query/],
    [{ 'anthropic-base-url': 'https://gw.example.com/?' }, 'anthropic-base-url', /query/],
    [{ 'anthropic-base-url': 'https://gw.example.com/#x' }, 'anthropic-base-url', /fragment/],
    [{ 'allowed-tools': 'Read\nBash(*)' }, 'allowed-tools', /Bash\(\*\)/],
    [{ 'allowed-tools': 'Edit(**)' }, 'allowed-tools', /review mode/],
    [{ 'allowed-tools': 'Bash(curl:*)' }, 'allowed-tools', /curl/],
    [{ 'denied-tools': 'Nope(x)' }, 'denied-tools', /unknown tool/],
    [{ 'claude-args': '--dangerously-skip-permissions' }, 'claude-args', /permission check/],
    [{ 'claude-args': `--append-system-prompt 'open` }, 'claude-args', /unterminated/],
    [{ 'claude-path': 'node_modules/.bin/claude' }, 'claude-path', /absolute path/],
  ])('%j → %s', (inputs, input, why) => {
    const err = errorOf(inputs);
    expect(err.input).toBe(input);
    expect(err.message).toMatch(why);
    expect(err.message).toContain(`'${input}'`);
  });

  test('errors about the key never contain it', () => {
    const err = errorOf({ 'anthropic-api-key': 'sk-ant-SECRETVALUE with-space' });
    expect(err.message).not.toContain('SECRETVALUE');
  });
});

describe('trigger-phrase and trigger-label', () => {
  test.each([
    [{ 'trigger-phrase': '@review-bot' }, { triggerPhrase: '@review-bot' }],
    [{ 'trigger-label': 'ai review' }, { triggerLabel: 'ai review' }],
  ])('%j is read', (inputs, expected) => {
    expect(read(inputs)).toMatchObject(expected);
  });

  test.each([
    [{ 'trigger-phrase': '@two words' }, 'trigger-phrase'],
    [{ 'trigger-phrase': '.*' }, 'trigger-phrase'],
    [{ 'trigger-label': 'a,b' }, 'trigger-label'],
    [{ 'trigger-label': 'x'.repeat(51) }, 'trigger-label'],
  ])('%j is refused, naming the input', (inputs, name) => {
    expect(errorOf(inputs).message).toContain(name);
  });
});
