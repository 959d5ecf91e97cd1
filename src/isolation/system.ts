/**
 * The one seam between the isolation code and the machine: running commands and the few file
 * operations the action does as itself. Everything privileged goes through `asRoot` (directly when the
 * action is root, else `sudo -n`), so the isolation modules stay testable against a fake
 * (__tests__/support/fake-system.ts). Secrets never reach this layer: arguments are paths, names, ports and uids.
 */
import { getExecOutput } from '@actions/exec';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { resolveTool, SYSTEM_PATH } from '../system-tools.js';

export interface RunOptions {
  /** The complete environment of the command (replaces, never extends, process.env when given). */
  env?: Record<string, string>;
  cwd?: string;
  input?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FileStat {
  /** Permission bits only (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  isDirectory: boolean;
}

export interface SystemPort {
  readonly platform: NodeJS.Platform;
  /** Effective uid/gid of the action process. */
  readonly uid: number;
  readonly gid: number;
  /** Runs a command; never throws for a non-zero exit (127 when the command does not exist). */
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
  /** undefined when the path does not exist (or cannot be stat'ed by the action). */
  stat(path: string): Promise<FileStat | undefined>;
  /** Creates a fresh directory `<prefix>XXXXXX`, owned by the action, mode 0700. */
  mkdtemp(prefix: string): Promise<string>;
  mkdir(path: string, mode: number): Promise<void>;
  writeFile(path: string, contents: string, mode: number): Promise<void>;
  /** Names in a directory the action can list; [] when it cannot. */
  readdir(path: string): Promise<string[]>;
  /** The target of a symbolic link; undefined when `path` is not a link (or does not exist). */
  readlink(path: string): Promise<string | undefined>;
}

/** Runs a command as root: directly when the action is root, else through passwordless sudo. */
export function asRoot(
  system: SystemPort,
  command: string,
  args: string[],
  options?: RunOptions,
): Promise<RunResult> {
  return system.uid === 0
    ? system.run(command, args, options)
    : system.run('sudo', ['-n', command, ...args], options);
}

/** Like asRoot, but a non-zero exit throws an error naming the step and the command's stderr. */
export async function mustAsRoot(
  system: SystemPort,
  step: string,
  command: string,
  args: string[],
  options?: RunOptions,
): Promise<RunResult> {
  const result = await asRoot(system, command, args, options);
  if (result.exitCode !== 0) {
    throw new Error(
      `${step}: '${command} ${args.join(' ')}' failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result;
}

/** The real machine. */
export const realSystem: SystemPort = {
  platform: process.platform,
  uid: process.getuid?.() ?? -1,
  gid: process.getgid?.() ?? -1,
  async run(command, args, options = {}) {
    try {
      // System tools by absolute path from fixed directories, with a minimal environment unless one is
      // given: a PATH, LD_PRELOAD or BASH_ENV planted in the job (even the post step's) cannot ride along.
      const file = path.isAbsolute(command) ? command : await resolveTool(command);
      return await getExecOutput(file, args, {
        ignoreReturnCode: true,
        silent: true,
        env: options.env ?? { PATH: SYSTEM_PATH, LANG: 'C.UTF-8' },
        cwd: options.cwd,
        input: options.input === undefined ? undefined : Buffer.from(options.input),
      });
    } catch (error) {
      return { exitCode: 127, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
    }
  },
  async stat(file) {
    try {
      const s = await fs.stat(file);
      return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, isDirectory: s.isDirectory() };
    } catch {
      return undefined;
    }
  },
  async mkdtemp(prefix) {
    return fs.mkdtemp(prefix.startsWith('/') ? prefix : `${os.tmpdir()}/${prefix}`);
  },
  async mkdir(dir, mode) {
    await fs.mkdir(dir, { mode });
    await fs.chmod(dir, mode);
  },
  async writeFile(file, contents, mode) {
    await fs.writeFile(file, contents, { mode, flag: 'wx' });
    await fs.chmod(file, mode);
  },
  async readdir(dir) {
    try {
      return await fs.readdir(dir);
    } catch {
      return [];
    }
  },
  async readlink(file) {
    try {
      return await fs.readlink(file);
    } catch {
      return undefined;
    }
  },
};
