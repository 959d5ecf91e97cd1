/**
 * The one way the action runs git (after actions/checkout's GitCommandManager.execGit): an absolute git
 * path, a fixed base environment — nothing of the job's environment rides along, no GIT_DIR,
 * GIT_CONFIG_PARAMETERS, GIT_SSH_COMMAND, GIT_EXEC_PATH or LD_PRELOAD the job (or a planted step) set —
 * and `-c` flags that keep git from running anything on its own: no pager, no fsmonitor, no hooks, no
 * credential helper, transports limited to https, http and file. Callers add only what one run needs
 * (GIT_INDEX_FILE, a token header through GIT_CONFIG_*, HOME for a scratch repository).
 */
import { spawn } from 'node:child_process';
import { resolveTool, SYSTEM_PATH } from './system-tools.js';

/** The environment every git run starts from: no system or global config, literal pathspecs, no prompts. */
export const GIT_BASE_ENV: Readonly<Record<string, string>> = {
  PATH: SYSTEM_PATH,
  LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_ATTR_NOSYSTEM: '1',
  GIT_LITERAL_PATHSPECS: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_OPTIONAL_LOCKS: '0',
  GIT_PAGER: 'cat',
};

/** Config overrides on every run: a repository's own config cannot make git start a program. */
export const GIT_HARDENING: readonly string[] = [
  ...['-c', 'core.pager=cat', '-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null'],
  ...['-c', 'credential.helper=', '-c', 'protocol.allow=never', '-c', 'protocol.https.allow=always'],
  ...['-c', 'protocol.http.allow=always', '-c', 'protocol.file.allow=always'],
];

export interface GitRunOptions {
  /** Working directory (default: the runner's `workspace`, else the process's). */
  cwd?: string;
  /** Written to git's stdin (closed right away when absent). */
  input?: Buffer;
  /** Variables set over the base environment for this run only. */
  env?: Readonly<Record<string, string>>;
  /** Exit codes that count as success for `run`/`text`/`nulList` (default: 0 only). */
  okCodes?: readonly number[];
}

export interface GitResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

export interface Git {
  /** The absolute path of the git binary. */
  readonly path: string;
  /** Runs git; resolves whatever the exit code (rejects only when git cannot start). */
  exec(args: readonly string[], options?: GitRunOptions): Promise<GitResult>;
  /** Stdout; rejects naming the subcommand, the exit code and stderr when the exit code is not ok. */
  run(args: readonly string[], options?: GitRunOptions): Promise<Buffer>;
  /** Stdout as UTF-8 text. */
  text(args: readonly string[], options?: GitRunOptions): Promise<string>;
  /** Stdout split on NUL (`-z` output), empty records dropped. */
  nulList(args: readonly string[], options?: GitRunOptions): Promise<string[]>;
}

/** The first argument that is a subcommand (not an option, not the value of -c or -C). */
export function gitSubcommand(args: readonly string[]): string {
  return args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c' && args[i - 1] !== '-C') ?? '';
}

/** Splits NUL-terminated records (`-z` output), dropping empty ones. */
export function splitNul(out: Buffer | string): string[] {
  return out
    .toString()
    .split('\0')
    .filter((s) => s !== '');
}

/** The environment of one run: the base, then the caller's few variables. */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...GIT_BASE_ENV, ...extra };
}

function spawnGit(
  file: string,
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string; input?: Buffer },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ exitCode: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out), stderr }),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/**
 * A git runner for `gitPath`. With `workspace`, every run happens in it (`-C`) and it is the one
 * `safe.directory` (the checkout may belong to another user than the job). `config` adds `-c` pairs
 * after the hardening ones, for callers that need more (file modes honoured, no untracked cache, …).
 */
export function createGit(
  gitPath: string,
  options: { workspace?: string; config?: readonly string[] } = {},
): Git {
  const prefix = [
    ...GIT_HARDENING,
    ...(options.workspace ? ['-c', `safe.directory=${options.workspace}`] : []),
    ...(options.config ?? []),
    ...(options.workspace ? ['-C', options.workspace] : []),
  ];
  const exec = (args: readonly string[], o: GitRunOptions = {}) =>
    spawnGit(gitPath, [...prefix, ...args], { env: gitEnv(o.env), cwd: o.cwd, input: o.input });
  const run = async (args: readonly string[], o: GitRunOptions = {}) => {
    const result = await exec(args, o);
    if (!(o.okCodes ?? [0]).includes(result.exitCode))
      throw new Error(`git ${gitSubcommand(args)} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    return result.stdout;
  };
  return {
    path: gitPath,
    exec,
    run,
    text: async (args, o) => (await run(args, o)).toString('utf8'),
    nulList: async (args, o) => splitNul(await run(args, o)),
  };
}

/** The machine's git (from the system directories, never the job's PATH). */
export async function systemGit(options: { workspace?: string; config?: readonly string[] } = {}) {
  return createGit(await resolveTool('git'), options);
}
