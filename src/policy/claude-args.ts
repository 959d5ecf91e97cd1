/**
 * Extra Claude Code arguments from the `claude-args` input: tokenised like a shell would (quotes and
 * backslashes only, no expansion) and checked against an ALLOW-list of flags that cannot widen
 * permissions, load settings or code, resume other sessions, or change the output the action parses.
 *
 * Defends X7 (`--dangerously-skip-permissions`, `--permission-mode bypassPermissions`, `--settings`,
 * `--mcp-config`, `--add-dir`, plugins, tool lists) and X3/S10 (`--debug-file` and session resumption
 * would write or read transcripts outside the action's cleanup). Fails closed: an unknown flag is refused.
 */
import { InputError } from '../core.js';

const INPUT = 'claude-args';

/** Split a string into argv items: whitespace separates; '…' is literal; "…" allows \" \\ \$ \`;
 * a backslash outside quotes escapes the next character. No $, glob or operator expansion. */
export function tokenizeArgs(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
      i += 1;
      continue;
    }
    inToken = true;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InputError(INPUT, `unterminated single quote at character ${i + 1}.`);
      current += text.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i += 1;
      while (text[i] !== '"') {
        if (i >= text.length) throw new InputError(INPUT, 'unterminated double quote.');
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1])) {
          if (text[i + 1] !== '\n') current += text[i + 1];
          i += 2;
        } else {
          current += text[i];
          i += 1;
        }
      }
      i += 1;
    } else if (ch === '\\') {
      if (i + 1 >= text.length) throw new InputError(INPUT, 'a trailing backslash escapes nothing.');
      if (text[i + 1] !== '\n') current += text[i + 1];
      i += 2;
    } else {
      current += ch;
      i += 1;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

interface FlagSpec {
  /** none: a switch; one: exactly one value; many: one or more values (variadic). */
  arity: 'none' | 'one' | 'many';
  /** Returns why a value is refused, or undefined when it is fine. */
  check?: (value: string) => string | undefined;
}

const oneOf =
  (choices: readonly string[]) =>
  (value: string): string | undefined =>
    choices.includes(value) ? undefined : `must be one of ${choices.join(', ')}`;

const matches =
  (pattern: RegExp, what: string) =>
  (value: string): string | undefined =>
    pattern.test(value) ? undefined : `must be ${what}`;

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/[\]-]*$/;

/** Flags a user may pass. Each changes quality, cost or verbosity of the run, never what it may do. */
export const ALLOWED_FLAGS: Readonly<Record<string, FlagSpec>> = {
  '--effort': { arity: 'one', check: oneOf(['low', 'medium', 'high', 'xhigh', 'max']) },
  '--fallback-model': {
    arity: 'one',
    check: (v) =>
      v.split(',').every((m) => MODEL_NAME.test(m)) ? undefined : 'must be comma-separated model names',
  },
  '--append-system-prompt': { arity: 'one' },
  '--verbose': { arity: 'none' },
  '--max-budget-usd': {
    arity: 'one',
    check: matches(/^(?!0+(\.0+)?$)\d+(\.\d+)?$/, 'a positive number of USD'),
  },
  '--betas': {
    arity: 'many',
    check: matches(/^[a-z0-9][a-z0-9-]*$/, 'a beta header name like context-1m-2025-08-07'),
  },
  '--exclude-dynamic-system-prompt-sections': { arity: 'none' },
  '--disable-slash-commands': { arity: 'none' },
};

const RESUME = 'each run starts a fresh session; resuming would load another session and its transcript';
const DEBUG = 'debug logs can hold secrets and land outside the action-controlled, cleaned-up files';

