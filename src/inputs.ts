/**
 * Every action input, parsed and validated into one typed Settings object (its type: settings.ts). A
 * bad value throws an InputError that names the input and says what is accepted. Input names are a
 * contract: INPUT_NAMES must match action.yml. Pure: reads through a GetInput function, never calls
 * @actions/core (the caller masks secrets).
 *
 * Defends X7 (user rules and CLI arguments that would loosen the policy are refused here, before any
 * run), X6 (turn, time and budget limits are bounded numbers) and the key proxy's upstream (an
 * anthropic-base-url with credentials, a query or a non-HTTP scheme is refused).
 */
import { parseRange } from './diff-source.js';
import { REVIEW_SCOPES } from './review-scope.js';
import { SEVERITIES } from './findings/schema.js';
import { mapClaudeArgs, tokenizeArgs } from './policy/claude-args.js';
import { validateUserRule } from './policy/permissions.js';
import { PINNED_CLAUDE_VERSION } from './install/pinned.js';
import { checkHttpUrl, InputError, ISOLATION_LEVELS, MODES, type IsolationLevel } from './core.js';
import { checkModel, readProviderSettings, type Env } from './providers/provider.js';
import { DEFAULT_TRIGGER_PHRASE, validTriggerPhrase } from './triggers/comment-command.js';
import type { Settings } from './settings.js';

export { InputError, type IsolationLevel, type Mode } from './core.js';
export type { Settings } from './settings.js';

/** Defaults of the inputs an organisation policy can cap, as action.yml declares them. */
export const INPUT_DEFAULTS: Readonly<Partial<Record<string, string>>> = {
  mode: 'review',
  'max-turns': '30',
  'timeout-minutes': '15',
  'budget-usd': '5',
  'fail-on-severity': 'none',
  isolation: 'auto',
  'require-isolation': '',
  'allow-untrusted-pr': 'false',
  'audit-workflow': 'warn',
  'fail-on-denial': 'false',
  model: '',
  'allowed-tools': '',
  'claude-args': '',
};

/**
 * The inputs the workflow set to something other than the default. A policy refuses an explicit
 * input that would loosen it, and quietly caps a default (the runner fills action.yml defaults in,
 * so "set to the default value" and "not set" look the same; both are within the policy once capped).
 */
export function explicitInputs(getInput: GetInput): Set<string> {
  return new Set(
    INPUT_NAMES.filter((n) => getInput(n).trim() !== '' && getInput(n).trim() !== (INPUT_DEFAULTS[n] ?? '')),
  );
}

/** Reads one raw input (core.getInput semantics: trimmed, '' when unset). */
export type GetInput = (name: string) => string;

export const INPUT_NAMES = [
  'anthropic-api-key',
  'github-token',
  'mode',
  'prompt',
  'model',
  'max-turns',
  'timeout-minutes',
  'allowed-tools',
  'denied-tools',
  'claude-args',
  'claude-path',
  'anthropic-base-url',
  'provider',
  'claude-code-oauth-token',
  'aws-region',
  'vertex-region',
  'vertex-project-id',
  'foundry-resource',
  'comment',
  'fail-on-severity',
  'budget-usd',
  'isolation',
  'require-isolation',
  'claude-version',
  'include-pr-description',
  'max-comments',
  'allow-untrusted-pr',
  'allowed-bots',
  'audit-workflow',
  'policy',
  'fix-delivery',
  'fail-on-denial',
  'on-refused',
  'exclude-paths',
  'guidance-files',
  'diff-range',
  'review-scope',
  'trigger-phrase',
  'trigger-label',
] as const;

export type InputName = (typeof INPUT_NAMES)[number];

const DEFAULT_BASE_URL = 'https://api.anthropic.com';

function choice<T extends string>(name: InputName, raw: string, choices: readonly T[], fallback: T): T {
  if (raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new InputError(name, `'${raw}' is not accepted; use one of: ${choices.join(', ')}.`);
}

/** YAML 1.2 core booleans, as core.getBooleanInput accepts them. */
function boolean(name: InputName, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(raw)) return true;
  if (['false', 'False', 'FALSE'].includes(raw)) return false;
  throw new InputError(name, `'${raw}' is not a boolean; use true or false.`);
}

/** A decimal number written plainly (no sign, exponent, hex or trailing text) within (min, max]. */
function number(
  name: InputName,
  raw: string,
  fallback: number,
  opts: { integer: boolean; min: number; max: number },
): number {
  if (raw === '') return fallback;
  const what = opts.integer
    ? `a whole number from ${opts.min} to ${opts.max}`
    : `a number above ${opts.min} and at most ${opts.max}`;
  const pattern = opts.integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  const inRange = opts.integer
    ? value >= opts.min && value <= opts.max
    : value > opts.min && value <= opts.max;
  if (!pattern.test(raw) || !inRange) throw new InputError(name, `'${raw}' is not accepted; use ${what}.`);
  return value;
}

