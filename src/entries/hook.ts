/**
 * Entry of the Bash PreToolUse hook (policy/bash-hook.ts). The CLI starts it for every Bash call with
 * the call as JSON on stdin; it prints a deny decision, or nothing. It fails closed: any error denies.
 */
import { readFileSync } from 'node:fs';
import { decodePolicy, hookDecision } from '../policy/bash-hook.js';

try {
  const decision = hookDecision(readFileSync(0, 'utf8'), decodePolicy(process.argv[2]));
  if (decision) process.stdout.write(JSON.stringify(decision));
  process.exitCode = 0;
} catch (error) {
  process.stderr.write(
    `claude-guard hook: refused (${error instanceof Error ? error.message : String(error)})\n`,
  );
  process.exitCode = 2;
}
