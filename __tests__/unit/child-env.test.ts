import { describe, expect, test } from '@jest/globals';
import {
  buildChildEnv,
  ENV_ALLOW_LIST,
  isRedactionTarget,
  looksLikeCredential,
  sanitizePath,
} from '../../src/policy/child-env.js';

const opts = {
  home: '/run/home',
  configDir: '/run/home/.claude',
  tmpDir: '/run/tmp',
  baseUrl: 'http://127.0.0.1:4567',
  apiKey: 'proxy-token-123',
};

const GHP = `ghp_${'a1B2'.repeat(9)}`;

/** A runner-like environment: harmless names, credentials by name and by value, file-command paths. */
const SOURCE: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin::.:bin:/usr/bin:./node_modules/.bin',
  HOME: '/home/runner',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  CI: 'true',
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'o/r',
  GITHUB_SHA: 'abc',
  RUNNER_OS: 'Linux',
  GITHUB_TOKEN: 'ghs_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  GH_TOKEN: 'x',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  NPM_TOKEN: 'npm_x',
  ACTIONS_RUNTIME_TOKEN: 'eyJ0eXAiOiJKV1Qi.eyJzdWIiOiJ4In0.sig',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.actions.githubusercontent.com/x',
  ACTIONS_CACHE_URL: 'https://cache',
  'INPUT_ANTHROPIC-API-KEY': 'sk-ant-api03-realkey',
  INPUT_PROMPT: 'hello',
  ANTHROPIC_API_KEY: 'sk-ant-api03-realkey',
  GITHUB_ENV: '/home/runner/work/_temp/_runner_file_commands/set_env_1',
  GITHUB_PATH: '/x',
  GITHUB_OUTPUT: '/x',
  GITHUB_STATE: '/x',
  GITHUB_STEP_SUMMARY: '/x',
  GITHUB_EVENT_PATH: '/x/event.json',
  RUNNER_TEMP: '/home/runner/work/_temp',
  RUNNER_TOOL_CACHE: '/opt/hostedtoolcache',
  HTTPS_PROXY: 'http://proxy:3128',
  HTTP_PROXY: 'http://proxy:3128',
  ALL_PROXY: 'socks5://proxy',
  NO_PROXY: 'localhost',
  NODE_OPTIONS: '--require /tmp/evil.js',
  LD_PRELOAD: '/tmp/evil.so',
  BASH_ENV: '/tmp/evil.sh',
  ENV: '/tmp/evil.sh',
  UNSET_VALUE: undefined,
};

describe('buildChildEnv', () => {
  const { env, withheld } = buildChildEnv(SOURCE, opts);

  test('sets the agent-specific variables', () => {
    expect(env).toMatchObject({
      HOME: '/run/home',
      CLAUDE_CONFIG_DIR: '/run/home/.claude',
      TMPDIR: '/run/tmp',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:4567',
      ANTHROPIC_API_KEY: 'proxy-token-123',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      CLAUDE_CODE_MAX_RETRIES: '2',
      API_TIMEOUT_MS: '120000',
    });
  });

  test.each(['LANG', 'LC_ALL', 'CI', 'GITHUB_ACTIONS', 'GITHUB_REPOSITORY', 'GITHUB_SHA', 'RUNNER_OS'])(
    'passes harmless %s unchanged',
    (name) => {
      expect(env[name]).toBe(SOURCE[name]);
    },
  );

  test('PATH keeps only absolute entries', () => {
    expect(env.PATH).toBe('/usr/local/bin:/usr/bin');
  });

  test.each([
    'GITHUB_TOKEN',
    'GH_TOKEN',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID',
    'NPM_TOKEN',
    'ACTIONS_RUNTIME_TOKEN',
    'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
    'ACTIONS_ID_TOKEN_REQUEST_URL',
    'ACTIONS_CACHE_URL',
    'INPUT_ANTHROPIC-API-KEY',
    'INPUT_PROMPT',
    'GITHUB_ENV',
    'GITHUB_PATH',
    'GITHUB_OUTPUT',
    'GITHUB_STATE',
    'GITHUB_STEP_SUMMARY',
    'GITHUB_EVENT_PATH',
    'RUNNER_TEMP',
    'RUNNER_TOOL_CACHE',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'ALL_PROXY',
    'NO_PROXY',
    'NODE_OPTIONS',
    'LD_PRELOAD',
    'BASH_ENV',
    'ENV',
  ])('withholds %s', (name) => {
    expect(env[name]).toBeUndefined();
    expect(withheld).toContain(name);
  });

  test('the real key appears nowhere, and no source secret value leaks under any name', () => {
    const values = Object.values(env);
    expect(values.join('\n')).not.toContain('sk-ant-');
    for (const name of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'ACTIONS_RUNTIME_TOKEN', 'NODE_OPTIONS']) {
      expect(values).not.toContain(SOURCE[name]);
    }
  });

  test('the replaced source HOME and ANTHROPIC_API_KEY are reported withheld; withheld is sorted names only', () => {
    expect(withheld).toContain('HOME');
    expect(withheld).toContain('ANTHROPIC_API_KEY');
    expect(withheld).toEqual([...withheld].sort());
    expect(withheld).not.toContain('UNSET_VALUE');
    for (const value of Object.values(SOURCE)) if (value) expect(withheld).not.toContain(value);
  });

  test('a harmless-named, allow-listed variable whose value is a token is withheld', () => {
    const result = buildChildEnv({ GITHUB_REF_NAME: GHP, LANG: 'en' }, opts);
    expect(result.env.GITHUB_REF_NAME).toBeUndefined();
    expect(result.withheld).toEqual(['GITHUB_REF_NAME']);
    expect(result.env.LANG).toBe('en');
  });

  test('never copies a name that is not on the allow-list', () => {
    const result = buildChildEnv({ SOME_HARMLESS_THING: 'hello' }, opts);
    expect(result.env.SOME_HARMLESS_THING).toBeUndefined();
    expect(result.withheld).toEqual(['SOME_HARMLESS_THING']);
  });

  test('the allow-list holds no credential-like or file-command name', () => {
    for (const name of ENV_ALLOW_LIST) expect(looksLikeCredential(name, '')).toBe(false);
    expect(ENV_ALLOW_LIST).not.toEqual(expect.arrayContaining(['GITHUB_ENV']));
  });
});

