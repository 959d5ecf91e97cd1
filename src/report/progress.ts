/**
 * The summary comment while the run is under way: before the agent starts, the sticky comment (found by
 * its marker, report/summary-comment.ts) says "reviewing…" and names the commit; delivery replaces it
 * with the result, and a run that fails after it was posted replaces it with the failure, so it never
 * stays "reviewing…". A run asked for in a review thread is also answered there when it ends. Posting
 * progress is best effort: a token that cannot write only loses the progress note.
 */
import * as core from '@actions/core';
import type { GitHubPort, PullRef } from '../github/client.js';
import { isSummaryComment, SUMMARY_MARKER, upsertSummaryComment } from './summary-comment.js';
import type { OnDemand } from '../triggers/on-demand.js';
import { answerInThread, threadAnswer } from '../triggers/replies.js';

export interface ProgressInput {
  headSha: string;
  runUrl?: string;
  onDemand?: OnDemand;
}

/** Pure: the "reviewing…" comment. */
export function renderProgressComment(input: ProgressInput): string {
  const how =
    input.onDemand?.kind === 'comment'
      ? `${input.onDemand.command.scope === 'incremental' ? 'an incremental review' : 'a review'}, asked for in a comment by @${input.onDemand.author}`
      : input.onDemand?.kind === 'label'
        ? `a review, asked for with the label \`${input.onDemand.label.replace(/`/g, '')}\``
        : 'a review of this push';
  const run = input.runUrl ? ` · [workflow run](${input.runUrl})` : '';
  return [
    SUMMARY_MARKER,
    '### 🛡️ claude-guard: ⏳ reviewing…',
    `Reviewing commit \`${input.headSha}\` (${how}). This comment shows the result when the run ends.`,
    `---\n<sub>claude-guard${run}</sub>`,
  ].join('\n\n');
}

/** A machine-readable record on a summary comment's second line (e.g. the last reviewed head). */
const RECORD = /^<!-- claude-guard:[a-z-]+[ =][^\n]*-->$/;

/**
 * Pure: `body` with the record line of `previous` kept as its second line, unless `body` has its own.
 * The progress note and a failure must not erase what the last finished review recorded.
 */
export function carryRecord(previous: string | undefined, body: string): string {
  const record = previous?.split('\n', 2)[1]?.trimEnd() ?? '';
  const [first, second = '', ...rest] = body.split('\n');
  if (!RECORD.test(record) || RECORD.test(second.trimEnd())) return body;
  return [first, record, second, ...rest].join('\n');
}

export interface Progress {
  /** The summary comment's address. */
  url: string;
  /**
   * The run ended. `finalBody` replaces the progress note when delivery did not (a failed run); a run
   * asked for in a review thread is answered there.
   */
  finish(ok: boolean, finalBody?: (run: { headSha: string; runUrl?: string }) => string): Promise<void>;
}

export async function startProgress(
  github: GitHubPort,
  pr: PullRef,
  input: ProgressInput,
): Promise<Progress | undefined> {
  let url: string;
  let previous: string | undefined;
  try {
    const ours = (await github.listIssueComments(pr)).filter(isSummaryComment);
    previous = ours.reduce<(typeof ours)[number] | undefined>(
      (a, c) => (!a || c.id > a.id ? c : a),
      undefined,
    )?.body;
    ({ url } = await upsertSummaryComment(github, pr, carryRecord(previous, renderProgressComment(input))));
  } catch (err) {
    core.info(`claude-guard: the progress note was not posted (${(err as Error).message.split('\n')[0]}).`);
    return undefined;
  }
  let finished = false;
  return {
    url,
    async finish(ok, finalBody) {
      if (finished) return;
      finished = true;
      if (finalBody) {
        try {
          const body = finalBody({ headSha: input.headSha, runUrl: input.runUrl });
          await upsertSummaryComment(github, pr, carryRecord(previous, body));
        } catch (err) {
          core.warning(`Updating the summary comment failed: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      if (input.onDemand?.kind === 'comment')
        await answerInThread(github, pr, input.onDemand, threadAnswer(input.headSha, ok, url, input.runUrl));
    },
  };
}

/**
 * A progress note posted beside the set-up that follows it (its read and write are off the run's critical
 * path): finishing waits for the post first, so a run that fails before the note is up still replaces it.
 */
export function progressWhenPosted(starting: Promise<Progress | undefined>): Pick<Progress, 'finish'> {
  return {
    async finish(ok, finalBody) {
      const progress = await starting.catch(() => undefined);
      await progress?.finish(ok, finalBody);
    },
  };
}
