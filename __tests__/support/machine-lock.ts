/**
 * One action run at a time on this machine: the strict level uses one agent user and one firewall chain,
 * and several jest workers (or several checkouts of the repository) may run end-to-end files at once.
 * (A real runner runs one job at a time.)
 *
 * The lock is a directory holding the owner's pid; a lock whose owner died is taken over. It is
 * re-entrant within one process, so a test file can hold it for its whole run (hold-machine-lock.ts, set
 * up for the e2e and integration projects: the wait happens in `beforeAll` with its own budget and never
 * counts against a test's timeout) while helpers such as `scenario()` still take it for ad-hoc use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MACHINE_LOCK = path.join(os.tmpdir(), 'claude-guard-e2e.lock');
/** How long a test file waits for the lock before it gives up: other checkouts may hold it for a while. */
export const LOCK_WAIT_MS = 60 * 60 * 1000;

// The depth lives on the global object, not in this module: jest may load this module more than once in
// one test file (setup file and test modules), and the count must be shared.
const DEPTH = Symbol.for('claude-guard.machine-lock.depth');
const state = globalThis as unknown as Record<symbol, number | undefined>;

/** Whether the lock's owner still holds it: a live process other than this one. */
function ownerAlive(lock: string): boolean {
  let owner = 0;
  try {
    owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    // Being written right now (mkdir done, pid not yet): treat as alive.
    return true;
  }
  if (!owner) return true;
  // Held by this process while this test file holds nothing: left by an earlier file of the same jest
  // process (one file at a time per process), whose afterAll never ran.
  if (owner === process.pid) return false;
  try {
    process.kill(owner, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (up to `waitMs`) until this process holds the machine lock. */
export async function acquireMachineLock(waitMs = LOCK_WAIT_MS, lock = MACHINE_LOCK): Promise<void> {
  if ((state[DEPTH] ?? 0) > 0) {
    state[DEPTH] = (state[DEPTH] ?? 0) + 1;
    return;
  }
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      state[DEPTH] = 1;
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!ownerAlive(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`the machine lock ${lock} was not free within ${Math.round(waitMs / 1000)} s`);
    if (!told) {
      told = true;
      process.stderr.write(`waiting for the machine lock ${lock} (held by another test run)\n`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function releaseMachineLock(lock = MACHINE_LOCK): void {
  const depth = state[DEPTH] ?? 0;
  if (depth === 0) return;
  state[DEPTH] = depth - 1;
  if (depth === 1) fs.rmSync(lock, { recursive: true, force: true });
}

export async function withMachineLock<T>(work: () => Promise<T>): Promise<T> {
  await acquireMachineLock();
  try {
    return await work();
  } finally {
    releaseMachineLock();
  }
}
