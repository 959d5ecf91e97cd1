/**
 * Credential files inside the checkout (google-github-actions/auth writes `gha-creds-*.json` into
 * GITHUB_WORKSPACE by default) are in the agent's reach: Read is allowed inside the repository. They
 * are moved into the run's private directory while the agent runs and moved back afterwards (threat
 * model S1/S4). Files outside the checkout are left where they are: the isolation level keeps the
 * agent out of the runner's HOME and RUNNER_TEMP.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface HiddenFile {
  from: string;
  to: string;
}

export const HIDDEN_FILES_STATE = 'hidden-credential-files.json';

/** Files (absolute) under `workspace`, resolved through symlinks, that exist. Pure but for stat. */
export function filesInside(files: readonly string[], workspace: string): string[] {
  const root = path.resolve(workspace);
  const out = new Set<string>();
  for (const file of files) {
    const abs = path.resolve(file);
    if (abs !== root && abs.startsWith(`${root}${path.sep}`) && fs.existsSync(abs)) out.add(abs);
  }
  return [...out];
}

/** Moves each file into `dir` (0700); records the moves in `dir/HIDDEN_FILES_STATE` as it goes. */
export function hideFiles(files: readonly string[], dir: string): HiddenFile[] {
  const hidden: HiddenFile[] = [];
  const store = path.join(dir, 'hidden');
  fs.mkdirSync(store, { recursive: true, mode: 0o700 });
  for (const [i, from] of files.entries()) {
    const to = path.join(store, String(i));
    move(from, to);
    hidden.push({ from, to });
    fs.writeFileSync(path.join(dir, HIDDEN_FILES_STATE), JSON.stringify(hidden), { mode: 0o600 });
  }
  return hidden;
}

/** Moves hidden files back (never over a file that appeared meanwhile). Returns what failed. */
export function restoreFiles(hidden: readonly HiddenFile[]): string[] {
  const failed: string[] = [];
  for (const { from, to } of hidden) {
    try {
      if (!fs.existsSync(to)) continue;
      if (fs.existsSync(from)) fs.rmSync(from, { force: true });
      move(to, from);
    } catch {
      failed.push(from);
    }
  }
  return failed;
}

/** Reads the record `hideFiles` left in `dir` ([] when none). */
export function readHidden(dir: string): HiddenFile[] {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, HIDDEN_FILES_STATE), 'utf8'));
    return Array.isArray(parsed) ? (parsed as HiddenFile[]) : [];
  } catch {
    return [];
  }
}

function move(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    fs.copyFileSync(from, to);
    fs.chmodSync(to, fs.statSync(from).mode & 0o777);
    fs.rmSync(from);
  }
}

/** Moves hidden credential files back (main's teardown, and post's from the record in the run dir). */
export function restoreHiddenFiles(runDir: string): string | undefined {
  const hidden = readHidden(runDir);
  if (!hidden.length) return undefined;
  const failed = restoreFiles(hidden);
  if (failed.length) throw new Error(`could not move back ${failed.join(', ')}`);
  return `${hidden.length} credential file(s) moved back`;
}
