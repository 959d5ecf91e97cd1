/**
 * The runner file-command tamper check (threat-model rows S7 and X4).
 *
 * After a step ends, the runner applies the files named by GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT,
 * GITHUB_STATE and GITHUB_STEP_SUMMARY. An agent that appends `LD_PRELOAD=…` or `BASH_ENV=…` to
 * GITHUB_ENV, or a directory to GITHUB_PATH, owns every later step, our post step included.
 *
 * The action writes nothing to these files while the agent runs, and writes its own outputs only
 * after the agent has ended. So: `snapshotFileCommands` right before the agent starts (content kept
 * in memory, paths fixed then), `verifyUnchanged` right after it ends and before the action writes
 * anything, and `discardTampering` puts every changed file back byte for byte (or removes a file that
 * did not exist), so tampered content is never applied. Nothing here follows a symbolic link, opens a
 * pipe blockingly, or writes into an inode other than the one recorded. Reports carry names, paths and
 * byte counts only — never content, which is the agent's text.
 */
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync } from 'node:fs';
import { readFileSync, rmSync, writeSync, type Stats } from 'node:fs';
import { writeNewFileSync } from '../safe-write.js';

export const FILE_COMMANDS = [
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
] as const;
export type FileCommand = (typeof FILE_COMMANDS)[number];

interface RecordedFile {
  name: FileCommand;
  file: string;
  /** null: the file did not exist. */
  content: Buffer | null;
  mode: number;
  dev: number;
  ino: number;
}

export type FileCommandSnapshot = readonly RecordedFile[];

/** What is at a path now, seen without following links. */
export type Observed =
  { kind: 'absent' } | { kind: 'not-regular'; type: string } | { kind: 'file'; content: Buffer };

export interface Tampering {
  name: FileCommand;
  file: string;
  detail: string;
}

export interface Discarded {
  name: FileCommand;
  file: string;
  action: 'rewritten' | 'recreated' | 'removed';
}

/** How a file changed since the snapshot, in words without its content; null when unchanged. */
export function describeChange(before: Buffer | null, after: Observed): string | null {
  if (before === null) {
    if (after.kind === 'absent') return null;
    return after.kind === 'file' ? `created (${after.content.length} bytes)` : `created as a ${after.type}`;
  }
  if (after.kind === 'absent') return 'deleted';
  if (after.kind === 'not-regular') return `replaced by a ${after.type}`;
  if (after.content.equals(before)) return null;
  if (after.content.subarray(0, before.length).equals(before)) {
    return `${after.content.length - before.length} bytes appended`;
  }
  return `rewritten (${before.length} → ${after.content.length} bytes)`;
}

/** Records every file-command file the runner gave this step. Throws if one is not a regular file. */
export function snapshotFileCommands(env: NodeJS.ProcessEnv = process.env): FileCommandSnapshot {
  return FILE_COMMANDS.flatMap((name) => {
    const file = env[name];
    if (!file) return [];
    const seen = observe(file);
    if (seen.observed.kind === 'not-regular') {
      throw new Error(
        `${name} (${file}) is a ${seen.observed.type}, not a regular file, before the agent started; an earlier step tampered with the runner's file commands`,
      );
    }
    const content = seen.observed.kind === 'file' ? seen.observed.content : null;
    return [
      {
        name,
        file,
        content,
        mode: seen.stats?.mode ?? 0o644,
        dev: seen.stats?.dev ?? 0,
        ino: seen.stats?.ino ?? 0,
      },
    ];
  });
}

/** Every file-command file that differs from the snapshot. */
export function verifyUnchanged(before: FileCommandSnapshot): Tampering[] {
  return before.flatMap(({ name, file, content }) => {
    const detail = describeChange(content, observe(file).observed);
    return detail === null ? [] : [{ name, file, detail }];
  });
}

/**
 * Puts every changed file back exactly as snapshotted. A regular file that is still the recorded inode
 * (and has no other hard link) is rewritten in place; anything else at the path — a link, a pipe, a
 * directory, another inode — is removed and a fresh file created with the recorded content and mode.
 */
export function discardTampering(before: FileCommandSnapshot): Discarded[] {
  return before.flatMap((recorded): Discarded[] => {
    const { name, file, content } = recorded;
    if (describeChange(content, observe(file).observed) === null) return [];
    if (content === null) {
      rmSync(file, { recursive: true, force: true });
      return [{ name, file, action: 'removed' }];
    }
    if (rewriteInPlace(recorded, content)) return [{ name, file, action: 'rewritten' }];
    rmSync(file, { recursive: true, force: true });
    writeNewFileSync(file, content, recorded.mode);
    return [{ name, file, action: 'recreated' }];
  });
}

function rewriteInPlace(recorded: RecordedFile, content: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(recorded.file, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.nlink !== 1 || stats.ino !== recorded.ino || stats.dev !== recorded.dev)
      return false;
    ftruncateSync(fd, 0);
    writeAll(fd, content);
    return true;
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, content: Buffer): void {
  for (let done = 0; done < content.length;)
    done += writeSync(fd, content, done, content.length - done, done);
}

function observe(file: string): { observed: Observed; stats?: Stats } {
  let stats: Stats;
  try {
    stats = lstatSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { observed: { kind: 'absent' } };
    throw error;
  }
  if (!stats.isFile()) return { observed: { kind: 'not-regular', type: fileType(stats) } };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return {
      observed: {
        kind: 'not-regular',
        type: `file that cannot be read (${(error as NodeJS.ErrnoException).code})`,
      },
    };
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) return { observed: { kind: 'not-regular', type: fileType(opened) } };
    return { observed: { kind: 'file', content: readFileSync(fd) }, stats: opened };
  } finally {
    closeSync(fd);
  }
}

function fileType(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'symbolic link';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'named pipe';
  if (stats.isSocket()) return 'socket';
  return 'device';
}
