import { describe, expect, test } from '@jest/globals';
import { InputError, readSettings } from '../../src/inputs.js';
import {
  mapClaudeArgs,
  splitToolList,
  tokenizeArgs,
  validateClaudeArgs,
} from '../../src/policy/claude-args.js';

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('tokenizeArgs', () => {
  test.each([
    ['', []],
    ['   \n\t ', []],
    ['--verbose', ['--verbose']],
    ['  --effort   high  ', ['--effort', 'high']],
    ['a\nb\tc', ['a', 'b', 'c']],
    [`--append-system-prompt 'Be terse. Really.'`, ['--append-system-prompt', 'Be terse. Really.']],
    [`--append-system-prompt "say \\"hi\\" \\\\ ok"`, ['--append-system-prompt', 'say "hi" \\ ok']],
    [`"a\\nb"`, ['a\\nb']],
    [`'a\\nb'`, ['a\\nb']],
    [`a\\ b`, ['a b']],
    [`--x="a b"c'd e'`, ['--x=a bcd e']],
    [`'' ""`, ['', '']],
    ['$HOME *.ts ; && | `id` $(id)', ['$HOME', '*.ts', ';', '&&', '|', '`id`', '$(id)']],
    [`"$HOME"`, ['$HOME']],
    ['a\\\nb', ['ab']],
  ])('%j → %j', (text, expected) => {
    expect(tokenizeArgs(text)).toEqual(expected);
  });

  test.each([
    [`'open`, /single quote/],
    [`"open`, /double quote/],
    [`a "b\\"`, /double quote/],
    ['a\\', /backslash/],
  ])('%j is refused', (text, why) => {
    const err = errorOf(() => tokenizeArgs(text));
    expect(err.input).toBe('claude-args');
    expect(err.message).toMatch(why);
  });
});

describe('validateClaudeArgs', () => {
  test.each([
    [[]],
    [['--verbose']],
    [['--effort', 'high']],
    [['--effort=max']],
    [['--fallback-model', 'claude-haiku-4-5,sonnet']],
    [['--append-system-prompt', 'Focus on security.']],
    [['--append-system-prompt', '']],
    [['--append-system-prompt=- bullet first']],
    [['--max-budget-usd', '1.50']],
    [['--betas', 'context-1m-2025-08-07', 'interleaved-thinking-2025-05-14', '--verbose']],
    [['--exclude-dynamic-system-prompt-sections', '--disable-slash-commands']],
  ])('accepts %j', (args) => {
    expect(validateClaudeArgs(args)).toEqual(args);
  });

  test.each([
    [['--dangerously-skip-permissions'], /switches every permission check off/],
    [['--allow-dangerously-skip-permissions'], /permission check off/],
    [['--permission-mode', 'bypassPermissions'], /bypassPermissions/],
    [['--permission-mode=acceptEdits'], /permission mode is fixed/],
    [['--settings', '/tmp/s.json'], /only settings source/],
    [['--setting-sources', 'user,project'], /settings source/],
    [['--mcp-config', 'x.json'], /MCP/],
    [['--add-dir', '/'], /widens the directories/],
    [['--plugin-dir', './p'], /plugin code/],
    [['--plugin-url=https://x/p.zip'], /plugin code/],
    [['--tools', 'default'], /tool set is fixed/],
    [['--output-format', 'text'], /output format/],
    [['--json-schema', '{}'], /findings schema/],
    [['--resume', 'abc'], /fresh session/],
    [['-r'], /fresh session/],
    [['--continue'], /fresh session/],
    [['-c'], /fresh session/],
    [['--debug-file', '/tmp/d'], /debug logs/],
    [['-d'], /debug logs/],
    [['--ide'], /IDE/],
    [['--agents', '{}'], /custom agents/],
    [['--append-system-prompt-file', 'CLAUDE.md'], /reads a file/],
    [['--bare'], /not on the list of accepted flags/],
    [['--verb'], /not on the list/],
    [['-x'], /not on the list/],
    [['review this'], /positional/],
    [['--verbose', 'extra'], /positional/],
    [['--'], /positional/],
    [['-'], /positional/],
    [['--effort'], /needs a value/],
    [['--effort', '--verbose'], /needs a value/],
    [['--append-system-prompt', '--dangerously-skip-permissions'], /needs a value/],
    [['--effort', 'extreme'], /must be one of low, medium, high, xhigh, max/],
    [['--effort=turbo'], /must be one of/],
    [['--max-budget-usd', '0'], /positive number/],
    [['--max-budget-usd', '5abc'], /positive number/],
    [['--fallback-model', 'a b'], /model names/],
    [['--betas', 'Bad_Beta'], /beta header/],
    [['--verbose=true'], /takes no value/],
  ])('refuses %j', (args, why) => {
    const err = errorOf(() => mapClaudeArgs(args));
    expect(err.input).toBe('claude-args');
    expect(err.message).toMatch(why);
  });

  test('refusal names the flag as written', () => {
    expect(
      errorOf(() => validateClaudeArgs(['--effort', 'high', '--permission-mode=plan'])).message,
    ).toContain("'--permission-mode'");
  });
});

