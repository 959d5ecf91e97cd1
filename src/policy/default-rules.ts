/**
 * The default permission rules: the tools a rule may name, what every run may do (read the repository,
 * read-only git) and what every run is denied (network and package tools, privilege, environment dumps,
 * git remotes and file escapes, secret files, credential folders), with the critical subset repeated on
 * the command line. Data only; permissions.ts validates user rules against it and builds the settings.
 */

/** Tool names a user rule may name (mcp__* is recognised separately). */
export const KNOWN_TOOLS = [
  'Bash',
  'Read',
  'Edit',
  'Write',
  'MultiEdit',
  'NotebookEdit',
  'Grep',
  'Glob',
  'LS',
  'WebFetch',
  'WebSearch',
  'Task',
  'TodoWrite',
] as const;

export const WRITE_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit']);
export const FILE_TOOLS = new Set(['Read', 'Grep', 'Glob', 'LS', ...WRITE_TOOLS]);

/** Read the repository and look at its history; nothing that writes or runs anything else. */
export const DEFAULT_ALLOW: readonly string[] = [
  'Read',
  'Grep',
  'Glob',
  'Bash(git diff:*)',
  'Bash(git log:*)',
  'Bash(git show:*)',
  'Bash(git status:*)',
  'Bash(git blame:*)',
];

const NETWORK_COMMANDS = [
  'curl',
  'wget',
  'nc',
  'ncat',
  'netcat',
  'socat',
  'telnet',
  'ssh',
  'scp',
  'sftp',
  'rsync',
  'ftp',
  'dig',
  'nslookup',
  'host',
  'ping',
];
const PACKAGE_MANAGER_COMMANDS = [
  'npm',
  'pnpm',
  'yarn',
  'npx',
  'bun',
  'pip',
  'pip3',
  'pipx',
  'gem',
  'cargo install',
  'go install',
  'go get',
  'apt',
  'apt-get',
  'brew',
];
const PRIVILEGE_COMMANDS = ['sudo', 'su', 'doas'];
const ENV_DUMP_COMMANDS = ['env', 'printenv'];
const GIT_REMOTE_COMMANDS = [
  'git push',
  'git fetch',
  'git pull',
  'git clone',
  'git remote',
  'git submodule',
  'git config',
  'git credential',
];

/** Commands denied by prefix (`Bash(<cmd>:*)`). */
const DENIED_COMMANDS: readonly string[] = [
  ...NETWORK_COMMANDS,
  ...PACKAGE_MANAGER_COMMANDS,
  ...PRIVILEGE_COMMANDS,
  ...ENV_DUMP_COMMANDS,
  ...GIT_REMOTE_COMMANDS,
  'git difftool',
];

const bashPrefix = (cmd: string): string => `Bash(${cmd}:*)`;

/** `--output=FILE` writes anywhere (git log and git show take diff options too); `--no-index` diffs any
 * two files on the machine; blame's `--contents`/`-S`/`--ignore-revs-file` read any file (and git accepts
 * `--cont`, `--ignore-revs`). A second layer: the Bash hook's allow-list (command-check.ts) is the first. */
const GIT_FILE_ESCAPES = [
  'Bash(git diff *--output*)',
  'Bash(git log *--output*)',
  'Bash(git show *--output*)',
  'Bash(git diff *--no-index*)',
  'Bash(git blame *--cont*)',
  'Bash(git blame *--ignore-revs*)',
  'Bash(git blame *-S*)',
  'Bash(git diff *-O*)',
  'Bash(git log *-O*)',
  'Bash(git show *-O*)',
  'Bash(git diff *--ext-diff*)',
  'Bash(git log *--ext-diff*)',
  'Bash(git show *--ext-diff*)',
];

/** Secret files anywhere in the repository (no slash: gitignore semantics, any depth). */
const SECRET_FILE_PATTERNS = ['.env*', '*.pem', '*.key', '.npmrc', '.netrc', '.pypirc', '.git-credentials'];

/** Credential folders and files under a home directory. */
export const HOME_CREDENTIAL_PATHS = [
  '.ssh/**',
  '.aws/**',
  '.docker/**',
  '.npmrc',
  '.netrc',
  '.config/gh/**',
  '.kube/**',
  '.gnupg/**',
];

export const GIT_CONFIG_READ = 'Read(.git/config)';

/** Deny rules that hold in every mode, whatever the machine (but see `RulePaths.sandboxed`). */
export const DENY_RULES: readonly string[] = [
  ...DENIED_COMMANDS.map(bashPrefix),
  ...GIT_FILE_ESCAPES,
  'WebFetch',
  'WebSearch',
  'Read(.env*)',
  GIT_CONFIG_READ,
  ...SECRET_FILE_PATTERNS.map((p) => `Edit(${p})`),
  'Edit(.git/**)',
  ...HOME_CREDENTIAL_PATHS.flatMap((p) => [`Read(~/${p})`, `Edit(~/${p})`]),
  'Read(//proc/**)',
  'Edit(//proc/**)',
];

/** Repeated on the command line with --disallowed-tools: these survive a dropped settings file. */
export const CRITICAL_DENIALS: readonly string[] = [
  ...[...NETWORK_COMMANDS, ...PACKAGE_MANAGER_COMMANDS, ...PRIVILEGE_COMMANDS, ...ENV_DUMP_COMMANDS].map(
    bashPrefix,
  ),
  bashPrefix('git push'),
  'Bash(git diff *--output*)',
  'Bash(git blame *--cont*)',
  'Bash(git blame *--ignore-revs*)',
  bashPrefix('git difftool'),
  'WebFetch',
  'WebSearch',
];
