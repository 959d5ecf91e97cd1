/**
 * One teardown for main and post: `undoAll(record)` undoes what the teardown record (record.ts) names,
 * each stage on its own — a failure is a warning and the next stage still runs; running it twice is
 * harmless. Main undoes from its live record (src/run.ts, on success, failure and cancellation); the
 * post step from the record it rebuilt from state (src/cleanup.ts), and also removes the run directory.
 *
 * Order: the agent's processes die first; then the runner's own files come back (provider credential
 * files, instruction files, checkout credentials) — on a cancellation the runner gives the step only
 * seconds, and these are what later steps need; then the isolation, the job's checkout (an on-demand
 * run checked out the PR's head) and the key proxy. If the agent's
 * processes could not be confirmed dead, its isolation is undone before anything secret is put back.
 * Each part is taken out of the record before it is undone: a cancellation during the normal undo (or
 * the reverse) never undoes anything twice.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killGroup } from '../agent/claude-cli.js';
import { endTree, isOurCgroup, SUDO_PATHS, type ProcessTree } from '../agent/process-tree.js';
import {
  openBackup,
  restoreCheckoutCredentials,
  type CredentialsBackup,
  type RestoreOutcome,
} from '../isolation/credentials.js';
import { restoreInstructions, type PinRecord } from '../isolation/agent-instructions.js';
import { undoIsolation, type UndoRecord } from '../isolation/launcher.js';
import type { KeyProxyProcess, KeyProxySummary } from '../isolation/key-proxy-process.js';
import { realSystem } from '../isolation/system.js';
import { isolationAlreadyUndone } from '../isolation/teardown-mark.js';
import { restoreHiddenFiles } from '../providers/credential-files.js';
import { restoreCheckoutFromRecord } from '../triggers/workspace.js';
import type { TeardownRecord } from './record.js';

/** The effects the teardown needs (real ones by default; fakes in the stage tests). */
export interface UndoPorts {
  killGroup(pgid: number): boolean;
  endTree(tree: ProcessTree): Promise<number>;
  undoIsolation(record: UndoRecord): Promise<string[]>;
  isolationAlreadyUndone(runDir: string, record: UndoRecord): boolean;
  restoreHiddenFiles(dir: string): string | undefined;
  restoreInstructions(record: PinRecord): Promise<void>;
  restoreCredentials(backup: CredentialsBackup): Promise<{ file: string; outcome: RestoreOutcome }[]>;
  /** The sealed backup, opened with its key (post). */
  openSealed(file: string, key: string): CredentialsBackup;
  removeFile(file: string): void;
  /** Kills the key proxy by pid, only if that pid is still our proxy (post). */
  killProxy(pid: number): string;
  /** Puts the job's checkout back from the record in the run dir (post; triggers/workspace.ts). */
  restoreCheckout(runDir: string): Promise<string | undefined>;
  /** Removes the run directory, only if it is ours (post). */
  removeRunDir(runDir: string, runnerTemp: string | undefined): string;
}

/** How each stage's result is reported: main warns on failure only; post logs every stage. */
export interface UndoLog {
  done(stage: UndoStage, message: string): void;
  failed(stage: UndoStage, error: Error): void;
}

export interface UndoStage {
  /** The post step's name for it. */
  name: string;
  /** What main says it was doing when it failed. */
  doing: string;
}

export const STAGES = {
  agent: { name: 'stop the agent', doing: "Stopping the agent's process group" },
  tree: { name: "stop the agent's process tree", doing: "Stopping the agent's processes" },
  isolation: { name: 'undo isolation', doing: 'Undoing isolation' },
  hidden: { name: 'move provider credential files back', doing: 'Moving credential files back' },
  instructions: {
    name: 'restore agent-instruction files',
    doing: "Restoring the PR's agent-instruction files",
  },
  credentials: { name: 'restore checkout credentials', doing: 'Restoring checkout credentials' },
  checkout: { name: "put the job's checkout back", doing: "Putting the job's checkout back" },
  proxy: { name: 'stop the key proxy', doing: 'Stopping the key proxy' },
  runDir: { name: 'remove generated files', doing: 'Removing generated files' },
} as const satisfies Record<string, UndoStage>;