/** The `claude-version` input: '' → the pinned version; otherwise an exact version, not a range or tag. */
export function resolveClaudeVersion(raw: string): string {
  const version = raw.trim().replace(/^v/, '');
  if (version === '') return PINNED_CLAUDE_VERSION;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new InputError(
      'claude-version',
      `'${raw}' is not an exact version; use one like ${PINNED_CLAUDE_VERSION}.`,
    );
  }
  return version;
}

/** GitHub logins (bots end in [bot]), one per line or comma-separated. No wildcards: each bot is a trust decision. */
function botLogins(raw: string): string[] {
  const logins = raw
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  for (const login of logins) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(login)) {
      throw new InputError(
        'allowed-bots',
        `'${login}' is not a GitHub login such as dependabot[bot] (wildcards are not accepted).`,
      );
    }
  }
  return logins.map((l) => l.toLowerCase());
}

function lines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function baseUrl(raw: string): string {
  const name = 'anthropic-base-url';
  if (raw === '') return DEFAULT_BASE_URL;
  const { url, problem } = checkHttpUrl(raw);
  if (problem !== undefined) {
    const hint = problem.startsWith('must not contain credentials')
      ? '; the key goes in anthropic-api-key'
      : problem === 'is not a valid URL'
        ? '; use e.g. https://api.anthropic.com'
        : '';
    throw new InputError(name, `${problem}${hint}.`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** A required token: non-empty, one line, no spaces (it goes into an HTTP header). */
function secret(name: InputName, raw: string, what: string): string {
  if (raw === '') throw new InputError(name, `is required; ${what}.`);
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) {
    throw new InputError(
      name,
      'contains whitespace or a control character; paste the value without spaces or newlines.',
    );
  }
  return raw;
}

function optionalModel(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]*$/.test(raw) || raw.length > 200) {
    throw new InputError(
      'model',
      `'${raw}' is not a model name; use e.g. claude-sonnet-4-5 or an alias like sonnet.`,
    );
  }
  return raw;
}

function optionalClaudePath(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!raw.startsWith('/') || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw new InputError(
      'claude-path',
      `'${raw}' is not accepted; use an absolute path to the claude binary.`,
    );
  }
  return raw;
}

function optionalRequiredLevel(raw: string, isolation: Settings['isolation']): IsolationLevel | undefined {
  if (raw === '') return undefined;
  const level = choice('require-isolation', raw, ISOLATION_LEVELS, 'strict');
  const strength = (l: IsolationLevel): number => ISOLATION_LEVELS.length - ISOLATION_LEVELS.indexOf(l);
  if (isolation !== 'auto' && strength(isolation) < strength(level)) {
    throw new InputError(
      'require-isolation',
      `'${level}' can never be met with isolation: ${isolation}; raise isolation or set isolation: auto.`,
    );
  }
  return level;
}

/** Globs, one per line: repository-relative, no negation (a second list would only confuse what is reviewed). */
function excludeGlobs(raw: string): string[] {
  return lines(raw).map((glob) => {
    if (
      /[\u0000-\u001f\u007f]/.test(glob) ||
      glob.startsWith('!') ||
      glob.startsWith('/') ||
      glob.length > 500
    ) {
      throw new InputError(
        'exclude-paths',
        `'${glob}' is not accepted; write one repository-relative glob per line (e.g. dist/** or **/*.generated.ts), without '!' or a leading '/'.`,
      );
    }
    return glob;
  });
}

/** Repository-relative paths of guidance files, one per line or comma-separated; no '..', no absolute path. */
function guidancePaths(raw: string): string[] {
  const paths = raw
    .split(/[\n,]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of paths) {
    if (
      /[\u0000-\u001f\u007f*?[\]]/.test(p) ||
      p.startsWith('/') ||
      p.startsWith('-') ||
      p.split('/').some((seg) => seg === '..' || seg === '.' || seg === '') ||
      p.length > 300
    ) {
      throw new InputError(
        'guidance-files',
        `'${p}' is not accepted; name repository-relative files such as CLAUDE.md or docs/REVIEW.md (no globs, no '..').`,
      );
    }
  }
  if (paths.length > 20) throw new InputError('guidance-files', 'names more than 20 files.');
  return [...new Set(paths)];
}

/** Run a check on a value that came from a claude-args flag; its error names the flag and the input. */
function viaFlag<T>(input: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    throw new InputError('claude-args', `a flag mapped to '${input}' is refused: ${err.message}`);
  }
}

/** An optional token: '' or one line without spaces (it goes into an HTTP header). */
function optionalSecret(name: InputName, raw: string): string {
  return raw === '' ? '' : secret(name, raw, '');
}

/**
 * Parse and validate every input. Throws InputError naming the first bad input. `env` is the job's
 * environment, read only for provider defaults (AWS_REGION, CLOUD_ML_REGION, GOOGLE_CLOUD_PROJECT).
 */