/** Why the flags most likely to be tried are refused (anything else gets the generic answer). */
const REFUSED: Readonly<Record<string, string>> = {
  '--dangerously-skip-permissions': 'it switches every permission check off',
  '--allow-dangerously-skip-permissions': 'it lets the session switch every permission check off',
  '--permission-mode':
    'the permission mode is fixed (dontAsk); bypassPermissions especially would switch every permission check off',
  '--settings': "the action's generated settings file is the only settings source",
  '--setting-sources':
    'the action loads no settings source besides its own file (a PR could ship .claude/settings.json)',
  '--mcp-config': 'MCP servers are switched off for the agent',
  '--add-dir': 'it widens the directories the agent may read and write',
  '--plugin-dir': 'it loads plugin code into the agent',
  '--plugin-url': 'it downloads and loads plugin code into the agent',
  '--allowedTools': 'use the allowed-tools input, which is validated',
  '--allowed-tools': 'use the allowed-tools input, which is validated',
  '--disallowedTools': 'use the denied-tools input',
  '--disallowed-tools': 'use the denied-tools input',
  '--tools': 'the tool set is fixed by the mode',
  '--output-format': 'the action reads a fixed output format',
  '--input-format': 'the action sends the prompt in a fixed format',
  '--json-schema': 'the action supplies the findings schema',
  '--model': 'use the model input',
  '--max-turns': 'use the max-turns input',
  '--resume': RESUME,
  '--continue': RESUME,
  '--fork-session': RESUME,
  '--session-id': RESUME,
  '--from-pr': RESUME,
  '--teleport': RESUME,
  '--debug': DEBUG,
  '--debug-file': DEBUG,
  '--ide': 'it connects the agent to an outside IDE',
  '--chrome': 'it connects the agent to a browser',
  '--agents': 'custom agents bring their own prompts and tools',
  '--agent': 'custom agents bring their own prompts and tools',
  '--system-prompt': "it replaces the action's instructions; use --append-system-prompt",
  '--system-prompt-file': "it replaces the action's instructions; use --append-system-prompt",
  '--append-system-prompt-file':
    'it reads a file, possibly one the pull request controls; use --append-system-prompt',
  '--print': 'the action already runs the CLI in print mode',
};

/** Short options and spellings Claude Code accepts for the same flags. */
const ALIASES: Readonly<Record<string, string>> = {
  '-c': '--continue',
  '-r': '--resume',
  '-d': '--debug',
  '-p': '--print',
};

function refuse(flag: string, reason: string): never {
  throw new InputError(INPUT, `'${flag}' is refused: ${reason}.`);
}

function checkValue(flag: string, spec: FlagSpec, value: string): void {
  const problem = spec.check?.(value);
  if (problem !== undefined) refuse(flag, `its value '${value}' ${problem}`);
}

/**
 * Check the tokenised arguments against ALLOWED_FLAGS and return them unchanged. Values must not start
 * with '-' unless given as `--flag=value` (the CLI could read them as flags). Positional arguments are
 * refused: the prompt comes from the `prompt` input.
 */
export function validateClaudeArgs(args: readonly string[]): string[] {
  let i = 0;
  while (i < args.length) {
    const token = args[i];
    if (!token.startsWith('-') || token === '-' || token === '--') {
      refuse(token, 'positional arguments are not accepted; the prompt comes from the prompt input');
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const written = eq > 0 ? token.slice(0, eq) : token;
    const flag = ALIASES[written] ?? written;
    const spec = ALLOWED_FLAGS[flag];
    if (!spec) {
      refuse(
        written,
        REFUSED[flag] ?? `it is not on the list of accepted flags (${Object.keys(ALLOWED_FLAGS).join(', ')})`,
      );
    }
    i += 1;
    if (eq > 0) {
      if (spec.arity === 'none') refuse(written, 'it takes no value');
      checkValue(written, spec, token.slice(eq + 1));
      continue;
    }
    if (spec.arity === 'none') continue;
    const start = i;
    while (i < args.length && !args[i].startsWith('-') && (spec.arity === 'many' || i === start)) {
      checkValue(written, spec, args[i]);
      i += 1;
    }
    if (i === start)
      refuse(written, `it needs a value (write ${written}=VALUE if the value starts with '-')`);
  }
  return [...args];
}