export interface UndoOptions {
  log: UndoLog;
  /** A cancelled run: wait at most a second for the key proxy (the report still has to be written). */
  cancelling?: boolean;
  /** The post step: remove the run directory too (under this RUNNER_TEMP). */
  removeRunDir?: { runnerTemp: string | undefined };
  /** Credentials could not be restored: the key must survive for the post step (main saves it in state). */
  onCredentialsLeft?: (key: string) => void;
}

export interface UndoResult {
  /** The isolation was undone completely (main then marks it, so post need not repeat it). */
  isolationUndone: boolean;
  /** The key proxy's final report, when main stopped it here. */
  proxy?: KeyProxySummary;
}

export const realUndoPorts: UndoPorts = {
  killGroup: (pgid) => killGroup(pgid),
  endTree: (tree) => endTree(tree),
  undoIsolation: (record) => undoIsolation(record, realSystem),
  isolationAlreadyUndone,
  restoreHiddenFiles,
  restoreInstructions,
  restoreCredentials: (backup) => restoreCheckoutCredentials(backup),
  openSealed: (file, key) => openBackup(readFileSync(file), key),
  removeFile: (file) => rmSync(file, { force: true }),
  restoreCheckout: (runDir) => restoreCheckoutFromRecord(runDir),
  killProxy,
  removeRunDir,
};

function parsed<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}

/** The saved tree, checked before anything is killed by it (post reads it from state). */
function checkedTree(value: ProcessTree | string): ProcessTree {
  const tree = parsed(value);
  if (typeof tree.marker !== 'string' || !/^cg-[0-9a-f-]{36}$/.test(tree.marker))
    throw new Error('the saved process tree has no valid run marker');
  if (tree.cgroup !== undefined && !(typeof tree.cgroup === 'string' && isOurCgroup(tree.cgroup)))
    throw new Error(`refusing to touch cgroup '${String(tree.cgroup)}': not a claude-guard cgroup`);
  if (tree.sudo !== undefined && !SUDO_PATHS.includes(tree.sudo))
    throw new Error(`refusing to run '${String(tree.sudo)}' for the process tree: not a known sudo path`);
  return tree;
}

export async function undoAll(
  record: TeardownRecord,
  opts: UndoOptions,
  ports: UndoPorts = realUndoPorts,
): Promise<UndoResult> {
  const result: UndoResult = { isolationUndone: false };
  /** Runs one stage; true when it did not fail. */
  const stage = async (which: UndoStage, work: () => Promise<string | undefined> | string | undefined) => {
    try {
      const done = await work();
      if (done) opts.log.done(which, done);
      return true;
    } catch (err) {
      opts.log.failed(which, err instanceof Error ? err : new Error(String(err)));
      return false;
    }
  };

  const { agentPgid, tree, isolation } = record;
  record.agentPgid = record.tree = record.isolation = undefined;
  if (agentPgid) {
    await stage(STAGES.agent, () =>
      ports.killGroup(agentPgid) ? `killed leftover process group ${agentPgid}` : 'no agent process left',
    );
  }
  let agentGone = true;
  if (tree) {
    agentGone = await stage(STAGES.tree, async () => {
      const killed = await ports.endTree(checkedTree(tree));
      return killed ? `killed ${killed} leftover agent process(es)` : 'no agent process left';
    });
  }
  const runDir = record.runDir ?? '';
  const undoTheIsolation = () =>
    isolation &&
    stage(STAGES.isolation, async () => {
      const undo = parsed(isolation);
      if (ports.isolationAlreadyUndone(runDir, undo)) return `${undo.level}: already undone by the main step`;
      const problems = await ports.undoIsolation(undo);
      if (problems.length) throw new Error(problems.join('; '));
      result.isolationUndone = true;
      return `${undo.level}: ${undo.dirs.length} agent dir(s), ${undo.acls.length} ACL(s), ${undo.modes.length} mode change(s)${undo.egress ? ', firewall chain' : ''} undone`;
    });
  if (!agentGone) await undoTheIsolation();

  const { hiddenFilesIn, instructions, credentials } = record;
  record.hiddenFilesIn = record.instructions = record.credentials = undefined;
  if (hiddenFilesIn) await stage(STAGES.hidden, () => ports.restoreHiddenFiles(hiddenFilesIn));
  if (instructions) {
    await stage(STAGES.instructions, async () => {
      await ports.restoreInstructions(parsed(instructions));
      return "the PR's versions are in place";
    });
  }
  if (credentials) {
    const restored = await stage(STAGES.credentials, async () => {
      let backup = credentials.backup;
      if (!backup) {
        if (!existsSync(credentials.sealedFile)) return undefined;
        if (!credentials.key) {
          throw new Error(
            'the main step ended without handing over the key of the sealed backup (was it killed while the agent ran?); the checkout credentials cannot be restored — run actions/checkout again before a step that needs git auth',
          );
        }
        backup = ports.openSealed(credentials.sealedFile, credentials.key);
      }
      const outcomes = await ports.restoreCredentials(backup);
      ports.removeFile(credentials.sealedFile);
      return outcomes.map((o) => `${o.file}: ${o.outcome}`).join('; ') || 'nothing to restore';
    });
    // Only now, with the agent gone, does the key leave memory: the post step needs it to retry.
    if (!restored && credentials.backup && credentials.key) opts.onCredentialsLeft?.(credentials.key);
  }
  if (agentGone) await undoTheIsolation();

  const checkout = record.checkout;
  record.checkout = undefined;
  if (checkout?.undo) {
    const undo = checkout.undo;
    await stage(STAGES.checkout, async () => {
      await undo();
      return undefined;
    });
  } else if (checkout?.recordIn) {
    const dir = checkout.recordIn;
    await stage(STAGES.checkout, () => ports.restoreCheckout(dir));
  }

  const proxy = record.proxy;
  record.proxy = undefined;
  if (proxy) await stage(STAGES.proxy, async () => stopProxy(proxy, opts, ports, result));
  if (opts.removeRunDir && record.runDir) {
    const dir = record.runDir;
    await stage(STAGES.runDir, () => ports.removeRunDir(dir, opts.removeRunDir?.runnerTemp));
  }
  return result;
}