export function readSettings(getInput: GetInput, env: Env = {}): Settings {
  const get = (name: InputName): string => getInput(name).trim();
  const mode = choice('mode', get('mode'), MODES, 'review');
  // claude-code-action's flags in claude-args become our inputs, through the same validation.
  const cli = mapClaudeArgs(tokenizeArgs(get('claude-args')));
  const fromCli = <T>(name: 'model' | 'max-turns', parse: (raw: string) => T): T => {
    const flag = cli.inputs[name];
    if (!flag) return parse(get(name));
    const value = flag[flag.length - 1];
    if (get(name) !== '' && get(name) !== INPUT_DEFAULTS[name] && get(name) !== value) {
      throw new InputError(
        'claude-args',
        `--${name} ${value} conflicts with the ${name} input (${get(name)}); set one.`,
      );
    }
    return viaFlag(name, () => parse(value));
  };
  const rules = (name: 'allowed-tools' | 'denied-tools', kind: 'allow' | 'deny'): string[] => [
    ...lines(get(name)).map((rule) => validateUserRule(rule, kind, mode)),
    ...viaFlag(name, () => (cli.inputs[name] ?? []).map((rule) => validateUserRule(rule, kind, mode))),
  ];
  const prompt = [get('prompt'), ...(cli.inputs.prompt ?? [])].filter((p) => p.trim() !== '').join('\n\n');
  if (mode === 'custom' && prompt === '') {
    throw new InputError('prompt', 'is required in custom mode: it is the task for the agent.');
  }
  const isolation = choice('isolation', get('isolation'), ['auto', ...ISOLATION_LEVELS], 'auto');
  const anthropicApiKey = optionalSecret('anthropic-api-key', get('anthropic-api-key'));
  const claudeCodeOauthToken = optionalSecret('claude-code-oauth-token', get('claude-code-oauth-token'));
  const anthropicBaseUrl = baseUrl(get('anthropic-base-url'));
  const provider = readProviderSettings(getInput, env, anthropicBaseUrl, anthropicApiKey !== '');
  return {
    anthropicApiKey,
    claudeCodeOauthToken,
    provider,
    githubToken: secret('github-token', get('github-token'), 'leave it unset for the job token'),
    mode,
    prompt,
    model: checkModel(provider.provider, fromCli('model', optionalModel)),
    maxTurns: fromCli('max-turns', (raw) =>
      number('max-turns', raw, 30, { integer: true, min: 1, max: 500 }),
    ),
    timeoutMinutes: number('timeout-minutes', get('timeout-minutes'), 15, {
      integer: false,
      min: 0,
      max: 360,
    }),
    allowedTools: rules('allowed-tools', 'allow'),
    deniedTools: rules('denied-tools', 'deny'),
    claudeArgs: cli.passthrough,
    claudePath: optionalClaudePath(get('claude-path')),
    anthropicBaseUrl,
    comment: boolean('comment', get('comment'), true),
    failOnSeverity: choice('fail-on-severity', get('fail-on-severity'), ['none', ...SEVERITIES], 'none'),
    budgetUsd: number('budget-usd', get('budget-usd'), 5, { integer: false, min: 0, max: 10000 }),
    isolation,
    requireIsolation: optionalRequiredLevel(get('require-isolation'), isolation),
    claudeVersion: resolveClaudeVersion(get('claude-version')),
    includePrDescription: boolean('include-pr-description', get('include-pr-description'), true),
    maxComments: number('max-comments', get('max-comments'), 25, { integer: true, min: 0, max: 100 }),
    allowUntrustedPr: boolean('allow-untrusted-pr', get('allow-untrusted-pr'), false),
    allowedBots: botLogins(get('allowed-bots')),
    auditWorkflow: choice('audit-workflow', get('audit-workflow'), ['warn', 'fail', 'off'], 'warn'),
    failOnDenial: boolean('fail-on-denial', get('fail-on-denial'), false),
    policy: get('policy'),
    fixDelivery: choice('fix-delivery', get('fix-delivery'), ['suggestions', 'patch', 'push'], 'suggestions'),
    onRefused: choice('on-refused', get('on-refused'), ['skip', 'fail'], 'skip'),
    excludePaths: excludeGlobs(get('exclude-paths')),
    guidanceFiles: guidancePaths(get('guidance-files')),
    diffRange: diffRange(get('diff-range')),
    triggerPhrase: triggerPhrase(get('trigger-phrase')),
    triggerLabel: triggerLabel(get('trigger-label')),
    reviewScope: choice('review-scope', get('review-scope'), REVIEW_SCOPES, 'incremental'),
  };
}

function triggerPhrase(raw: string): string {
  const value = raw || DEFAULT_TRIGGER_PHRASE;
  if (!validTriggerPhrase(value))
    throw new InputError(
      'trigger-phrase',
      `'${value}' is not one word-like token such as @claude-guard (letters, digits, '.', '_', '-'; at most 40 characters).`,
    );
  return value;
}

function triggerLabel(raw: string): string {
  if (raw.length > 50 || /[\r\n,]/.test(raw))
    throw new InputError(
      'trigger-label',
      'must be one label name (at most 50 characters, no commas or newlines).',
    );
  return raw;
}

function diffRange(raw: string): string {
  const value = raw.trim();
  if (value && !parseRange(value))
    throw new InputError(
      'diff-range',
      `'${value}' is not a range of two git revisions (BASE...HEAD or BASE..HEAD, e.g. origin/main...HEAD).`,
    );
  return value;
}
