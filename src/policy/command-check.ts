/**
 * What a Bash command may be, built as an allow-list (threat-model rows S11, X4, X7; issue "no allowed
 * command may name a file"). The permission rules match command prefixes only, and the CLI does not see
 * an option's value as a path: `git blame --contents ~/.aws/credentials -- README.md`, its abbreviation
 * `--cont`, `git blame -S <file>` and `--ignore-revs-file <file>` read any file the uid can read, and the
 * CLI's own read-only list lets some of them through with no allow rule at all (observed on 2.1.332).
 * So a PreToolUse hook (src/entries/hook.ts) runs this check on every Bash command before the rules do.
 *
 * A command passes only if every part of it is built from what is listed here:
 * - shell: plain words, '…' and "…" (no $, `, \ or ! inside), pipes, `&&`, `||`, `;`, `&` and newlines
 *   between simple commands (a trailing `;` or `&` too), and only the redirections `2>&1`, `>/dev/null`, `2>/dev/null`,
 *   `</dev/null`. No expansion of any kind (variables, globs, braces, tilde, history), no subshell,
 *   substitution, here-document, background job or assignment — each can build an option or a path
 *   the check did not see.
 * - git: `git [--no-pager|-P] <subcommand> <option|argument>… [-- <pathspec>…]` for the read-only
 *   subcommands below, each option exactly as spelled in its table (git accepts unambiguous
 *   abbreviations of long options; an exact table match is never an abbreviation of another), with a
 *   value only where the table says so. No option that reads or writes a file or runs a program is in
 *   any table; a test derives git's own option lists (`git <cmd> -h`, `--git-completion-helper`,
 *   `git -h`) and proves it. Arguments before `--` must not be absolute or climb out with `..`
 *   (`git diff /etc/passwd README.md` is an implicit `--no-index`).
 * - stdin filters after a pipe: `head`/`tail` with a count, `wc` with its counting flags, `grep` with
 *   pattern flags and one pattern — never a file operand.
 * - anything else only where a user allow rule names it (`Bash(make test:*)`): then the permission rules
 *   decide; otherwise the command is refused.
 */
import { FILTERS, GIT_SUBCOMMANDS, GIT_GLOBAL_OPTIONS, type OptionTable } from './command-options.js';
import { parseCommand, Refusal, type SimpleCommand } from './shell-words.js';

export type CommandVerdict = { ok: true } | { ok: false; reason: string };

export interface CommandPolicy {
  /** Command prefixes the workflow's allow rules grant (`make test`), checked word by word. */
  userPrefixes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Checks the option words of one command against a table; returns the positional arguments (and,
 * after `--`, the pathspecs separately) or throws a Refusal naming the option.
 */
function checkOptions(
  args: readonly string[],
  table: OptionTable,
  opts: { numericCount?: boolean; what: string },
): { positionals: string[]; pathspecs: string[] } {
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return { positionals, pathspecs: args.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (opts.numericCount && /^-\d+$/.test(arg)) continue;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg : arg.slice(0, eq);
      const kind = Object.hasOwn(table, name) ? table[name] : undefined;
      if (kind === undefined || kind === 'attached') {
        throw new Refusal(`${opts.what} option '${name}' is not on the allow-list`);
      }
      if (eq >= 0 && kind === 'none') throw new Refusal(`${opts.what} option '${name}' takes no value`);
      if (eq < 0 && kind === 'required') {
        if (i + 1 >= args.length) throw new Refusal(`${opts.what} option '${name}' needs a value`);
        i++;
      }
      continue;
    }
    // A short option: exactly one letter, its value attached or (when required) the next word.
    const name = arg.slice(0, 2);
    const kind = Object.hasOwn(table, name) ? table[name] : undefined;
    if (kind === undefined) {
      throw new Refusal(
        `${opts.what} option '${arg.length > 2 ? `${name}' (in '${arg}')` : `${name}'`} is not on the allow-list`,
      );
    }
    const attached = arg.slice(2);
    if (kind === 'none' && attached !== '') {
      throw new Refusal(`${opts.what} option '${name}' takes no value (write '${arg}' as separate options)`);
    }
    if (kind === 'required' && attached === '') {
      if (i + 1 >= args.length) throw new Refusal(`${opts.what} option '${name}' needs a value`);
      i++;
    }
  }
  return { positionals, pathspecs: [] };
}

