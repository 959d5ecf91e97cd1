/**
 * Reviews on demand: a `/review` comment (or a mention of the trigger phrase) on a pull request, or a
 * configured label added to it. Pure decisions first, then the one effectful step that resolves the
 * trigger against the API.
 *
 * Trust rules (README "Triggers"):
 * - only a comment just `created` counts (an edit never triggers), on a pull request (not an issue);
 * - time of check / time of use: the comment is read again from the API; if it was edited since the
 *   event (body or updated_at differ), deleted, or claims to be created after the run started, nothing
 *   starts — the text that runs is the text the permission check saw;
 * - the commenter (the comment's author as the API reports it) needs write access, or must be a bot
 *   named in `allowed-bots` (the caller, guard.ts, applies the trigger guard to that login);
 * - the pull request under review is the one the API reports now (GET pulls/{n}): its head commit, its
 *   head repository (a fork stays untrusted), never the default branch an `issue_comment` event checks
 *   out;
 * - a label starts a run only when it is the configured `trigger-label`; other labels end with a notice.
 */
import type { CommentSnapshot, GitHubPort, PullDetails } from '../github/client.js';
import { GitHubApiError } from '../github/client.js';
import type { PullRequestRef, RunContext } from '../context.js';
import { TriggerRefused } from '../policy/trigger-guard.js';
import { parseCommentCommand, type CommentCommand } from './comment-command.js';

export type CommentSource = 'issue_comment' | 'pull_request_review_comment';

/** The triggering comment as the event payload carries it. */
export type EventComment = CommentSnapshot;

export type OnDemandEvent =
  /** Not an on-demand event: the ordinary run. */
  | { kind: 'none' }
  /** An on-demand event that starts nothing; the reason is the notice. */
  | { kind: 'skip'; reason: string }
  | {
      kind: 'comment';
      source: CommentSource;
      number: number;
      comment: EventComment;
      command: CommentCommand;
      /** A review comment that is itself a reply: the thread's first comment (replies go there). */
      threadStart?: number;
    }
  | { kind: 'label'; label: string };

