import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/inputs.js';
import { tokenizeArgs, validateClaudeArgs } from '../../src/policy/claude-args.js';

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
    [['--allowedTools', 'Bash'], /allowed-tools input/],
    [['--allowed-tools', 'Bash'], /allowed-tools input/],
    [['--disallowed-tools', 'Read'], /denied-tools input/],
    [['--disallowedTools=Read'], /denied-tools input/],
    [['--tools', 'default'], /tool set is fixed/],
    [['--output-format', 'text'], /output format/],
    [['--json-schema', '{}'], /findings schema/],
    [['--model', 'opus'], /model input/],
    [['--max-turns', '99'], /max-turns input/],
    [['--resume', 'abc'], /fresh session/],
    [['-r'], /fresh session/],
    [['--continue'], /fresh session/],
    [['-c'], /fresh session/],
    [['--debug-file', '/tmp/d'], /debug logs/],
    [['-d'], /debug logs/],
    [['--ide'], /IDE/],
    [['--agents', '{}'], /custom agents/],
    [['--system-prompt', 'x'], /replaces the action's instructions/],
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
    const err = errorOf(() => validateClaudeArgs(args));
    expect(err.input).toBe('claude-args');
    expect(err.message).toMatch(why);
  });

  test('refusal names the flag as written', () => {
    expect(
      errorOf(() => validateClaudeArgs(['--effort', 'high', '--permission-mode=plan'])).message,
    ).toContain("'--permission-mode'");
  });
});
