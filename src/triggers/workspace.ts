/**
 * Where the reviewed code comes from on an on-demand comment run: the pull request's head as the API
 * reported it, checked out by the action (triggers/checkout.ts) before anything reads the workspace,
 * and put back when the run ends — by main's undo, or by the post step from the record in the run dir
 * when main could not. Other runs keep the checkout the workflow made.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { systemGit } from '../git-runner.js';
import type { RunContext } from '../context.js';
import { CHECKOUT_FILE } from '../state.js';
import type { OnDemand } from './on-demand.js';
import { checkoutHead, restoreHead, type PlacedHead } from './checkout.js';

interface CheckoutRecord {
  workspace: string;
  placed: PlacedHead;
}

/** Returns the undo (put the job's checkout back), or undefined when nothing was changed. */
export async function placeReviewedHead(
  ctx: RunContext,
  onDemand: OnDemand | undefined,
  token: string,
  runDir: string,
  notes: string[],
): Promise<(() => Promise<void>) | undefined> {
  if (onDemand?.kind !== 'comment' || !ctx.pull) return undefined;
  const git = await systemGit({ workspace: ctx.workspace });
  const placed = await checkoutHead(git, ctx.pull.headSha, ctx.pull.baseSha, {
    url: `${ctx.serverUrl}/${ctx.repository}.git`,
    token,
  });
  if (!placed.moved) return undefined;
  const record = path.join(runDir, CHECKOUT_FILE);
  const saved: CheckoutRecord = { workspace: ctx.workspace, placed };
  writeFileSync(record, JSON.stringify(saved), { mode: 0o600 });
  notes.push(
    `Reviewed the pull request's head ${ctx.pull.headSha.slice(0, 12)} as the API reported it (checked out by claude-guard, and the job's checkout put back after).`,
  );
  return async () => {
    await restoreHead(git, placed);
    rmSync(record, { force: true });
  };
}

/** Post step: put the job's checkout back if main could not (idempotent). */
export async function restoreCheckoutFromRecord(runDir: string): Promise<string | undefined> {
  const file = runDir && path.join(runDir, CHECKOUT_FILE);
  if (!file || !existsSync(file)) return undefined;
  const { workspace, placed } = JSON.parse(readFileSync(file, 'utf8')) as CheckoutRecord;
  await restoreHead(await systemGit({ workspace }), placed);
  rmSync(file, { force: true });
  return `the job's checkout is ${placed.previous.branch ?? placed.previous.sha.slice(0, 12)} again`;
}
