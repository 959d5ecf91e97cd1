/**
 * The PreToolUse hook that checks every Bash command against the allow-list of command-check.ts before
 * the permission rules see it (threat-model rows S11, X4). The generated settings file names it; the
 * CLI runs it with the tool call as JSON on stdin and honours `permissionDecision: "deny"` (observed on
 * 2.1.332: a hook's deny beats every allow rule and the CLI's own read-only list).
 *
 * The hook never allows anything by itself: a command it passes still needs an allow rule, and deny
 * rules still apply. Its policy (the user's granted command prefixes) travels base64url-encoded on its
 * own command line, so it needs no file. Any doubt — unreadable input, a tool call without a command,
 * an internal error — is a deny.
 */
import { checkCommand, type CommandPolicy } from './command-check.js';

/** The hook's answer, as the CLI reads it from stdout. */
export interface HookOutput {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse';
    permissionDecision: 'deny';
    permissionDecisionReason: string;
  };
}

const deny = (reason: string): HookOutput => ({
  hookSpecificOutput: {
    hookEventName: 'PreToolUse',
    permissionDecision: 'deny',
    permissionDecisionReason: `claude-guard: ${reason}`,
  },
});

export function encodePolicy(policy: CommandPolicy): string {
  return Buffer.from(JSON.stringify(policy)).toString('base64url');
}

export function decodePolicy(text: string | undefined): CommandPolicy {
  const data: unknown = JSON.parse(Buffer.from(text ?? '', 'base64url').toString('utf8'));
  const prefixes = (data as { userPrefixes?: unknown })?.userPrefixes;
  if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string')) {
    throw new Error('the hook policy is not valid');
  }
  return { userPrefixes: prefixes };
}

/** The decision for one hook input (the CLI's JSON): undefined lets the permission rules decide. */
export function hookDecision(stdin: string, policy: CommandPolicy): HookOutput | undefined {
  let input: { tool_name?: unknown; tool_input?: { command?: unknown } };
  try {
    input = JSON.parse(stdin) as typeof input;
  } catch {
    return deny('the hook input is not JSON');
  }
  if (input.tool_name !== 'Bash') return undefined;
  const command = input.tool_input?.command;
  if (typeof command !== 'string') return deny('the Bash call has no command');
  const verdict = checkCommand(command, policy);
  return verdict.ok ? undefined : deny(`command refused: ${verdict.reason}`);
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** The hook's command line for the settings file (run by the CLI through a shell). */
export function hookCommandLine(nodePath: string, hookScript: string, policy: CommandPolicy): string {
  return [nodePath, hookScript, encodePolicy(policy)].map(shellQuote).join(' ');
}
