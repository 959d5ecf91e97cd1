/**
 * Sets up the Bash PreToolUse hook for a run (policy/bash-hook.ts): its command line, proven to work
 * before the agent starts. The CLI treats a hook that cannot start as a non-blocking error and goes on
 * (observed on 2.1.332), so a hook that does not answer would silently leave only the rules: at
 * rules-only and sandbox, where the hook is what stops a command from naming a file, that fails the run.
 * At strict the agent runs in a world holding only the PR's files, as another user who may not reach
 * the action's node; there a failing self-test is reported and the rules remain.
 */
import * as core from '@actions/core';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { hookCommandLine } from './bash-hook.js';
import { userPrefixesOf } from './command-check.js';

/** The hook's entry in the bundle: dist/hook/index.js beside dist/main. */
export function hookScriptPath(mainScript: string = process.argv[1]): string {
  return path.join(path.dirname(mainScript), '..', 'hook', 'index.js');
}

/** Runs the hook command line as the CLI would, on a command it must refuse; true when it refuses. */
export function hookRefuses(commandLine: string): boolean {
  const probe = JSON.stringify({
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'git blame --contents /etc/hostname -- README.md' },
  });
  const result = spawnSync('/bin/sh', ['-c', commandLine], {
    input: probe,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: '/usr/bin:/bin' },
  });
  return result.status === 0 && /"permissionDecision":"deny"/.test(result.stdout ?? '');
}

export function bashHookFor(allowRules: readonly string[], level: string): string {
  const commandLine = hookCommandLine(process.execPath, hookScriptPath(), {
    userPrefixes: userPrefixesOf(allowRules),
  });
  if (hookRefuses(commandLine)) return commandLine;
  if (level === 'strict') {
    core.warning(
      'claude-guard: the Bash command hook did not answer its self-test; at strict the agent’s world holds only the PR’s files and the permission rules remain.',
    );
    return commandLine;
  }
  throw new Error(
    `The Bash command hook (${hookScriptPath()}) did not refuse its self-test command, so commands naming files could not be stopped at '${level}'; the agent was not started.`,
  );
}