async function stopProxy(
  proxy: NonNullable<TeardownRecord['proxy']>,
  opts: UndoOptions,
  ports: UndoPorts,
  result: UndoResult,
): Promise<string | undefined> {
  const running: KeyProxyProcess | undefined =
    proxy.running ?? (await proxy.starting?.catch(() => undefined));
  if (!running) return proxy.pid ? ports.killProxy(proxy.pid) : undefined;
  // A cancelled run has seconds before the runner kills the step, and the report still has to be
  // written: wait at most a second for the proxy (it may hold a hung upstream request); the post step
  // stops whatever is left, by the pid saved in state.
  const stopping = running.stop().catch(() => undefined);
  result.proxy = opts.cancelling
    ? await Promise.race([
        stopping,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref()),
      ])
    : await stopping;
  return undefined;
}

/** Kill the proxy only if that pid is still our proxy (pids are reused). */
function killProxy(pid: number): string {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'no key proxy left';
  }
  if (!cmdline.includes(`${path.sep}proxy${path.sep}index.js`)) return 'no key proxy left';
  process.kill(pid, 'SIGKILL');
  return `killed leftover key proxy ${pid}`;
}

/** Remove the run directory — only if it really is ours: a claude-guard-* directory directly under RUNNER_TEMP. */
function removeRunDir(runDir: string, runnerTemp: string | undefined): string {
  const resolved = path.resolve(runDir);
  if (
    !runnerTemp ||
    path.dirname(resolved) !== path.resolve(runnerTemp) ||
    !path.basename(resolved).startsWith('claude-guard-')
  ) {
    throw new Error(`refusing to remove '${runDir}': not a claude-guard directory under RUNNER_TEMP`);
  }
  if (!existsSync(resolved)) return 'nothing left to remove';
  const entries = listRecursive(resolved);
  rmSync(resolved, { recursive: true, force: true });
  return `removed ${resolved} (${entries.length} entries: ${entries.slice(0, 12).join(', ')}${entries.length > 12 ? ', …' : ''})`;
}

function listRecursive(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, entry.name);
    out.push(rel);
    if (entry.isDirectory() && !entry.isSymbolicLink())
      out.push(...listRecursive(path.join(dir, entry.name), rel));
  }
  return out;
}