describe('looksLikeCredential', () => {
  test.each([
    ['GITHUB_TOKEN', 'x'],
    ['GH_TOKEN', 'x'],
    ['ACTIONS_RUNTIME_URL', 'https://x'],
    ['INPUT_ANTHROPIC-API-KEY', 'x'],
    ['AWS_REGION', 'us-east-1'],
    ['NPM_CONFIG_REGISTRY', 'x'],
    ['MY_API_KEY', 'x'],
    ['DB_PASSWORD', 'x'],
    ['CLIENT_SECRET', 'x'],
    ['harmless', 'sk-ant-api03-abcdefghijkl'],
    ['harmless', GHP],
    ['harmless', `gho_${'x'.repeat(36)}`],
    ['harmless', `ghs_${'x'.repeat(36)}`],
    ['harmless', `github_pat_${'A1_'.repeat(20)}`],
    ['harmless', 'AKIAIOSFODNN7EXAMPLE'],
    ['harmless', 'xoxb-1234567890-abcdef'],
    ['harmless', `npm_${'a'.repeat(36)}`],
    ['harmless', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln'],
    ['harmless', '-----BEGIN OPENSSH PRIVATE KEY-----\nabc'],
    ['harmless', '-----BEGIN PRIVATE KEY-----'],
  ])('%s=%s is a credential', (name, value) => {
    expect(looksLikeCredential(name, value)).toBe(true);
  });

  test.each([
    ['LANG', 'C.UTF-8'],
    ['GITHUB_SHA', 'a'.repeat(40)],
    ['GITHUB_REF', 'refs/pull/1/merge'],
    ['RUNNER_OS', 'Linux'],
    ['harmless', 'ghp_short'],
    ['harmless', 'eyJonly-one-part'],
  ])('%s=%s is not a credential', (name, value) => {
    expect(looksLikeCredential(name, value)).toBe(false);
  });
});

describe('sanitizePath', () => {
  test.each([
    ['/a:/b', '/a:/b'],
    ['', ''],
    ['::/a::', '/a'],
    ['.:/a:bin:./x:../y:/b', '/a:/b'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizePath(input)).toBe(expected);
  });
});

describe('workspace handling', () => {
  const base = { home: '/h', configDir: '/c', tmpDir: '/t', baseUrl: 'http://127.0.0.1:1', apiKey: 'tok' };
  test.each([
    ['/usr/bin:/ws/node_modules/.bin:/bin', '/ws', '/usr/bin:/bin'],
    ['/ws:/usr/bin', '/ws/', '/usr/bin'],
    ['/wsx/bin:/usr/bin', '/ws', '/wsx/bin:/usr/bin'],
    ['/usr/bin:relative:', '/ws', '/usr/bin'],
  ])('PATH %s with workspace %s → %s', (path, workspace, expected) => {
    expect(buildChildEnv({ PATH: path }, { ...base, workspace }).env.PATH).toBe(expected);
  });

  test('git trusts the workspace for the agent user, and nothing else', () => {
    const { env } = buildChildEnv({}, { ...base, workspace: '/ws' });
    expect(env).toMatchObject({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'safe.directory',
      GIT_CONFIG_VALUE_0: '/ws',
    });
    expect(buildChildEnv({}, base).env.GIT_CONFIG_COUNT).toBeUndefined();
  });
});

describe('isRedactionTarget: secrets, not inputs', () => {
  test.each([
    ['INPUT_ANTHROPIC-API-KEY', 'sk-ant-api03-abcdefghijkl', true],
    ['INPUT_GITHUB-TOKEN', 'ghs_whatever1234567890', true],
    ['INPUT_AWS-SECRET-ACCESS-KEY', 'abcdEFGHijklMNOP1234', true],
    ['INPUT_VERTEX-CREDENTIALS', '{"type":"service_account"}', true],
    ['INPUT_PROMPT', `Review it. Token ${GHP}`, true],
    ['INPUT_FIX-DELIVERY', 'suggestions', false],
    ['INPUT_ANTHROPIC-BASE-URL', 'https://api.anthropic.com', false],
    ['INPUT_PROMPT', 'Review this pull request for security problems.', false],
    ['INPUT_CLAUDE-PATH', '/opt/claude/bin/claude', false],
    ['INPUT_ALLOWED-TOOLS', 'Bash(make test:*)', false],
    ['ACTIONS_RUNTIME_TOKEN', 'eyJhbGciOi', true],
    ['AWS_SECRET_ACCESS_KEY', 'abc', true],
    ['DEPLOY_NOTE', GHP, true],
    ['GITHUB_WORKSPACE', '/home/runner/work/r/r', false],
    ['RUNNER_TEMP', '/home/runner/work/_temp', false],
  ])('%s=%s → %s', (name, value, expected) => {
    expect(isRedactionTarget(name, value)).toBe(expected);
  });
});
