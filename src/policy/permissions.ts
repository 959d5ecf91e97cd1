/**
 * Permission rules for the agent: which tool calls the generated settings file allows and denies, and
 * whether a rule a workflow author adds (allowed-tools / denied-tools) is acceptable.
 *
 * Decides, per mode (the rule lists themselves are default-rules.ts):
 * - ALLOW: reading the repository and read-only git, nothing else (defaultMode dontAsk denies the rest).
 * - DENY: network tools and package managers (X1), privilege escalation (S3), environment dumps (S1),
 *   git commands that talk to remotes or touch credentials (S4, X1), `--output` of diff-producing git
 *   commands and `git difftool` (X4: they write or run anything), WebFetch/WebSearch (X1), secret files
 *   and credential folders (S4, S8, S9), /proc (S2), RUNNER_TEMP (S7, S8), writes into .git (X4).
 * - CRITICAL_DENIALS: the subset repeated on the command line, because an invalid settings file is
 *   silently dropped whole (X7).
 * - validateUserRule: refuses allow rules that are as broad as Bash, that write in review mode, that
 *   re-allow a denied command, or that enable MCP (X7).
 *
 * Rule syntax is Claude Code's: `Tool` or `Tool(spec)`; Bash specs are command prefixes (`git log:*`) or
 * wildcard patterns; Read/Edit specs are gitignore-style paths where `//x` is absolute, `~/x` is under
 * HOME, and a pattern without a slash (`.env*`) matches at any depth. Edit rules cover every file-editing
 * tool (Write, NotebookEdit).
 */
import { InputError, type Mode } from '../core.js';
import { checkCommand } from './command-check.js';
import {
  DEFAULT_ALLOW,
  DENY_RULES,
  FILE_TOOLS,
  GIT_CONFIG_READ,
  HOME_CREDENTIAL_PATHS,
  KNOWN_TOOLS,
  WRITE_TOOLS,
} from './default-rules.js';

// Re-exported: run.ts, the settings file and the tests import the rule lists from here.
export {
  CRITICAL_DENIALS,
  DEFAULT_ALLOW,
  DENY_RULES,
  HOME_CREDENTIAL_PATHS,
  KNOWN_TOOLS,
} from './default-rules.js';

export interface RulePaths {
  /** The runner's RUNNER_TEMP (step scripts, file commands, checkout credentials). */
  runnerTemp?: string;
  /** The runner user's real home directory (the agent gets a private HOME). */
  home?: string;
  /** The checked-out repository. */
  workspace: string;
  /**
   * Bash runs in Claude Code's sandbox, which turns every Read deny into a file its commands cannot open
   * (a `/dev/null` bind, EACCES): a deny on `.git/config` would make every git command fail. The sandbox
   * level has no such deny: in review mode the agent's repository is a clean copy whose config holds four
   * core lines; otherwise the checkout credentials are out of `.git/config` while the agent runs.
   */
  sandboxed?: boolean;
}

/** `/a/b/` → `//a/b` (Claude Code's absolute-path form). */
function absolute(path: string): string {
  return `/${path.replace(/\/+$/, '')}`;
}

/** Deny rules for paths known only at run time. */
export function pathDenyRules(paths: RulePaths): string[] {
  const rules = paths.sandboxed ? [] : [`Read(${absolute(paths.workspace)}/.git/config)`];
  if (paths.runnerTemp) {
    rules.push(`Read(${absolute(paths.runnerTemp)}/**)`, `Edit(${absolute(paths.runnerTemp)}/**)`);
  }
  if (paths.home) {
    const home = absolute(paths.home);
    rules.push(...HOME_CREDENTIAL_PATHS.flatMap((p) => [`Read(${home}/${p})`, `Edit(${home}/${p})`]));
  }
  return rules;
}

/** Commands that run arbitrary code: an allow rule for one must name what it runs (`make test`,
 * `python3 -m pytest`), not just flags (`bash -c`, `node -e`, `git -c`). */
const CODE_RUNNERS = new Set([
  'bash',
  'sh',
  'zsh',
  'dash',
  'ksh',
  'fish',
  'eval',
  'exec',
  'source',
  '.',
  'xargs',
  'git',
  'python',
  'python3',
  'node',
  'deno',
  'perl',
  'ruby',
  'php',
  'lua',
  'awk',
  'make',
]);

