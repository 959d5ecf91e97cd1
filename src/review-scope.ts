/**
 * Incremental review, the decision: which commits of a pull request this run asks the agent to review.
 * On a push to the pull request (`synchronize`) with input `review-scope: incremental`, only the commits
 * since the last reviewed head (`last...head`); everything else, and every doubt, reviews the whole pull
 * request (`base...head`) — with a notice saying why when an incremental review was wanted.
 *
 * The last reviewed head is read back from our own summary comment (report/summary-comment.ts writes it
 * in a hidden marker). It is still treated as untrusted data: it must be exactly a 40-hex commit SHA, the
 * commit must exist in the checkout, be an ancestor of the head (a force-push drops it) and not already be
 * part of the base branch. Pure; the git and GitHub look-ups are in review-range.ts.
 */

export const REVIEW_SCOPES = ['incremental', 'full'] as const;
export type ReviewScopeSetting = (typeof REVIEW_SCOPES)[number];

/** The marker line the summary comment carries right after its first line. */
const MARKER_RE = /^<!-- claude-guard:reviewed head=(.*?) -->$/;
const SHA_RE = /^[0-9a-f]{40}$/;

/** The hidden, machine-readable record of the reviewed head (refuses anything but a 40-hex SHA). */
export function reviewedMarker(head: string): string {
  if (!SHA_RE.test(head)) throw new Error(`not a commit SHA: ${JSON.stringify(head)}`);
  return `<!-- claude-guard:reviewed head=${head} -->`;
}

/** What an earlier summary comment recorded: a valid SHA, an invalid value, or nothing (undefined). */
export type Recorded = { sha: string } | { invalid: string } | { unreadable: string };

/**
 * Pure: the recorded head in a summary comment's body. Only the second line counts (the first is the
 * summary marker), so text further down — the model's summary included — can never pose as the record.
 */
export function parseReviewedMarker(body: string): Recorded | undefined {
  const second = body.split('\n', 2)[1] ?? '';
  const m = MARKER_RE.exec(second.trimEnd());
  if (!m) return undefined;
  const value = m[1].trim();
  return SHA_RE.test(value) ? { sha: value } : { invalid: value.slice(0, 80) };
}

/** Does this event, under this setting, ask for an incremental review? A push to the PR does. */
export function wantsIncremental(setting: ReviewScopeSetting, eventName: string, action: unknown): boolean {
  return (
    setting === 'incremental' &&
    (eventName === 'pull_request' || eventName === 'pull_request_target') &&
    action === 'synchronize'
  );
}

/** What git says about the recorded commit. */
export interface RecordedFacts {
  /** The commit is in the checkout's object store. */
  exists: boolean;
  /** It is an ancestor of the pull request's head (false after a force-push that dropped it). */
  ancestorOfHead: boolean;
  /** It is already part of the base branch (an ancestor of the base commit). */
  ancestorOfBase: boolean;
}

export interface ScopeInput {
  /** An incremental review is wanted (`wantsIncremental`, or a comment command asking for one). */
  incremental: boolean;
  /**
   * `fail-on-severity` is set: the step is a merge gate, and a gate must judge the whole pull request (an
   * incremental run does not repeat earlier findings, so a trivial push would turn a failed gate green).
   */
  gate?: boolean;
  pull: { baseSha: string; headSha: string };
  /** The record in our newest summary comment, when there is one. */
  recorded?: Recorded;
  /** Only needed (and only looked up) for a valid recorded SHA other than the head. */
  facts?: RecordedFacts;
}

export interface ScopeDecision {
  scope: 'incremental' | 'full';
  /** First commit of the reviewed range: the last reviewed head (incremental) or the PR's base. */
  base: string;
  head: string;
  /** The git range given to the agent. */
  range: string;
  /** Set when an incremental review was wanted but the whole pull request is reviewed: why. */
  fallback?: string;
}

/** Pure: the recorded SHA git must be asked about, or undefined when the decision needs no look-up. */
export function commitToCheck(input: Omit<ScopeInput, 'facts'>): string | undefined {
  const r = input.recorded;
  if (!input.incremental || input.gate || !r || !('sha' in r) || r.sha === input.pull.headSha)
    return undefined;
  return r.sha;
}

const short = (sha: string) => sha.slice(0, 12);

/** Pure: which range to review, and why the whole pull request when an incremental review was wanted. */
export function decideReviewScope(input: ScopeInput): ScopeDecision {
  const { baseSha, headSha } = input.pull;
  const full = (fallback?: string): ScopeDecision => ({
    scope: 'full',
    base: baseSha,
    head: headSha,
    range: `${baseSha}...${headSha}`,
    ...(fallback ? { fallback } : {}),
  });
  if (!input.incremental) return full();
  if (input.gate)
    return full(
      'fail-on-severity is set, and a merge gate must judge the whole pull request (earlier findings are not repeated by an incremental run): the whole pull request was reviewed.',
    );
  const r = input.recorded;
  const whole = 'the whole pull request was reviewed';
  if (!r) return full(); // the first review of this pull request (or its summary comment was deleted)
  if ('unreadable' in r)
    return full(`the earlier summary comment could not be read (${r.unreadable}): ${whole}.`);
  if ('invalid' in r)
    return full(`the summary comment's record of the last reviewed commit is not a commit SHA: ${whole}.`);
  if (r.sha === headSha)
    return full(`the head ${short(headSha)} was already reviewed (a re-run): ${whole} again.`);
  const facts = input.facts;
  if (!facts) return full(`the last reviewed commit ${short(r.sha)} could not be checked: ${whole}.`);
  if (!facts.exists)
    return full(
      `the last reviewed commit ${short(r.sha)} is not in the checkout (dropped by a force-push, or a shallow checkout: use fetch-depth: 0): ${whole}.`,
    );
  if (!facts.ancestorOfHead)
    return full(
      `the last reviewed commit ${short(r.sha)} is not an ancestor of the head ${short(headSha)} (a force-push or rebase): ${whole}.`,
    );
  if (facts.ancestorOfBase)
    return full(`the last reviewed commit ${short(r.sha)} is already part of the base branch: ${whole}.`);
  return { scope: 'incremental', base: r.sha, head: headSha, range: `${r.sha}...${headSha}` };
}

/** "reviewed commits abc123456789..def456789012 (incremental)" — for the summaries. */
export function describeReviewed(d: Pick<ScopeDecision, 'scope' | 'base' | 'head'>): string {
  return `reviewed commits ${short(d.base)}..${short(d.head)} (${d.scope})`;
}
