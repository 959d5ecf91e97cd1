/**
 * The agent's environment, built from an allow-list of names, never copied from process.env.
 *
 * Decides which variables of the action's environment reach the Claude Code process (and so every
 * command it runs), and sets the ones the agent needs: a private HOME, config dir and TMPDIR, the key
 * proxy's URL and per-run token, and switches that stop non-essential traffic and bound retries.
 *
 * Defends S1 (tokens in the agent's environment: GITHUB_TOKEN, ACTIONS_*, INPUT_*, cloud and registry
 * credentials), S5/S6 (ACTIONS_ID_TOKEN_REQUEST_*, ACTIONS_RUNTIME_TOKEN), S7/S8 (the runner file-command
 * and RUNNER_TEMP paths), X1 (proxy variables), X4 (NODE_OPTIONS, LD_*, BASH_ENV that load code) and S10
 * (transcripts kept out of the runner's HOME). `withheld` reports names only, never values.
 */

/** Names passed through when present (and not a credential by value). */
export const ENV_ALLOW_LIST: readonly string[] = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TZ',
  'CI',
  'GITHUB_ACTIONS',
  'GITHUB_REPOSITORY',
  'GITHUB_REPOSITORY_OWNER',
  'GITHUB_SHA',
  'GITHUB_REF',
  'GITHUB_REF_NAME',
  'GITHUB_REF_TYPE',
  'GITHUB_BASE_REF',
  'GITHUB_HEAD_REF',
  'GITHUB_EVENT_NAME',
  'GITHUB_SERVER_URL',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_NUMBER',
  'GITHUB_RUN_ATTEMPT',
  'GITHUB_JOB',
  'GITHUB_WORKFLOW',
  'RUNNER_OS',
  'RUNNER_ARCH',
];

/** Prefixes of names passed through (locale). */
export const ENV_ALLOW_PREFIXES: readonly string[] = ['LC_'];

/** Names that are never passed, even if a later edit adds them to the allow-list. */
const NEVER_PASSED = new Set([
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_EVENT_PATH',
  'GITHUB_WORKSPACE',
  'RUNNER_TEMP',
  'RUNNER_TOOL_CACHE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'NODE_OPTIONS',
  'BASH_ENV',
  'ENV',
  'PROMPT_COMMAND',
]);

/** Credential by name: exact names and patterns (case-insensitive). */
const CREDENTIAL_NAME_PATTERNS: readonly RegExp[] = [
  /^(GITHUB_TOKEN|GH_TOKEN|GH_ENTERPRISE_TOKEN)$/i,
  /^ACTIONS_/i,
  /^INPUT_/i,
  /^(AWS|AZURE|ARM|GOOGLE|GCP|CLOUDSDK|NPM|YARN|PYPI|TWINE|DOCKER|VAULT|ANTHROPIC|OPENAI|CLAUDE)_/i,
  /TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT/i,
  /^(LD_|DYLD_)/i,
];

/** Credential by value: well-known token shapes. */
const CREDENTIAL_VALUE_PATTERNS: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/,
  /\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{20,}/,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/,
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/,
  /\bnpm_[A-Za-z0-9]{30,}/,
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** True when a variable is a credential by its name or by the shape of its value. */
export function looksLikeCredential(name: string, value: string): boolean {
  return (
    CREDENTIAL_NAME_PATTERNS.some((p) => p.test(name)) || CREDENTIAL_VALUE_PATTERNS.some((p) => p.test(value))
  );
}

/** An input whose name says it holds a credential (`anthropic-api-key`, `github-token`, a provider's key). */
const SECRET_INPUT_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|CERT/i;

/**
 * Whether a variable's value is a secret to redact from everything the action emits (issue 10 item 1).
 * Inputs (INPUT_*) count only when their name declares a credential or their value has a credential's
 * shape: the runner sets every input's default, so counting them all redacted `suggestions`, the default
 * base URL, the workflow's prompt and paths in error messages. Every other withheld variable counts when
 * its name or value looks like a credential.
 */
export function isRedactionTarget(name: string, value: string): boolean {
  if (/^INPUT_/i.test(name)) {
    return (
      SECRET_INPUT_NAME.test(name.slice('INPUT_'.length)) ||
      CREDENTIAL_VALUE_PATTERNS.some((p) => p.test(value))
    );
  }
  return looksLikeCredential(name, value);
}

function isAllowedName(name: string): boolean {
  return ENV_ALLOW_LIST.includes(name) || ENV_ALLOW_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * PATH without empty or relative entries, and without entries inside the workspace: both resolve to files
 * the PR controls (a `node_modules/.bin/git` in the PR would otherwise run for the agent's `git diff`).
 */
export function sanitizePath(path: string, workspace?: string): string {
  const root = workspace?.replace(/\/+$/, '');
  return path
    .split(':')
    .filter((entry) => entry.startsWith('/'))
    .filter((entry) => !root || (entry !== root && !entry.startsWith(`${root}/`)))
    .join(':');
}

export interface ChildEnvOptions {
  /** The agent's private HOME. */
  home: string;
  /** CLAUDE_CONFIG_DIR: where the CLI keeps its state and transcripts. */
  configDir: string;
  tmpDir: string;
  /** The key proxy's loopback URL. */
  baseUrl: string;
  /** The per-run proxy token, never the real key. */
  apiKey: string;
  /** The checked-out repository: dropped from PATH, and trusted by git when the agent is another user. */
  workspace?: string;
}

export function buildChildEnv(
  source: NodeJS.ProcessEnv,
  opts: ChildEnvOptions,
): { env: Record<string, string>; withheld: string[] } {
  const env: Record<string, string> = {};
  const withheld: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const passes = isAllowedName(name) && !NEVER_PASSED.has(name) && !looksLikeCredential(name, value);
    if (passes) env[name] = name === 'PATH' ? sanitizePath(value, opts.workspace) : value;
    else withheld.push(name);
  }
  Object.assign(env, {
    HOME: opts.home,
    CLAUDE_CONFIG_DIR: opts.configDir,
    TMPDIR: opts.tmpDir,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: opts.apiKey,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_MAX_RETRIES: '2',
    API_TIMEOUT_MS: '120000',
  });
  if (opts.workspace) {
    // The agent user does not own the checkout; without this, git refuses it ("dubious ownership").
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'safe.directory',
      GIT_CONFIG_VALUE_0: opts.workspace,
    });
  }
  return { env, withheld: withheld.sort() };
}