describe('claude-code-action flags map to our inputs, through the same validation', () => {
  const settings = (inputs: Record<string, string>) =>
    readSettings((n) => ({ 'anthropic-api-key': 'sk-ant-x', 'github-token': 'ghs_x', ...inputs })[n] ?? '');

  test('splitToolList keeps parenthesised rules whole', () => {
    expect(splitToolList('Bash(git log:*),Read Grep, Bash(npm run test:*)')).toEqual([
      'Bash(git log:*)',
      'Read',
      'Grep',
      'Bash(npm run test:*)',
    ]);
  });

  test('mapClaudeArgs takes mapped flags out and leaves the rest checked', () => {
    expect(
      mapClaudeArgs(
        tokenizeArgs(
          `--model claude-opus-4-1 --max-turns=12 --allowedTools "Bash(git log:*),Read" --effort high --disallowedTools Write --system-prompt "Be strict."`,
        ),
      ),
    ).toEqual({
      passthrough: ['--effort', 'high'],
      inputs: {
        model: ['claude-opus-4-1'],
        'max-turns': ['12'],
        'allowed-tools': ['Bash(git log:*)', 'Read'],
        'denied-tools': ['Write'],
        prompt: ['Be strict.'],
      },
    });
  });

  test('a typical claude_args line becomes settings', () => {
    const s = settings({
      'claude-args': `--model sonnet --max-turns 8 --allowedTools "Bash(make lint:*)" --append-system-prompt "Focus."`,
      'allowed-tools': 'Bash(make check:*)',
      prompt: 'Check the docs too.',
    });
    expect(s.model).toBe('sonnet');
    expect(s.maxTurns).toBe(8);
    expect(s.allowedTools).toEqual(['Bash(make check:*)', 'Bash(make lint:*)']);
    expect(s.claudeArgs).toEqual(['--append-system-prompt', 'Focus.']);
    expect(s.prompt).toBe('Check the docs too.');
  });

  test('--system-prompt adds to the instructions, never replaces the action’s own', () => {
    expect(settings({ 'claude-args': `--system-prompt "Use British spelling."` }).prompt).toBe(
      'Use British spelling.',
    );
  });

  test.each([
    [`--allowedTools Bash`, /allowed-tools.*Bash/],
    [`--allowedTools "Bash(curl:*)"`, /allowed-tools/],
    [`--allowedTools WebFetch`, /allowed-tools/],
    [`--max-turns 9999`, /max-turns.*500/],
    [`--model "bad model"`, /model/],
    [`--model`, /needs a value/],
  ])('a dangerous or bad mapped value is refused as its input would be: %s', (args, why) => {
    const err = errorOf(() => settings({ 'claude-args': args }));
    expect(err.input).toBe('claude-args');
    expect(err.message).toMatch(why);
  });

  test('a flag that contradicts the input of the same meaning is refused', () => {
    expect(errorOf(() => settings({ 'claude-args': '--model opus', model: 'sonnet' })).message).toMatch(
      /conflicts with the model input/,
    );
  });
});
