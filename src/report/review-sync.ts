/**
 * Review comments across pushes: each inline comment the action posts ends with a hidden marker
 * carrying its finding's fingerprint (findings/fingerprint.ts), so the next run recognises what it
 * already said. A finding whose fingerprint is already on the pull request is not posted again (no
 * comment pile-up on every push, threat model X6); an earlier finding that no longer occurs has its
 * review thread resolved, or, when the token may not (`pull-requests: read`), is reported as such.
 *
 * A marker counts only on a comment written by the action's own identity: github-actions[bot], or the
 * author of our summary comment (the same trust rule as summary-comment.ts's isSummaryComment). An
 * outsider who pastes a marker into a review comment can therefore neither suppress a finding nor get
 * a thread resolved (X2). Decisions are pure; `loadPostedFindings` and `syncReview` are the edges.
 */
import type { Finding } from '../findings/schema.js';
import { FINGERPRINT_LENGTH } from '../findings/fingerprint.js';
import {
  GitHubPermissionError,
  type GitHubPort,
  type IssueComment,
  type PostedReviewComment,
  type PullRef,
  type ReviewThread,
} from '../github/client.js';
import { isSummaryComment } from './summary-comment.js';

/** Who posts with the default GITHUB_TOKEN. */
export const DEFAULT_ACTION_LOGIN = 'github-actions[bot]';

const FP = `[0-9a-f]{${FINGERPRINT_LENGTH}}`;
const MARKER_AT_END = new RegExp(`<!-- claude-guard:finding fp=(${FP}) -->\\s*$`);

/** `body` with the fingerprint marker appended on its own line (the marker must end the comment). */
export function withFingerprintMarker(body: string, fingerprint: string): string {
  if (!new RegExp(`^${FP}$`).test(fingerprint)) {
    throw new Error(
      `not a finding fingerprint: ${JSON.stringify(fingerprint)}; compute it with fingerprint()`,
    );
  }
  return `${body}\n\n<!-- claude-guard:finding fp=${fingerprint} -->`;
}

/** The fingerprint in the marker that ends `body`; a marker anywhere else does not count. */
export function parseFingerprintMarker(body: string): string | undefined {
  return MARKER_AT_END.exec(body)?.[1];
}

/** Lower-cased logins that post as this action: github-actions[bot] and the author of our summary comment. */
export function actionLogins(issueComments: readonly IssueComment[]): Set<string> {
  const logins = issueComments.filter((c) => isSummaryComment(c) && c.author !== '').map((c) => c.author);
  return new Set([DEFAULT_ACTION_LOGIN, ...logins].map((l) => l.toLowerCase()));
}

/** A finding an earlier run commented inline. */
export interface PostedFinding {
  commentId: number;
  /** Absent when no thread starts with the comment (it cannot be resolved). */
  threadId?: string;
  fingerprint: string;
  resolved: boolean;
  /** Where the comment sits: its file, and its line in the current diff (null when outdated). */
  path: string;
  line: number | null;
}

/** Pure: the findings earlier runs posted, from the review comments our identity wrote with a marker. */
export function postedFindings(
  comments: readonly PostedReviewComment[],
  threads: readonly ReviewThread[],
  logins: ReadonlySet<string>,
): PostedFinding[] {
  const threadOf = new Map(
    threads.flatMap((t) => (t.firstCommentId === undefined ? [] : [[t.firstCommentId, t]])),
  );
  return comments.flatMap((c) => {
    const fingerprint = parseFingerprintMarker(c.body);
    if (fingerprint === undefined || !logins.has(c.author.toLowerCase())) return [];
    const thread = threadOf.get(c.id);
    return [
      {
        commentId: c.id,
        ...(thread ? { threadId: thread.id } : {}),
        fingerprint,
        resolved: thread?.isResolved ?? false,
        path: c.path,
        line: c.line,
      },
    ];
  });
}

/** The pull request's inline comments and threads as read once, and the logins that post as the action. */
export interface EarlierComments {
  comments: PostedReviewComment[];
  threads: ReviewThread[];
  logins: Set<string>;
}

