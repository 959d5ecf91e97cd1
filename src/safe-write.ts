/**
 * The one way the action creates a file in a place someone else could have touched (the workspace, the
 * runner's file-command files, a backup directory): O_CREAT|O_EXCL|O_NOFOLLOW, so an existing entry —
 * a planted symbolic link above all — makes it fail rather than be followed or replaced; created 0600
 * and given its final mode through the open descriptor, never by path.
 */
import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `file` holding `content` with `mode`; fails (EEXIST, ELOOP) if anything is already there. */
export async function writeNewFile(file: string, content: Buffer, mode: number): Promise<void> {
  const handle = await open(file, FLAGS, 0o600);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode & 0o7777);
  } finally {
    await handle.close();
  }
}

/** The synchronous form, for the post step's file-command restore. */
export function writeNewFileSync(file: string, content: Buffer, mode: number): void {
  const fd = openSync(file, FLAGS, 0o600);
  try {
    fchmodSync(fd, mode & 0o7777);
    for (let off = 0; off < content.length;) off += writeSync(fd, content, off, content.length - off);
  } finally {
    closeSync(fd);
  }
}
