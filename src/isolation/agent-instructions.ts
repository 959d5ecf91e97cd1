/**
 * Instruction files a pull request controls, pinned to the base branch while the agent runs
 * (threat-model X7: a PR that adds or edits what the CLI reads as instructions).
 *
 * `--setting-sources ''` already stops the CLI loading the checkout's settings, MCP servers and
 * memory files (observed on 2.1.332: with it, none of CLAUDE.md, CLAUDE.local.md, AGENTS.md, a
 * subdirectory's CLAUDE.md or AGENTS.md, `.claude/{agents,commands,skills,rules}` reach the model;
 * without it they all do — AGENTS.md when there is no CLAUDE.md, `@path` imports included). This
 * module is the second layer, so that no flag mistake or CLI change lets a PR speak as the project:
 *
 * - `instructionChanges` picks, from the PR's changed files, the paths matching INSTRUCTION_PATTERNS
 *   (both sides of a rename, case-insensitive because macOS runners are).
 * - `pinInstructionsToBase` saves the working tree's version of each such path (content and mode, the
 *   link itself, or its absence) into a private backup directory, then puts the base commit's version
 *   in its place (absent at base → removed). It never writes through a symbolic link: an existing
 *   entry is removed before a new one is created with O_EXCL|O_NOFOLLOW, and a path whose parent
 *   directory is a link in the PR is refused (fail closed) unless that link is itself pinned.
 * - `restoreInstructions` puts the saved versions back exactly and removes the directories pinning
 *   created; it is idempotent, so the post step may run it again.
 *
 * The PinRecord is plain JSON for the main → post hand-over; contents stay in the backup directory.
 */
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createGit, splitNul } from '../git-runner.js';
import { writeNewFile } from '../safe-write.js';

/**
 * What the CLI reads as instructions, as globs: a leading `**` plus slash is any number of
 * directories (none included), `*` one name, and a trailing slash plus `**` also matches the
 * directory itself, so a file or link standing in for it is caught. The bare `.claude` entry catches
 * a PR that makes `.claude` a link to a directory of its choosing.
 */