/** Reads the pull request's comments and threads (the three reads at once). */
export async function loadEarlierComments(port: GitHubPort, pr: PullRef): Promise<EarlierComments> {
  const [issueComments, comments, threads] = await Promise.all([
    port.listIssueComments(pr),
    port.listReviewComments(pr),
    port.listReviewThreads(pr),
  ]);
  return { comments, threads, logins: actionLogins(issueComments) };
}

/** Pure: what earlier runs of the action posted, from what `loadEarlierComments` read. */
export const earlierFindings = (e: EarlierComments): PostedFinding[] =>
  postedFindings(e.comments, e.threads, e.logins);

/** Reads the pull request's comments and threads: what earlier runs of the action posted. */
export async function loadPostedFindings(port: GitHubPort, pr: PullRef): Promise<PostedFinding[]> {
  return earlierFindings(await loadEarlierComments(port, pr));
}

/** A finding this run reports (inline or summary only) with its fingerprint. */
export interface CurrentFinding<F = Finding> {
  finding: F;
  fingerprint: string;
}

export interface ReviewSyncPlan<F = Finding> {
  /** New fingerprints: comment these. */
  post: CurrentFinding<F>[];
  /** Already commented by an earlier run (resolved or not): do not comment again. */
  keep: CurrentFinding<F>[];
  /** Earlier threads whose finding no longer occurs and that are still open. */
  resolve: (PostedFinding & { threadId: string })[];
}

/**
 * Pure. `current` should hold every finding this run reports, summary-only ones too, so a finding
 * that merely left the diff is not called resolved. A thread someone resolved stays resolved even if
 * its finding comes back: it is kept, not posted again. `mayResolve` limits which earlier findings this
 * run can call gone: an incremental review only looked at the new commits, so a finding on code they
 * did not touch still stands although the agent did not repeat it (review-range.ts).
 */
export function planReviewSync<F>(input: {
  current: readonly CurrentFinding<F>[];
  previous: readonly PostedFinding[];
  mayResolve?: (p: PostedFinding) => boolean;
}): ReviewSyncPlan<F> {
  const mayResolve = input.mayResolve ?? (() => true);
  const posted = new Set(input.previous.map((p) => p.fingerprint));
  const present = new Set(input.current.map((c) => c.fingerprint));
  return {
    post: input.current.filter((c) => !posted.has(c.fingerprint)),
    keep: input.current.filter((c) => posted.has(c.fingerprint)),
    resolve: input.previous.filter(
      (p): p is PostedFinding & { threadId: string } =>
        p.threadId !== undefined && !p.resolved && !present.has(p.fingerprint) && mayResolve(p),
    ),
  };
}

export interface ReviewSyncResult {
  /** Thread ids resolved. */
  resolved: string[];
  /** Thread ids left open because the token may not resolve threads. */
  notPermitted: string[];
  /** The workflow permission that was missing, when `notPermitted` is not empty. */
  missingPermission?: string;
}

/**
 * Resolves the plan's threads one by one. The first permission refusal stops it (the rest would be
 * refused too) and is reported, not thrown; any other failure is thrown.
 */
export async function syncReview(
  port: GitHubPort,
  plan: Pick<ReviewSyncPlan<unknown>, 'resolve'>,
): Promise<ReviewSyncResult> {
  const resolved: string[] = [];
  for (const [i, { threadId }] of plan.resolve.entries()) {
    try {
      await port.resolveReviewThread(threadId);
      resolved.push(threadId);
    } catch (error) {
      if (!(error instanceof GitHubPermissionError)) throw error;
      const notPermitted = plan.resolve.slice(i).map((t) => t.threadId);
      return { resolved, notPermitted, missingPermission: error.permission };
    }
  }
  return { resolved, notPermitted: [] };
}

/** Pure: one sentence for the summary, or undefined when no earlier finding went away. */
export function syncNote(result: ReviewSyncResult): string | undefined {
  const gone = result.resolved.length + result.notPermitted.length;
  if (gone === 0) return undefined;
  const head = gone === 1 ? '1 earlier finding no longer occurs' : `${gone} earlier findings no longer occur`;
  if (result.notPermitted.length === 0) {
    return `${head}; ${gone === 1 ? 'its review thread was' : 'their review threads were'} resolved.`;
  }
  const n = result.notPermitted.length;
  return `${head} (could not resolve ${n} review thread${n === 1 ? '' : 's'}: missing \`${result.missingPermission}\`).`;
}
