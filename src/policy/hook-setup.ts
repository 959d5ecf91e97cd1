/**
 * Sets up the Bash PreToolUse hook for a run (policy/bash-hook.ts): its command line, proven to work
 * before the agent starts. The CLI treats a hook that cannot start as a non-blocking error and goes on
 * (observed on 2.1.332), so a hook that does not answer would silently leave only the rules: at
 * rules-only and sandbox, where the hook is what stops a command from naming a file, that fails the run.
 * The self-test runs as the agent (the launcher's wrap), at every level. At strict the agent runs as
 * another user in a world holding only the PR's files: the launcher binds the action's hook bundle (and
 * nothing else of the action) read-only at a fixed path there, and node at its real path, and the hook
 * command names those (`world`); a hook that does not answer fails the run there too.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { hookCommandLine } from './bash-hook.js';
import { userPrefixesOf } from './command-check.js';

/** The hook's entry in the bundle: dist/hook/index.js beside dist/main. */
export function hookScriptPath(mainScript: string = process.argv[1]): string {
  return path.join(path.dirname(mainScript), '..', 'hook', 'index.js');
}

/** How to start a command as the agent (the launcher's wrap): same uid at rules-only and sandbox, the
 * agent user at strict. */
export type Wrap = (
  command: string,
  args: string[],
  env: Record<string, string>,
) => { command: string; args: string[]; env: Record<string, string> };

export const asIs: Wrap = (command, args, env) => ({ command, args, env });

/** Runs the hook command line as the CLI would (as the agent), on a command it must refuse; true when
 * it refuses. Asynchronous: the self-test is a Node start (about 0.1 s) that runs beside the rest of the
 * agent's set-up instead of blocking it (issue 12). */
export function hookRefuses(commandLine: string, wrap: Wrap = asIs): Promise<boolean> {
  const probe = JSON.stringify({
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'git blame --contents /etc/hostname -- README.md' },
  });
  const run = wrap('/bin/sh', ['-c', commandLine], { PATH: '/usr/bin:/bin' });
  return new Promise((resolve) => {
    const child = spawn(run.command, run.args, {
      env: run.env,
      stdio: ['pipe', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stdin.on('error', () => undefined); // a hook that exits without reading its input
    child.stdin.end(probe);
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0 && /"permissionDecision":"deny"/.test(stdout)));
  });
}

/** The hook for a run: its command line (for the settings file) and its self-test, started now and
 * awaited just before the agent starts. `proven` rejects when the hook did not answer (at every level:
 * at strict the launcher binds the hook into the agent's world); it is already handled, so an early
 * failure is not an unhandled rejection while the rest of the set-up runs. */
export interface BashHook {
  commandLine: string;
  proven: Promise<void>;
}

/** `world` is where the agent's world puts node and the hook bundle (strict); elsewhere the action's own. */
export function bashHookFor(
  allowRules: readonly string[],
  level: string,
  wrap: Wrap = asIs,
  world?: { node: string; script: string },
): BashHook {
  const script = world?.script ?? hookScriptPath();
  const commandLine = hookCommandLine(world?.node ?? process.execPath, script, {
    userPrefixes: userPrefixesOf(allowRules),
  });
  const proven = hookRefuses(commandLine, wrap).then((refuses) => {
    if (refuses) return;
    throw new Error(
      `The Bash command hook (${script}) did not refuse its self-test command, so commands naming files could not be stopped at '${level}'; the agent was not started.`,
    );
  });
  proven.catch(() => undefined);
  return { commandLine, proven };
}