export interface OnDemandOptions {
  triggerPhrase: string;
  /** '' when no label triggers runs. */
  triggerLabel: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function eventComment(raw: unknown): EventComment | undefined {
  const c = obj(raw);
  const user = obj(c.user);
  if (typeof c.id !== 'number') return undefined;
  return {
    id: c.id,
    body: str(c.body),
    author: str(user.login),
    authorType: str(user.type),
    createdAt: str(c.created_at),
    updatedAt: str(c.updated_at),
  };
}

/** Pure: what this event asks for. */
export function classifyOnDemand(eventName: string, payload: unknown, opts: OnDemandOptions): OnDemandEvent {
  const p = obj(payload);
  const action = str(p.action);
  if (eventName === 'issue_comment' || eventName === 'pull_request_review_comment') {
    const source: CommentSource = eventName;
    if (action !== 'created')
      return {
        kind: 'skip',
        reason: `a comment was ${action || 'changed'}: only a new comment can ask for a review.`,
      };
    const number =
      source === 'issue_comment'
        ? obj(p.issue).pull_request !== undefined
          ? obj(p.issue).number
          : undefined
        : obj(p.pull_request).number;
    if (typeof number !== 'number')
      return { kind: 'skip', reason: 'the comment is on an issue, not on a pull request.' };
    const comment = eventComment(p.comment);
    if (!comment) return { kind: 'skip', reason: 'the event payload has no readable comment.' };
    const command = parseCommentCommand(comment.body, opts.triggerPhrase);
    if (!command)
      return {
        kind: 'skip',
        reason: `the comment does not ask for a review (\`/review\` or a mention of ${opts.triggerPhrase}).`,
      };
    const inReplyTo = obj(p.comment).in_reply_to_id;
    return {
      kind: 'comment',
      source,
      number,
      comment,
      command,
      ...(source === 'pull_request_review_comment' && typeof inReplyTo === 'number'
        ? { threadStart: inReplyTo }
        : {}),
    };
  }
  if ((eventName === 'pull_request' || eventName === 'pull_request_target') && action === 'labeled') {
    if (!opts.triggerLabel) return { kind: 'none' };
    const label = str(obj(p.label).name);
    if (label.toLowerCase() !== opts.triggerLabel.toLowerCase())
      return {
        kind: 'skip',
        reason: `the label added is not the trigger label '${opts.triggerLabel}' (input 'trigger-label').`,
      };
    return { kind: 'label', label };
  }
  return { kind: 'none' };
}

/**
 * Pure: why the comment as it is now is not the comment the event announced (undefined when it is).
 * Timestamps are compared as instants, so a different but equal notation is no edit.
 */
export function staleComment(
  event: EventComment,
  now: CommentSnapshot,
  runStartedAt: Date,
): string | undefined {
  const same = (a: string, b: string) =>
    a === b || (Date.parse(a) === Date.parse(b) && !isNaN(Date.parse(a)));
  if (now.id !== event.id) return 'the API returned another comment than the event names.';
  if (now.body !== event.body || !same(now.updatedAt, event.updatedAt))
    return 'the comment was edited after it triggered this run; an edited comment starts nothing (post a new one).';
  if (now.author.toLowerCase() !== event.author.toLowerCase())
    return 'the comment’s author differs from the event’s.';
  const created = Date.parse(now.createdAt);
  if (isNaN(created) || created > runStartedAt.getTime())
    return 'the comment was created after this run started.';
  return undefined;
}

/** What an on-demand comment run carries into the rest of the run. */
export interface OnDemandComment {
  kind: 'comment';
  source: CommentSource;
  commentId: number;
  /** Where an answer goes: the review thread's first comment (GitHub takes no reply to a reply). */
  replyTo: number;
  /** The commenter, as the API reports the comment now: the login the trigger guard checks. */
  author: string;
  authorType: string;
  command: CommentCommand;
}
export type OnDemand = OnDemandComment | { kind: 'label'; label: string };

/** The run's pull request from the API's answer (never from the comment event's payload). */
export function pullFromApi(owner: string, repo: string, info: PullDetails): PullRequestRef {
  return {
    owner,
    repo,
    number: info.number,
    baseSha: info.baseSha,
    headSha: info.headSha,
    headRepo: info.headRepo ?? '',
    headRef: info.headRef,
    title: info.title,
    body: info.body,
    ...(info.changedFiles !== undefined ? { changedFiles: info.changedFiles } : {}),
  };
}

/**
 * Resolves an on-demand event: undefined for an ordinary run; a `TriggerRefused` (not allowed → the
 * step ends `skipped` with a notice) when it starts nothing; otherwise the trigger, with `ctx.pull` set
 * to the pull request the API reports now (comment events carry no usable pull request of their own).
 */
export async function resolveOnDemand(
  ctx: RunContext,
  github: GitHubPort | undefined,
  opts: OnDemandOptions,
  runStartedAt: Date,
): Promise<OnDemand | undefined> {
  const event = classifyOnDemand(ctx.eventName, ctx.payload, opts);
  if (event.kind === 'none') return undefined;
  if (event.kind === 'skip')
    throw new TriggerRefused(`claude-guard did not start: ${event.reason}`, true, true);
  if (event.kind === 'label') return event;
  if (!github) throw new Error(`The '${ctx.eventName}' event needs the GitHub API (input 'github-token').`);
  const repo = { owner: ctx.owner, repo: ctx.repo };
  let now: CommentSnapshot;
  try {
    now =
      event.source === 'issue_comment'
        ? await github.getIssueComment(repo, event.comment.id)
        : await github.getReviewComment(repo, event.comment.id);
  } catch (err) {
    if (err instanceof GitHubApiError && err.status === 404)
      throw new TriggerRefused('claude-guard did not start: the triggering comment was deleted.', true);
    throw err;
  }
  const stale = staleComment(event.comment, now, runStartedAt);
  if (stale) throw new TriggerRefused(`claude-guard did not start: ${stale}`, true);
  const info = await github.getPull({ ...repo, number: event.number });
  if (!info)
    throw new TriggerRefused(
      `claude-guard did not start: there is no pull request #${event.number}.`,
      true,
      true,
    );
  if (info.state !== 'open')
    throw new TriggerRefused(
      `claude-guard did not start: pull request #${info.number} is ${info.state}.`,
      true,
      true,
    );
  ctx.pull = pullFromApi(ctx.owner, ctx.repo, info);
  return {
    kind: 'comment',
    source: event.source,
    commentId: event.comment.id,
    replyTo: event.threadStart ?? event.comment.id,
    author: now.author,
    authorType: now.authorType,
    command: event.command,
  };
}

/** The pull request as classifyTrigger reads it from a payload: head and base repositories. */
export function pullPayload(ctx: RunContext): Json {
  const pull = ctx.pull;
  if (!pull) return {};
  return {
    pull_request: {
      number: pull.number,
      base: { sha: pull.baseSha, repo: { full_name: ctx.repository } },
      head: { sha: pull.headSha, repo: pull.headRepo ? { full_name: pull.headRepo } : null },
    },
  };
}
