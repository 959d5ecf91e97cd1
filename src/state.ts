/**
 * What the main step hands to the post step, in one place. The runner exposes saved state to the
 * post step as STATE_<key> environment variables.
 */
import * as core from '@actions/core';

export const STATE_KEYS = {
  /** The per-run directory under RUNNER_TEMP (settings, HOME, config dir, TMPDIR, findings). */
  runDir: 'run-dir',
  /** Process id of the key proxy. */
  proxyPid: 'proxy-pid',
  /** JSON: isolation artefacts to undo (agent user, firewall rules, credentials backup). */
  undo: 'undo',
  /** The key of the sealed credentials backup; saved only after the agent ended and main could not restore. */
  credentialsKey: 'credentials-key',
  /** JSON: the agent's process tree (run marker and cgroup, agent/process-tree.ts), saved before it starts. */
  tree: 'process-tree',
} as const;

export type StateKey = keyof typeof STATE_KEYS;

export function saveState(key: StateKey, value: string): void {
  core.saveState(STATE_KEYS[key], value);
}

export function readState(key: StateKey, env: NodeJS.ProcessEnv = process.env): string {
  return env[`STATE_${STATE_KEYS[key]}`] ?? '';
}

/**
 * The agent's process group id, as a file in the run dir. Not state: from the agent's start to its end
 * the action writes nothing to the runner's file commands, so any change there is the agent's.
 */
export const AGENT_PGID_FILE = 'agent.pgid';

/** The agent-instruction pin record (JSON) in the run dir: post restores the PR's versions from it. */
export const INSTRUCTIONS_FILE = 'instructions.json';

/** The job's checkout before an on-demand run moved it to the PR head (JSON): post puts it back. */
export const CHECKOUT_FILE = 'checkout.json';
