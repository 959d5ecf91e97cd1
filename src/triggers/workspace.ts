/**
 * Where the reviewed code comes from on an on-demand comment run: the pull request's head as the API
 * reported it, checked out by the action (triggers/checkout.ts) before anything reads the workspace,
 * and put back when the run ends. Other runs keep the checkout the workflow made.
 */
import { systemGit } from '../git-runner.js';
import type { RunContext } from '../context.js';
import type { OnDemand } from './on-demand.js';
import { checkoutHead, restoreHead } from './checkout.js';

/** Returns the undo (put the job's checkout back), or undefined when nothing was changed. */
export async function placeReviewedHead(
  ctx: RunContext,
  onDemand: OnDemand | undefined,
  token: string,
  notes: string[],
): Promise<(() => Promise<void>) | undefined> {
  if (onDemand?.kind !== 'comment' || !ctx.pull) return undefined;
  const git = await systemGit({ workspace: ctx.workspace });
  const placed = await checkoutHead(git, ctx.pull.headSha, ctx.pull.baseSha, {
    url: `${ctx.serverUrl}/${ctx.repository}.git`,
    token,
  });
  if (!placed.moved) return undefined;
  notes.push(
    `Reviewed the pull request's head ${ctx.pull.headSha.slice(0, 12)} as the API reported it (checked out by claude-guard, and the job's checkout put back after).`,
  );
  return () => restoreHead(git, placed);
}