/** Commands whose options or scripts run programs or touch any file, whatever words a rule fixes before a
 * wildcard: `find … -exec`, `xargs`, `sed e`/`w`, `tar --to-command`, editors and pagers with `!`, and the
 * wrappers that run the command they are given. Only an exact rule (no wildcard) may name them. */
const SHELL_EQUIVALENTS = new Set([
  'find',
  'xargs',
  'env',
  'timeout',
  'nice',
  'ionice',
  'nohup',
  'stdbuf',
  'setsid',
  'time',
  'command',
  'builtin',
  'watch',
  'parallel',
  'flock',
  'chroot',
  'unshare',
  'nsenter',
  'runuser',
  'script',
  'strace',
  'ltrace',
  'gdb',
  'expect',
  'busybox',
  'sed',
  'gawk',
  'mawk',
  'nawk',
  'tar',
  'vi',
  'vim',
  'nvim',
  'ex',
  'ed',
  'emacs',
  'less',
  'more',
  'man',
  'tclsh',
  'wish',
  'jshell',
  'irb',
  'osascript',
  'pwsh',
]);

/** Characters of the shell that have no place in a command-prefix rule (`Bash(git diff:*; curl x)`). */
const SHELL_SYNTAX = /[;&|`$<>()\\\n{}!]/;

const RULE_SYNTAX = /^(?<tool>[A-Za-z][A-Za-z0-9_-]*)(?:\((?<spec>.*)\))?$/s;
const MCP_NAME = /^mcp__[A-Za-z0-9_-]+$/;

function parseRule(rule: string, input: string): { tool: string; spec?: string } {
  if (/[\u0000-\u001f\u007f]/.test(rule)) {
    throw new InputError(input, `rule '${JSON.stringify(rule)}' contains a control character.`);
  }
  const groups = RULE_SYNTAX.exec(rule)?.groups;
  if (!groups) {
    throw new InputError(
      input,
      `rule '${rule}' is not of the form Tool or Tool(specifier), e.g. Bash(make test:*).`,
    );
  }
  const { tool, spec } = groups;
  if (!(KNOWN_TOOLS as readonly string[]).includes(tool) && !MCP_NAME.test(tool)) {
    throw new InputError(
      input,
      `rule '${rule}' names an unknown tool '${tool}'; known: ${KNOWN_TOOLS.join(', ')}, mcp__<server>.`,
    );
  }
  if (spec !== undefined && spec.trim() === '') {
    throw new InputError(input, `rule '${rule}' has an empty specifier; write '${tool}' or '${tool}(…)'.`);
  }
  return { tool, spec };
}

/** The literal command words a Bash spec starts with, before any wildcard: `git log:*` → `git log`. */
function commandPrefix(spec: string): string {
  return spec.replace(/:\*$/, '').split('*')[0].trim().replace(/\s+/g, ' ');
}

/** A Bash deny rule as a matcher for commands: `Bash(curl:*)` → curl and `curl …`; `*` → anything. */
function bashDenyMatcher(rule: string): RegExp | undefined {
  const spec = /^Bash\((.+)\)$/.exec(rule)?.[1];
  if (spec === undefined) return undefined;
  const escape = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  if (spec.endsWith(':*')) return new RegExp(`^${escape(spec.slice(0, -2))}( .*)?$`, 's');
  return new RegExp(`^${spec.split('*').map(escape).join('.*')}$`, 's');
}

const DENIED_COMMAND_MATCHERS = DENY_RULES.map((rule) => ({ rule, matcher: bashDenyMatcher(rule) })).filter(
  (m): m is { rule: string; matcher: RegExp } => m.matcher !== undefined,
);

function refuseAllow(input: string, rule: string, reason: string): never {
  throw new InputError(input, `allow rule '${rule}' is refused: ${reason}.`);
}

function checkBashAllow(input: string, rule: string, spec: string | undefined): void {
  const hint = 'allow specific commands instead, e.g. Bash(make test:*)';
  if (spec === undefined) refuseAllow(input, rule, `it allows every shell command; ${hint}`);
  const syntax = SHELL_SYNTAX.exec(spec);
  if (syntax) {
    refuseAllow(
      input,
      rule,
      `its specifier holds the shell syntax '${syntax[0] === '\n' ? '\\n' : syntax[0]}': a rule names one command prefix`,
    );
  }
  if (/:\*./s.test(spec)) {
    refuseAllow(input, rule, "':*' may only end a rule");
  }
  const prefix = commandPrefix(spec);
  if (prefix === '')
    refuseAllow(input, rule, `it starts with a wildcard, so it matches every shell command; ${hint}`);
  const [first, ...rest] = prefix.split(' ');
  if (CODE_RUNNERS.has(first) && rest.every((word) => word.startsWith('-'))) {
    refuseAllow(input, rule, `'${prefix}' runs arbitrary code, so it is as broad as Bash; ${hint}`);
  }
  if (SHELL_EQUIVALENTS.has(first) && spec.includes('*')) {
    refuseAllow(
      input,
      rule,
      `'${first}' can run programs or open any file through its options (find -exec, xargs, sed e), so with a wildcard it is as broad as Bash; allow an exact command instead`,
    );
  }
  const denied = DENIED_COMMAND_MATCHERS.find(({ matcher }) => matcher.test(prefix));
  if (denied) refuseAllow(input, rule, `it re-allows what the always-on deny rule ${denied.rule} refuses`);
  if (first === 'git') {
    // The Bash hook passes git only in its read-only forms; a rule for anything else would be dead or a hole.
    const verdict = checkCommand(prefix, { userPrefixes: [] });
    if (!verdict.ok) refuseAllow(input, rule, verdict.reason);
  }
}

/**
 * Check one user rule and return it trimmed. Deny rules only need to be well-formed; allow rules must
 * not widen the policy. Throws InputError('allowed-tools' | 'denied-tools') naming the rule and why.
 */
export function validateUserRule(rule: string, kind: 'allow' | 'deny', mode: Mode): string {
  const input = kind === 'allow' ? 'allowed-tools' : 'denied-tools';
  const trimmed = rule.trim();
  const { tool, spec } = parseRule(trimmed, input);
  if (kind === 'deny') return trimmed;

  if (tool.startsWith('mcp__')) refuseAllow(input, trimmed, 'MCP servers are switched off for the agent');
  if (tool === 'WebFetch' || tool === 'WebSearch') {
    refuseAllow(input, trimmed, `${tool} is always denied: the agent has no route out`);
  }
  if (DENY_RULES.includes(trimmed)) refuseAllow(input, trimmed, 'it is one of the always-on deny rules');
  if (WRITE_TOOLS.has(tool) && mode !== 'custom') {
    refuseAllow(
      input,
      trimmed,
      mode === 'fix'
        ? 'fix mode edits exactly the pull request’s files; the action writes those rules itself'
        : 'review mode never writes files (use mode: custom for tasks that edit)',
    );
  }
  if (tool === 'Bash') checkBashAllow(input, trimmed, spec);
  if (FILE_TOOLS.has(tool) && spec !== undefined) checkPathAllow(input, trimmed, spec);
  return trimmed;
}

/**
 * A file-tool allow rule stays inside the repository: not absolute (`//x`), not under a home (`~/x`), not
 * relative to the settings file (`/x`, which sits in the run directory) and never climbing out (`..`).
 * The review is a channel for whatever the agent can read, so reads outside are closed in every mode.
 */
function checkPathAllow(input: string, rule: string, spec: string): void {
  const path = spec.trim();
  const why = path.startsWith('//')
    ? 'it names an absolute path'
    : path.startsWith('~')
      ? 'it names a path under a home directory'
      : path.startsWith('/')
        ? 'a leading / is relative to the generated settings file, outside the repository'
        : path.split('/').includes('..')
          ? "it climbs out of the repository with '..'"
          : undefined;
  if (why) {
    refuseAllow(
      input,
      rule,
      `${why}; the agent reads and writes only inside the repository (whatever it reads can end up in the review)`,
    );
  }
}

const unique = (rules: readonly string[]): string[] => [...new Set(rules)];

/** The permission rules of the settings file: defaults plus validated user rules; deny wins in the CLI. */
export function buildRules(
  mode: Mode,
  userAllow: readonly string[],
  userDeny: readonly string[],
  paths: RulePaths,
): { allow: string[]; deny: string[] } {
  return {
    allow: unique([...DEFAULT_ALLOW, ...userAllow.map((r) => validateUserRule(r, 'allow', mode))]),
    deny: unique([
      ...DENY_RULES.filter((rule) => !(paths.sandboxed && rule === GIT_CONFIG_READ)),
      ...pathDenyRules(paths),
      ...userDeny.map((r) => validateUserRule(r, 'deny', mode)),
    ]),
  };
}
