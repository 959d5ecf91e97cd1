/**
 * Short answers to a comment that asked for a review, in the thread it was asked in: an `issue_comment`
 * is answered on the pull request's conversation, a `pull_request_review_comment` in its review thread.
 *
 * A refusal (the commenter may not start runs) is answered at most once per pull request per hour: the
 * answer carries a marker, and an answer with that marker written by a bot or an insider in the last hour
 * means no new one — anyone can comment, and a reply per comment would let them make the bot spam the
 * thread. The texts are fixed: nothing the commenter wrote is echoed back. Every failure here is logged
 * and ignored; a reply is a courtesy, never a reason for the run to fail.
 */
import * as core from '@actions/core';
import type { GitHubPort, PullRef } from '../github/client.js';
import type { OnDemandComment } from './on-demand.js';

export const REFUSED_MARKER = '<!-- claude-guard:refused -->';
export const REPLY_MARKER = '<!-- claude-guard:reply -->';
export const REFUSAL_INTERVAL_MS = 60 * 60 * 1000;

const INSIDERS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

export interface ExistingComment {
  body: string;
  authorType: string;
  authorAssociation: string;
  createdAt?: string;
}

/** Pure: may a refusal be answered now, given the comments already on the pull request? */
export function mayAnswerRefusal(existing: readonly ExistingComment[], now: Date): boolean {
  return !existing.some((c) => {
    if (!c.body.startsWith(REFUSED_MARKER)) return false;
    if (c.authorType !== 'Bot' && !INSIDERS.has(c.authorAssociation)) return false;
    const at = Date.parse(c.createdAt ?? '');
    // An answer without a readable time counts as recent: when in doubt, stay quiet.
    return isNaN(at) || now.getTime() - at < REFUSAL_INTERVAL_MS;
  });
}

export const REFUSAL_TEXT =
  `${REFUSED_MARKER}\nclaude-guard did not start a review: only collaborators with write access to this ` +
  'repository (or bots the workflow names) can ask for one from a comment. ' +
  '<sub>(claude-guard answers this at most once an hour per pull request.)</sub>';

async function post(github: GitHubPort, pr: PullRef, demand: OnDemandComment, body: string): Promise<void> {
  if (demand.source === 'pull_request_review_comment')
    await github.replyToReviewComment(pr, demand.replyTo, body);
  else await github.createIssueComment(pr, body);
}

/** Answer a refused commenter, unless one was answered within the hour or the commenter is a bot. */
export async function answerRefusal(
  github: GitHubPort,
  pr: PullRef,
  demand: OnDemandComment,
  now: Date,
): Promise<void> {
  if (demand.authorType === 'Bot' || /\[bot\]$/i.test(demand.author)) return;
  try {
    const existing = [...(await github.listIssueComments(pr)), ...(await github.listReviewComments(pr))];
    if (!mayAnswerRefusal(existing, now)) {
      core.info('claude-guard: a refusal was answered on this pull request within the hour; not again.');
      return;
    }
    await post(github, pr, demand, REFUSAL_TEXT);
  } catch (err) {
    core.info(
      `claude-guard: could not answer the refused comment (${(err as Error).message.split('\n')[0]}).`,
    );
  }
}

/** Pure: the answer in a review thread once the run ended. */
export function threadAnswer(headSha: string, ok: boolean, summaryUrl?: string, runUrl?: string): string {
  const where = summaryUrl ? `[the summary comment](${summaryUrl})` : 'the summary comment';
  const run = runUrl ? ` ([workflow run](${runUrl}))` : '';
  return ok
    ? `${REPLY_MARKER}\nclaude-guard reviewed \`${headSha.slice(0, 12)}\`: see ${where}.${run}`
    : `${REPLY_MARKER}\nclaude-guard's review of \`${headSha.slice(0, 12)}\` did not finish: see ${where}.${run}`;
}

/** Answer in the review thread the request came from (issue comments are answered by the summary itself). */
export async function answerInThread(
  github: GitHubPort,
  pr: PullRef,
  demand: OnDemandComment,
  body: string,
): Promise<void> {
  if (demand.source !== 'pull_request_review_comment') return;
  try {
    await github.replyToReviewComment(pr, demand.replyTo, body);
  } catch (err) {
    core.warning(`Answering in the review thread failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