export const INSTRUCTION_PATTERNS: readonly string[] = [
  '**/CLAUDE.md',
  '**/CLAUDE.local.md',
  '**/AGENTS.md',
  '**/.claude',
  '**/.claude/agents/**',
  '**/.claude/commands/**',
  '**/.claude/skills/**',
  '**/.claude/output-styles/**',
  '**/.claude/rules/**',
];

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*\/|\/\*\*$|\*)/)
    .map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '/**') return '(?:/.*)?';
      if (part === '*') return '[^/]*';
      return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`, 'i');
}

const INSTRUCTION_RES = INSTRUCTION_PATTERNS.map(globToRegExp);
const isInstruction = (path: string) => INSTRUCTION_RES.some((re) => re.test(path));

export interface ChangedFile {
  path: string;
  /** added, modified, removed, renamed, copied, … (only renames and copies carry previousPath). */
  status: string;
  previousPath?: string;
}

/** Instruction paths the PR touches, sorted: the new path, and the old one of a rename or copy. */
export function instructionChanges(files: ChangedFile[]): string[] {
  const hits = new Set<string>();
  for (const file of files) {
    for (const path of [file.path, file.previousPath]) {
      if (path !== undefined && isInstruction(path)) hits.add(path);
    }
  }
  return [...hits].sort();
}

/** A path's version at a commit. A directory (or submodule) there counts as absent for the path. */
export type BaseVersion =
  | { kind: 'absent' }
  | { kind: 'file'; executable: boolean; content: Buffer }
  | { kind: 'symlink'; target: Buffer };

export interface GitPort {
  show(sha: string, path: string): Promise<BaseVersion>;
}

/** The working tree's version of a path before pinning. */
export type SavedVersion =
  | { kind: 'absent' }
  /** `backup` is a file name in the backup directory; mode holds the permission bits. */
  | { kind: 'file'; mode: number; backup: string; sha256: string }
  /** The link target, base64 (a target need not be UTF-8). */
  | { kind: 'symlink'; target: string };

export interface PinnedFile {
  path: string;
  saved: SavedVersion;
  /** What now stands at the path. */
  base: BaseVersion['kind'];
  /** Directories created to hold the base version, outermost first; removed again on restore. */
  createdDirs: string[];
}

export interface PinRecord {
  version: 1;
  workspace: string;
  backupDir: string;
  /** In pinning order: ancestors before descendants. */
  files: PinnedFile[];
}

export interface PinOptions {
  workspace: string;
  baseSha: string;
  /** Paths from `instructionChanges`, relative to the workspace. */
  changed: string[];
  git: GitPort;
  /** Private directory for the saved versions (created 0700), under RUNNER_TEMP. */
  backupDir: string;
}

function checkRelative(path: string): string[] {
  const parts = path.split('/');
  if (
    path.startsWith('/') ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.toLowerCase() === '.git')
  ) {
    throw new Error(`instruction pinning: '${path}' is not a plain path inside the repository`);
  }
  return parts;
}

/** 'ok' when every parent of `path` is a real directory; else where the chain stops. */
async function parents(
  workspace: string,
  path: string,
): Promise<{ state: 'ok' } | { state: 'missing' } | { state: 'blocked'; at: string }> {
  const parts = checkRelative(path);
  for (let i = 1; i < parts.length; i++) {
    const at = parts.slice(0, i).join('/');
    const stat = await lstat(join(workspace, at)).catch(ignoreMissing);
    if (!stat) return { state: 'missing' };
    if (!stat.isDirectory()) return { state: 'blocked', at };
  }
  return { state: 'ok' };
}

/** Creates the missing parents of `path` one level at a time (never through a link); returns them. */
async function makeParents(workspace: string, path: string): Promise<string[]> {
  const parts = checkRelative(path);
  const created: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const at = parts.slice(0, i).join('/');
    const stat = await lstat(join(workspace, at)).catch(ignoreMissing);
    if (stat?.isDirectory()) continue;
    if (stat)
      throw new Error(`instruction pinning: '${at}' is not a directory, so '${path}' cannot be written`);
    await mkdir(join(workspace, at), { mode: 0o755 });
    created.push(at);
  }
  return created;
}

function ignoreMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw error;
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

async function save(
  workspace: string,
  path: string,
  backupDir: string,
  index: number,
): Promise<SavedVersion> {
  const where = await parents(workspace, path);
  if (where.state === 'blocked') {
    throw new Error(
      `instruction pinning: the pull request makes '${where.at}' a symbolic link or file, so '${path}' ` +
        'cannot be pinned to the base branch without following it; refusing to run',
    );
  }
  if (where.state === 'missing') return { kind: 'absent' };
  const file = join(workspace, path);
  const stat = await lstat(file).catch(ignoreMissing);
  if (!stat) return { kind: 'absent' };
  if (stat.isSymbolicLink()) {
    return { kind: 'symlink', target: (await readlink(file, { encoding: 'buffer' })).toString('base64') };
  }
  if (!stat.isFile()) {
    throw new Error(
      `instruction pinning: '${path}' is not a regular file or link in the pull request; refusing to run`,
    );
  }
  const content = await readFile(file);
  const backup = `pr-${index}`;
  await writeNewFile(join(backupDir, backup), content, 0o600);
  return { kind: 'file', mode: stat.mode & 0o7777, backup, sha256: sha256(content) };
}

async function writeBase(file: string, base: BaseVersion): Promise<void> {
  if (base.kind === 'file') await writeNewFile(file, base.content, base.executable ? 0o755 : 0o644);
  if (base.kind === 'symlink') await symlink(base.target, file);
}

const depth = (path: string) => path.split('/').length;

export async function pinInstructionsToBase(options: PinOptions): Promise<PinRecord> {
  const { workspace, backupDir } = options;
  await mkdir(backupDir, { recursive: true, mode: 0o700 });
  await chmod(backupDir, 0o700);
  const record: PinRecord = { version: 1, workspace, backupDir, files: [] };
  const paths = [...new Set(options.changed)].sort(
    (a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0),
  );
  try {
    for (const path of paths) {
      const saved = await save(workspace, path, backupDir, record.files.length);
      const base = await options.git.show(options.baseSha, path);
      const entry: PinnedFile = { path, saved, base: base.kind, createdDirs: [] };
      record.files.push(entry);
      const file = join(workspace, path);
      await rm(file, { force: true });
      if (base.kind === 'absent') continue;
      entry.createdDirs = await makeParents(workspace, path);
      await writeBase(file, base);
    }
  } catch (error) {
    await restoreInstructions(record).catch((undo: unknown) => {
      throw new Error(
        `${String(error)}; putting the pull request's versions back also failed: ${String(undo)}`,
      );
    });
    throw error;
  }
  return record;
}

