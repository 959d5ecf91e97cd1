/**
 * What Claude Code's sandbox leaves in its working directory (docs/claude-code-facts.md, "Sandbox and
 * git"): empty mount-point stubs in `.git` (`worktrees/`, `remotes/`, `config.worktree`,
 * `info/.claude-sandbox-noreplace`, …) and `.claude/`, which nothing removes. In review mode the agent
 * works in a clean copy and they go with it; in the modes that work in the live workspace (custom, fix),
 * the action lists those folders before the agent starts and afterwards removes every new entry that
 * holds no data (an empty file, or a folder of nothing but such entries). Names are not listed: anything
 * new and empty there is a stub, whatever a later CLI calls it; anything new with content is left and
 * reported.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Folders of the working directory where the sandbox puts stubs (relative, one level each). */
export const STUB_FOLDERS = ['.git', path.join('.git', 'info'), '.claude'];

export interface StubSnapshot {
  workspace: string;
  /** Relative paths of the entries present in STUB_FOLDERS before the agent started. */
  entries: string[];
}

async function list(workspace: string): Promise<string[]> {
  // `.claude` itself is one: the sandbox creates it when the checkout has none.
  const entries = (await fs.lstat(path.join(workspace, '.claude')).catch(() => undefined)) ? ['.claude'] : [];
  for (const folder of STUB_FOLDERS) {
    const names = await fs.readdir(path.join(workspace, folder)).catch(() => [] as string[]);
    entries.push(...names.map((name) => path.join(folder, name)));
  }
  return entries;
}

export async function snapshotStubs(workspace: string): Promise<StubSnapshot> {
  return { workspace, entries: await list(workspace) };
}

/** True for an empty regular file, or a real folder holding only such entries (no links followed). */
async function holdsNoData(file: string): Promise<boolean> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat) return false;
  if (stat.isFile()) return stat.size === 0;
  if (!stat.isDirectory()) return false;
  for (const name of await fs.readdir(file)) if (!(await holdsNoData(path.join(file, name)))) return false;
  return true;
}

/** The new entries since `before`, in `after`: the pure part. */
export function newEntries(before: readonly string[], after: readonly string[]): string[] {
  const had = new Set(before);
  // A new top-level `.claude` covers everything below it.
  return after.filter(
    (entry) => !had.has(entry) && !(!had.has('.claude') && entry.startsWith(`.claude${path.sep}`)),
  );
}

/** Removes the stubs the sandbox left; returns the new entries it left in place because they hold data. */
export async function removeStubs(snapshot: StubSnapshot): Promise<string[]> {
  const kept: string[] = [];
  for (const entry of newEntries(snapshot.entries, await list(snapshot.workspace))) {
    const file = path.join(snapshot.workspace, entry);
    if (await holdsNoData(file)) await fs.rm(file, { recursive: true, force: true });
    else kept.push(entry);
  }
  return kept;
}
