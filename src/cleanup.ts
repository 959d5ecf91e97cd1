/**
 * The post step: always runs, never fails the job. Every stage turns its own failure into a
 * warning and the next stage still runs; running it twice is harmless. It spawns nothing through
 * the job's PATH: tools come from system directories with a minimal environment (system-tools.ts).
 */
import * as core from '@actions/core';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AGENT_PGID_FILE, INSTRUCTIONS_FILE, readState } from './state.js';
import { restoreInstructions, type PinRecord } from './isolation/agent-instructions.js';
import { killGroup } from './agent/claude-cli.js';
import { openBackup, restoreCheckoutCredentials, SEALED_BACKUP_FILE } from './isolation/credentials.js';
import { endTree, isOurCgroup, SUDO_PATHS, type ProcessTree } from './agent/process-tree.js';
import { undoIsolation, type UndoRecord } from './isolation/launcher.js';
import { realSystem } from './isolation/system.js';
import { isolationAlreadyUndone } from './isolation/teardown-mark.js';
import { restoreHiddenFiles } from './providers/credential-files.js';
import { restoreCheckoutFromRecord } from './triggers/workspace.js';

type Stage = [name: string, action: () => Promise<string | undefined> | string | undefined];

export async function cleanup(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const runDir = readState('runDir', env);
  const stages: Stage[] = [
    ['stop the agent', () => stopAgent(readText(runDir && path.join(runDir, AGENT_PGID_FILE)))],
    ["stop the agent's process tree", () => stopTree(readState('tree', env))],
    ['stop the key proxy', () => stopProxy(readState('proxyPid', env))],
    ['undo isolation', () => undoIsolationFromState(readState('undo', env), runDir)],
    ['restore checkout credentials', () => restoreCredentials(runDir, readState('credentialsKey', env))],
    ['move provider credential files back', () => (runDir ? restoreHiddenFiles(runDir) : undefined)],
    ['restore agent-instruction files', () => restoreInstructionFiles(runDir)],
    ["put the job's checkout back", () => restoreCheckoutFromRecord(runDir)],
    ['remove generated files', () => removeRunDir(runDir, env.RUNNER_TEMP)],
  ];
  for (const [name, action] of stages) {
    try {
      const done = await action();
      if (done) core.info(`claude-guard post: ${name}: ${done}`);
    } catch (err) {
      core.warning(`claude-guard post: ${name} failed: ${(err as Error).message}`);
    }
  }
}

function readText(file: string): string {
  try {
    return file ? readFileSync(file, 'utf8').trim() : '';
  } catch {
    return '';
  }
}

/** Kill every process of the run's tree (cgroup and marker) — also what escaped with setsid or a double fork. */
async function stopTree(treeText: string): Promise<string | undefined> {
  if (!treeText) return undefined;
  const tree = JSON.parse(treeText) as ProcessTree;
  if (typeof tree.marker !== 'string' || !/^cg-[0-9a-f-]{36}$/.test(tree.marker))
    throw new Error('the saved process tree has no valid run marker');
  if (tree.cgroup !== undefined && !(typeof tree.cgroup === 'string' && isOurCgroup(tree.cgroup)))
    throw new Error(`refusing to touch cgroup '${String(tree.cgroup)}': not a claude-guard cgroup`);
  if (tree.sudo !== undefined && !SUDO_PATHS.includes(tree.sudo))
    throw new Error(`refusing to run '${String(tree.sudo)}' for the process tree: not a known sudo path`);
  const killed = await endTree(tree);
  return killed ? `killed ${killed} leftover agent process(es)` : 'no agent process left';
}

function stopAgent(pgidText: string): string | undefined {
  const pgid = Number(pgidText);
  if (!Number.isInteger(pgid) || pgid <= 1) return undefined;
  return killGroup(pgid) ? `killed leftover process group ${pgid}` : 'no agent process left';
}

/** Kill the proxy only if that pid is still our proxy (pids are reused). */
function stopProxy(pidText: string): string | undefined {
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
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

/** Kill the agent user's processes, remove firewall rules, ACLs, mode changes and agent dirs — from the record alone. */
async function undoIsolationFromState(recordText: string, runDir: string): Promise<string | undefined> {
  if (!recordText) return undefined;
  const record = JSON.parse(recordText) as UndoRecord;
  if (isolationAlreadyUndone(runDir, record)) return `${record.level}: already undone by the main step`;
  const problems = await undoIsolation(record, realSystem);
  if (problems.length) throw new Error(problems.join('; '));
  return `${record.level}: ${record.dirs.length} agent dir(s), ${record.acls.length} ACL(s), ${record.modes.length} mode change(s)${record.egress ? ', firewall chain' : ''} undone`;
}

/** Main restores the credentials itself; a sealed backup left behind means it could not (or was killed). */
async function restoreCredentials(runDir: string, key: string): Promise<string | undefined> {
  const file = runDir && path.join(runDir, SEALED_BACKUP_FILE);
  if (!file || !existsSync(file)) return undefined;
  if (!key) {
    throw new Error(
      'the main step ended without handing over the key of the sealed backup (was it killed while the agent ran?); the checkout credentials cannot be restored — run actions/checkout again before a step that needs git auth',
    );
  }
  const backup = openBackup(readFileSync(file), key);
  const outcomes = await restoreCheckoutCredentials(backup);
  return outcomes.map((o) => `${o.file}: ${o.outcome}`).join('; ') || 'nothing to restore';
}

/** Put the PR's CLAUDE.md & co. back if main could not (idempotent). */
async function restoreInstructionFiles(runDir: string): Promise<string | undefined> {
  const file = runDir && path.join(runDir, INSTRUCTIONS_FILE);
  if (!file || !existsSync(file)) return undefined;
  await restoreInstructions(JSON.parse(readFileSync(file, 'utf8')) as PinRecord);
  return "the PR's versions are in place";
}

/** Remove the run directory — only if it really is ours: a claude-guard-* directory directly under RUNNER_TEMP. */
function removeRunDir(runDir: string, runnerTemp: string | undefined): string | undefined {
  if (!runDir) return undefined;
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