/** Puts every saved version back, last pinned first. Safe to run more than once. */
export async function restoreInstructions(record: PinRecord): Promise<void> {
  const { workspace } = record;
  for (const entry of [...record.files].reverse()) {
    const file = join(workspace, entry.path);
    const where = await parents(workspace, entry.path);
    if (where.state === 'blocked') {
      // Behind a link nothing is ours to touch; that is only right if the PR had nothing there.
      if (entry.saved.kind !== 'absent') {
        throw new Error(
          `instruction restore: '${where.at}' is no longer a directory, so '${entry.path}' cannot be restored`,
        );
      }
    } else {
      if (where.state === 'ok') await rm(file, { recursive: true, force: true });
      if (entry.saved.kind !== 'absent') await makeParents(workspace, entry.path);
      if (entry.saved.kind === 'symlink') await symlink(Buffer.from(entry.saved.target, 'base64'), file);
      if (entry.saved.kind === 'file') {
        const content = await readFile(join(record.backupDir, entry.saved.backup));
        if (sha256(content) !== entry.saved.sha256) {
          throw new Error(
            `instruction restore: the backup of '${entry.path}' was modified; not restoring it`,
          );
        }
        await writeNewFile(file, content, entry.saved.mode);
      }
    }
    for (const dir of [...entry.createdDirs].reverse()) {
      if ((await parents(workspace, dir)).state !== 'ok') continue;
      if ((await lstat(join(workspace, dir)).catch(ignoreMissing))?.isDirectory()) {
        await rm(join(workspace, dir), { recursive: true, force: true });
      }
    }
  }
}

/**
 * The real GitPort: `git ls-tree` for the entry's type, `git cat-file blob` for its raw bytes (no
 * filters, so no smudge driver runs), through the git runner (fixed environment, hardening flags).
 */
export function execGit(workspace: string, gitPath = '/usr/bin/git'): GitPort {
  const git = createGit(gitPath, { workspace });
  const fail = (what: string, code: number, stderr: string) =>
    new Error(
      `git ${what} failed (exit ${code}): ${stderr.trim()}. The pull request's base commit must be in the ` +
        'local repository: check out with `fetch-depth: 0`, or fetch the base commit before claude-guard.',
    );
  return {
    async show(sha, path) {
      const listed = await git.exec(['ls-tree', '-z', '--full-tree', sha, '--', path]);
      if (listed.exitCode !== 0) throw fail('ls-tree', listed.exitCode, listed.stderr);
      const line = splitNul(listed.stdout).find((l) => l.endsWith(`\t${path}`));
      const [mode, type, oid] = line?.split('\t')[0].split(' ') ?? [];
      if (type !== 'blob' || !['100644', '100755', '120000'].includes(mode)) return { kind: 'absent' };
      const blob = await git.exec(['cat-file', 'blob', oid]);
      if (blob.exitCode !== 0) throw fail('cat-file', blob.exitCode, blob.stderr);
      const content = blob.stdout;
      if (mode === '120000') return { kind: 'symlink', target: content };
      return { kind: 'file', executable: mode === '100755', content };
    },
  };
}
