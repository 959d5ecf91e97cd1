/**
 * Finding and running the machine's own tools (git, claude, …) without trusting the job's PATH more
 * than needed: system tools come from fixed system directories, and they run with a minimal
 * environment so a planted LD_PRELOAD, BASH_ENV or GIT_* variable cannot ride along.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
export const SYSTEM_PATH = SYSTEM_DIRS.join(':');

/** The absolute path of an executable: in `searchPath` (colon list) if given, else the system dirs. */
export async function resolveTool(name: string, searchPath?: string): Promise<string> {
  const dirs = searchPath ? searchPath.split(':').filter((d) => path.isAbsolute(d)) : SYSTEM_DIRS;
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`'${name}' was not found in ${searchPath ? 'PATH' : SYSTEM_PATH}`);
}

/**
 * Run a tool with a minimal environment and return its stdout; rejects with stderr on failure. Not for
 * git: git runs only through src/git-runner.ts (its own base environment and hardening flags).
 */
export function execText(file: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd,
        env: { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', GIT_TERMINAL_PROMPT: '0' },
        maxBuffer: 256 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`${path.basename(file)} ${args[0] ?? ''} failed: ${stderr || err.message}`))
          : resolve(stdout),
    );
  });
}
