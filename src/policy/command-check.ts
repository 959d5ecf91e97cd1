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

export type CommandVerdict = { ok: true } | { ok: false; reason: string };

export interface CommandPolicy {
  /** Command prefixes the workflow's allow rules grant (`make test`), checked word by word. */
  userPrefixes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Option tables

/** How an option takes a value: none, optional (`--stat` or `--stat=N`), required (`=v`, next word,
 * or attached for a short option: `-n5`, `-Sfoo`), attached-only (`-M50%`: optional, never the next word). */
export type ValueKind = 'none' | 'optional' | 'required' | 'attached';

type OptionTable = Readonly<Record<string, ValueKind>>;

/** Diff output options, shared by diff, log and show. Not here: --output, -O, --no-index, --ext-diff,
 * --textconv (and --relative, whose path is never needed). */
const DIFF_OPTIONS: OptionTable = {
  '-p': 'none',
  '-u': 'none',
  '--patch': 'none',
  '-s': 'none',
  '--no-patch': 'none',
  '-U': 'required',
  '--unified': 'required',
  '--raw': 'none',
  '--patch-with-raw': 'none',
  '--patch-with-stat': 'none',
  '--stat': 'optional',
  '--numstat': 'none',
  '--shortstat': 'none',
  '--dirstat': 'optional',
  '--summary': 'none',
  '--name-only': 'none',
  '--name-status': 'none',
  '--compact-summary': 'none',
  '--full-index': 'none',
  '--abbrev': 'optional',
  '--no-prefix': 'none',
  '--color': 'optional',
  '--no-color': 'none',
  '--color-moved': 'optional',
  '--word-diff': 'optional',
  '--word-diff-regex': 'required',
  '--color-words': 'optional',
  '-M': 'attached',
  '--find-renames': 'optional',
  '-C': 'attached',
  '--find-copies': 'optional',
  '--find-copies-harder': 'none',
  '-B': 'attached',
  '--break-rewrites': 'optional',
  '--no-renames': 'none',
  '--diff-filter': 'required',
  '-S': 'required',
  '-G': 'required',
  '--pickaxe-all': 'none',
  '--pickaxe-regex': 'none',
  '-R': 'none',
  '-a': 'none',
  '--text': 'none',
  '-w': 'none',
  '--ignore-all-space': 'none',
  '-b': 'none',
  '--ignore-space-change': 'none',
  '--ignore-space-at-eol': 'none',
  '--ignore-cr-at-eol': 'none',
  '--ignore-blank-lines': 'none',
  '--minimal': 'none',
  '--patience': 'none',
  '--histogram': 'none',
  '--diff-algorithm': 'required',
  '--anchored': 'required',
  '-W': 'none',
  '--function-context': 'none',
  '--inter-hunk-context': 'required',
  '--check': 'none',
  '--no-ext-diff': 'none',
  '--no-textconv': 'none',
  '--exit-code': 'none',
  '--quiet': 'none',
};

/** Commit selection and formatting for log and show (git-rev-list(1) and git-log(1)). Not here:
 * --show-signature (runs gpg), --stdin, --remerge-diff (writes objects), -L (names a file), --notes. */
const LOG_OPTIONS: OptionTable = {
  ...DIFF_OPTIONS,
  '-n': 'required',
  '--max-count': 'required',
  '--skip': 'required',
  '--since': 'required',
  '--after': 'required',
  '--until': 'required',
  '--before': 'required',
  '--author': 'required',
  '--committer': 'required',
  '--grep': 'required',
  '--all-match': 'none',
  '--invert-grep': 'none',
  '-i': 'none',
  '--regexp-ignore-case': 'none',
  '-E': 'none',
  '--extended-regexp': 'none',
  '-F': 'none',
  '--fixed-strings': 'none',
  '--merges': 'none',
  '--no-merges': 'none',
  '--first-parent': 'none',
  '--all': 'none',
  '--branches': 'none',
  '--tags': 'none',
  '--reverse': 'none',
  '--oneline': 'none',
  '--pretty': 'optional',
  '--format': 'required',
  '--abbrev-commit': 'none',
  '--no-abbrev-commit': 'none',
  '--decorate': 'optional',
  '--no-decorate': 'none',
  '--graph': 'none',
  '--date': 'required',
  '--relative-date': 'none',
  '--follow': 'none',
  '--left-right': 'none',
  '--cherry-pick': 'none',
  '--topo-order': 'none',
  '--date-order': 'none',
  '--author-date-order': 'none',
  '--ancestry-path': 'none',
  '--full-history': 'none',
  '--simplify-by-decoration': 'none',
  '--parents': 'none',
  '--children': 'none',
  '--boundary': 'none',
  '--source': 'none',
  '-m': 'none',
  '--cc': 'none',
  '--diff-merges': 'required',
  '--no-diff-merges': 'none',
  '--encoding': 'required',
  '--no-expand-tabs': 'none',
  '--use-mailmap': 'none',
  '--no-use-mailmap': 'none',
};

/** git blame -h, less -S <file>, --contents <file>, --ignore-revs-file <file> and --progress. */
const BLAME_OPTIONS: OptionTable = {
  '--incremental': 'none',
  '-b': 'none',
  '--root': 'none',
  '--show-stats': 'none',
  '-f': 'none',
  '--show-name': 'none',
  '-n': 'none',
  '--show-number': 'none',
  '-p': 'none',
  '--porcelain': 'none',
  '--line-porcelain': 'none',
  '-c': 'none',
  '-t': 'none',
  '-l': 'none',
  '-s': 'none',
  '-e': 'none',
  '--show-email': 'none',
  '-w': 'none',
  '--ignore-rev': 'required',
  '--color-lines': 'none',
  '--color-by-age': 'none',
  '--minimal': 'none',
  '-C': 'attached',
  '-M': 'attached',
  '-L': 'required',
  '--abbrev': 'optional',
  '--date': 'required',
  '--since': 'required',
  '--reverse': 'none',
  '--first-parent': 'none',
};

/** git status -h, less --column (a layout program setting) and the pathspec-from-file forms. */
const STATUS_OPTIONS: OptionTable = {
  '-s': 'none',
  '--short': 'none',
  '-b': 'none',
  '--branch': 'none',
  '--show-stash': 'none',
  '--porcelain': 'optional',
  '--long': 'none',
  '-v': 'none',
  '--verbose': 'none',
  '-u': 'attached',
  '--untracked-files': 'optional',
  '--ignored': 'optional',
  '--ignore-submodules': 'optional',
  '-z': 'none',
  '--null': 'none',
  '--ahead-behind': 'none',
  '--no-ahead-behind': 'none',
  '--renames': 'none',
  '--no-renames': 'none',
  '--find-renames': 'optional',
  '-M': 'attached',
};

/** The read-only git subcommands the agent may run, each with the options it may use. */
export const GIT_SUBCOMMANDS: Readonly<Record<string, OptionTable>> = {
  diff: { ...DIFF_OPTIONS, '--cached': 'none', '--staged': 'none', '--merge-base': 'none' },
  log: LOG_OPTIONS,
  show: LOG_OPTIONS,
  blame: BLAME_OPTIONS,
  status: STATUS_OPTIONS,
};

/** Options of git itself (before the subcommand): only turning the pager off. */
export const GIT_GLOBAL_OPTIONS: readonly string[] = ['--no-pager', '-P'];

/** stdin filters allowed after a pipe, with the options they may use (never a file operand). */
const FILTERS: Readonly<Record<string, { options: OptionTable; positionals: number }>> = {
  head: { options: { '-n': 'required', '-c': 'required' }, positionals: 0 },
  tail: { options: { '-n': 'required', '-c': 'required' }, positionals: 0 },
  wc: { options: { '-l': 'none', '-w': 'none', '-c': 'none', '-m': 'none' }, positionals: 0 },
  grep: {
    options: {
      '-i': 'none',
      '-v': 'none',
      '-n': 'none',
      '-c': 'none',
      '-E': 'none',
      '-F': 'none',
      '-w': 'none',
      '-x': 'none',
      '-o': 'none',
      '-e': 'required',
      '-A': 'required',
      '-B': 'required',
      '-C': 'required',
      '-m': 'required',
    },
    positionals: 1,
  },
};

// ---------------------------------------------------------------------------------------------
// Shell: words and separators, refusing every expansion

const SAFE_UNQUOTED = /[A-Za-z0-9_./:@%+=,^~-]/;
const ALLOWED_REDIRECTS = new Set(['2>&1', '>/dev/null', '2>/dev/null', '</dev/null', '1>/dev/null']);

/** A simple command: its words (quotes removed) and whether its stdin is a pipe. */
export interface SimpleCommand {
  words: string[];
  piped: boolean;
}

class Refusal extends Error {}

/** Splits a command into simple commands, or throws a Refusal naming the shell construct. */
export function parseCommand(command: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let piped = false;
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = (nextPiped: boolean) => {
    endWord();
    if (words.length === 0) throw new Refusal('an empty command between separators');
    commands.push({ words, piped });
    words = [];
    piped = nextPiped;
  };
  let i = 0;
  const at = (n = 0) => command[i + n] ?? '';
  while (i < command.length) {
    const c = at();
    if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '\n' || c === ';') {
      endCommand(false);
      i++;
    } else if (c === '&' && at(1) === '&') {
      endCommand(false);
      i += 2;
    } else if (c === '|' && at(1) === '|') {
      endCommand(false);
      i += 2;
    } else if (c === '|' && at(1) !== '&') {
      endCommand(true);
      i++;
    } else if (c === '&' && at(1) !== '>') {
      // A background job: a separator like ';' (each part is checked the same way).
      endCommand(false);
      i++;
    } else if (c === "'") {
      const close = command.indexOf("'", i + 1);
      if (close < 0) throw new Refusal('an unterminated quote');
      const text = command.slice(i + 1, close);
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new Refusal('a control character');
      word = (word ?? '') + text;
      i = close + 1;
    } else if (c === '"') {
      const close = command.indexOf('"', i + 1);
      if (close < 0) throw new Refusal('an unterminated quote');
      const text = command.slice(i + 1, close);
      if (/[$`\\!]/.test(text)) throw new Refusal(`'${text}' in double quotes expands ($, \`, \\ or !)`);
      if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new Refusal('a control character');
      word = (word ?? '') + text;
      i = close + 1;
    } else if ((c === '>' || c === '<' || (/[012]/.test(c) && /[<>]/.test(at(1)))) && word === null) {
      // A redirection: only the listed ones, written as one word or with one space before the target.
      const rest = command.slice(i);
      const m = /^([012]?[<>]&?)\s?(\S*)/.exec(rest);
      const token = m ? `${m[1]}${m[2]}` : c;
      if (!ALLOWED_REDIRECTS.has(token)) throw new Refusal(`redirection '${token}'`);
      i += m ? m[0].length : 1;
    } else if (SAFE_UNQUOTED.test(c)) {
      if (c === '~' && word === null) throw new Refusal("'~' at the start of a word (home directory)");
      word = (word ?? '') + c;
      i++;
    } else {
      throw new Refusal(
        `the shell character '${c === '\r' ? '\\r' : c}' (expansion, subshell or job control)`,
      );
    }
  }
  endWord();
  if (words.length > 0 || piped || commands.length === 0) endCommand(false);
  return commands;
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
