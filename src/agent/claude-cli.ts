/**
 * Running the Claude Code CLI: its argv (a pure function, table-tested), and the spawn — in its own
 * process group, prompt on stdin (never argv), stream-json lines out, a wall-clock timeout after
 * which the whole process tree is killed. Threat rows X6 (runaway runs) and the teardown defence.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Settings } from '../inputs.js';
import { joinTree, killTree, markEnv, type ProcessTree } from './process-tree.js';

export interface ClaudeArgsInput {
  settings: Pick<Settings, 'model' | 'maxTurns' | 'claudeArgs'>;
  /** From policy/settings-file.ts: `--settings FILE --setting-sources '' --strict-mcp-config --tools … --disallowed-tools …`. */
  settingsArgs: string[];
  /** The structured-output JSON Schema. */
  outputSchema: object;
}

/**
 * The CLI's argv. Our flags come last so nothing a user passes can shadow them (user flags are
 * allow-listed anyway). The prompt is NOT here: it goes on stdin.
 */
export function buildClaudeArgs(input: ClaudeArgsInput): string[] {
  const { settings } = input;
  return [
    ...settings.claudeArgs,
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    '--no-session-persistence',
    '--permission-mode',
    'dontAsk',
    '--max-turns',
    String(settings.maxTurns),
    ...(settings.model ? ['--model', settings.model] : []),
    '--json-schema',
    JSON.stringify(input.outputSchema),
    ...input.settingsArgs,
  ];
}

export interface ClaudeProcess {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  prompt: string;
  timeoutMs: number;
  /** Every stdout line (stream-json events). */
  onLine: (line: string) => void;
  /** Called with the child's pid as soon as it exists (the caller saves it for the post step). */
  onSpawn?: (pid: number) => void;
  /** Extra kill for processes outside our process group (e.g. everything of the agent's uid). */
  killAll?: () => Promise<void>;
  /** The run's process tree (cgroup and marker): the CLI starts inside it, and it is killed at the end. */
  tree?: ProcessTree;
}

export interface ClaudeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  durationMs: number;
  /** Last 4 KiB of stderr (unredacted: the caller redacts before showing it). */
  stderrTail: string;
  spawnError?: string;
}

const STDERR_TAIL = 4096;
const KILL_GRACE_MS = 3000;

/** Kill a process group; a missing group is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** After the CLI exits, how long its stdout may take to drain before a holder of the pipe is ignored. */
const DRAIN_MS = 2000;

/**
 * Runs the CLI. The run ends when the CLI process EXITS, not when its stdout closes: a child the agent
 * left running may hold the pipe open forever. On exit the whole tree is killed, stdout is drained
 * for a moment, and the result is kept.
 */
export function runClaude(p: ClaudeProcess): Promise<ClaudeExit> {
  const started = Date.now();
  return new Promise((resolve) => {
    let stderrTail = '';
    let timedOut = false;
    let settled = false;
    let exited: Omit<ClaudeExit, 'durationMs' | 'stderrTail' | 'timedOut'> | undefined;
    const run = p.tree ? joinTree(p.tree, p.command, p.args) : { command: p.command, args: p.args };
    const child = spawn(run.command, run.args, {
      cwd: p.cwd,
      env: p.tree ? markEnv(p.tree, p.env) : p.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const killEverything = async () => {
      if (child.pid) killGroup(child.pid);
      await Promise.allSettled([p.killAll?.(), p.tree && killTree(p.tree)]);
    };
    const finish = (exit: Omit<ClaudeExit, 'durationMs' | 'stderrTail' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(drainTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const done = () => resolve({ ...exit, timedOut, durationMs: Date.now() - started, stderrTail });
      // Anything the agent left running goes too.
      killEverything().then(done, done);
    };
    let graceTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      void killEverything();
      // If stdio is held open by an escaped grandchild, do not wait for it forever.
      graceTimer = setTimeout(
        () => finish(exited ?? { code: child.exitCode, signal: 'SIGKILL' }),
        KILL_GRACE_MS,
      );
    }, p.timeoutMs);

    child.on('error', (err) => finish({ code: null, signal: null, spawnError: err.message }));
    if (child.pid) p.onSpawn?.(child.pid);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(p.prompt);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
    });
    let rl: ReturnType<typeof createInterface> | undefined;
    if (child.stdout) {
      rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
      rl.on('line', (line) => p.onLine(line));
    }
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // The CLI is done: kill what it left (closing the pipe's other ends), then let stdout drain.
      void killEverything();
      drainTimer = setTimeout(() => finish({ code, signal }), DRAIN_MS);
    });
    child.on('close', (code, signal) => {
      // readline may still hold a last line without a newline: 'close' of the stream flushes it first.
      finish(exited ?? { code, signal });
    });
  });
}
