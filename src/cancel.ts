/**
 * Cancellation of the main step. When a run is cancelled the runner sends SIGINT, then SIGTERM about
 * 7.5 s later, then kills the step. On the first signal the owner of the run stops the agent's whole
 * tree at once, restores what it changed and writes its report; then the step exits with 128 + the
 * signal number. A second signal while that is under way does not interrupt it; the deadline bounds it.
 */
import * as core from '@actions/core';
import { constants } from 'node:os';

export const CANCEL_DEADLINE_MS = 6000;

/** Install the handler; returns a function that removes it (call it when the run is over). */
export function onCancel(
  stop: (signal: NodeJS.Signals) => Promise<void>,
  opts: { deadlineMs?: number; exit?: (code: number) => void } = {},
): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const code = 128 + (constants.signals[signal] ?? 2);
    const deadline = setTimeout(() => {
      core.warning(
        `claude-guard: clean-up after ${signal} did not finish in time; the post step will finish it.`,
      );
      exit(code);
    }, opts.deadlineMs ?? CANCEL_DEADLINE_MS);
    stop(signal)
      .catch((err: unknown) =>
        core.warning(`claude-guard: clean-up after ${signal} failed: ${(err as Error).message}`),
      )
      .finally(() => {
        clearTimeout(deadline);
        exit(code);
      });
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