/** A revision or path argument before `--` must not name a place outside the repository. */
function checkArgument(arg: string, what: string): void {
  if (arg.startsWith('/')) throw new Refusal(`${what} argument '${arg}' is an absolute path`);
  if (arg.split('/').includes('..')) {
    throw new Refusal(`${what} argument '${arg}' climbs out of the repository`);
  }
}

function checkGit(words: readonly string[]): void {
  let i = 1;
  while (i < words.length && words[i].startsWith('-')) {
    if (!GIT_GLOBAL_OPTIONS.includes(words[i])) {
      throw new Refusal(
        `git option '${words[i].split('=')[0]}' (only ${GIT_GLOBAL_OPTIONS.join(', ')} may come before the subcommand)`,
      );
    }
    i++;
  }
  const sub = words[i];
  if (sub === undefined) throw new Refusal('git without a subcommand');
  const table = Object.hasOwn(GIT_SUBCOMMANDS, sub) ? GIT_SUBCOMMANDS[sub] : undefined;
  if (!table) {
    throw new Refusal(
      `'git ${sub}' is not one of the read-only git commands (${Object.keys(GIT_SUBCOMMANDS).join(', ')})`,
    );
  }
  const what = `'git ${sub}'`;
  const { positionals } = checkOptions(words.slice(i + 1), table, {
    numericCount: sub === 'log' || sub === 'show',
    what,
  });
  for (const arg of positionals) checkArgument(arg, what);
}

function checkFilter(command: SimpleCommand): boolean {
  const [name, ...args] = command.words;
  const filter = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
  if (!filter || !command.piped) return false;
  const { positionals, pathspecs } = checkOptions(args, filter.options, {
    numericCount: name === 'head' || name === 'tail',
    what: `'${name}'`,
  });
  if (positionals.length + pathspecs.length > filter.positionals) {
    throw new Refusal(`'${name}' after a pipe reads its input, never a file operand`);
  }
  return true;
}

/** Whether the command's words start with the words of a user-granted prefix. */
function userGranted(words: readonly string[], prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => {
    const want = prefix.split(' ').filter(Boolean);
    return want.length > 0 && want.every((w, k) => words[k] === w);
  });
}

/** The verdict on one Bash command: ok when every part of it is allowed (pure). */
export function checkCommand(command: string, policy: CommandPolicy): CommandVerdict {
  try {
    const commands = parseCommand(command);
    for (const cmd of commands) {
      const first = cmd.words[0];
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first))
        throw new Refusal(`the assignment '${first.split('=')[0]}=…'`);
      if (first === 'git') checkGit(cmd.words);
      else if (checkFilter(cmd)) continue;
      else if (!userGranted(cmd.words, policy.userPrefixes)) {
        throw new Refusal(`'${first}' is not an allowed command`);
      }
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The command prefixes a list of allow rules grants: `Bash(make test:*)` → `make test`; git rules are
 * left to the git tables. */
export function userPrefixesOf(allowRules: readonly string[]): string[] {
  const prefixes: string[] = [];
  for (const rule of allowRules) {
    const spec = /^Bash\((.+)\)$/s.exec(rule)?.[1];
    if (spec === undefined) continue;
    const prefix = spec.replace(/:\*$/, '').split('*')[0].trim().replace(/\s+/g, ' ');
    if (prefix && prefix.split(' ')[0] !== 'git') prefixes.push(prefix);
  }
  return [...new Set(prefixes)];
}
