/**
 * The pull request review: ONE review (event COMMENT, never APPROVE or REQUEST_CHANGES) with one inline
 * comment per finding the output gate placed on a diff line. Built only from the gate's result, whose
 * text is already redacted and neutralised (threat model X2); one API call, so an injected loop cannot
 * turn into a comment storm (X6).
 */
import { withFingerprintMarker } from './review-sync.js';
import type { GitHubPort, Posted, PullRef, ReviewComment, ReviewRequest } from '../github/client.js';
import type { GateResult, GatedFinding } from './types.js';
import type { Finding } from '../findings/schema.js';
import {
  COMMENT_MAX,
  closeOpenBlocks,
  codeSpan,
  fence,
  flatten,
  severityBadge,
  truncateMarkdown,
} from './markdown.js';

export const REVIEW_MARKER = '<!-- claude-guard:review -->';

/** A suggestion may be offered only when the comment spans exactly the lines it replaces. */
function suggestionFits(f: GatedFinding): boolean {
  if (f.suggestion === undefined || f.placement === null) return false;
  const start = f.placement.startLine ?? f.placement.line;
  return start === f.line && f.placement.line === (f.end_line ?? f.line);
}

export function commentBody(f: GatedFinding): string {
  const head = `**${severityBadge(f.severity)}** · ${codeSpan(f.category)}\n\n**${flatten(f.title)}**`;
  const suggestion = suggestionFits(f) ? `\n\n${fence(f.suggestion ?? '', 'suggestion')}` : '';
  const notice = '_(truncated)_';
  if (head.length + suggestion.length + notice.length + 200 > COMMENT_MAX) {
    return truncateMarkdown(`${head}\n\n${closeOpenBlocks(f.body)}`, COMMENT_MAX, notice);
  }
  const text = truncateMarkdown(
    `${head}\n\n${closeOpenBlocks(f.body)}`,
    COMMENT_MAX - suggestion.length,
    notice,
  );
  return `${text}${suggestion}`;
}

function toComment(
  f: GatedFinding & { placement: NonNullable<GatedFinding['placement']> },
  fingerprint: string,
): ReviewComment {
  const { line, startLine } = f.placement;
  const range =
    startLine !== undefined && startLine < line
      ? { start_line: startLine, start_side: 'RIGHT' as const }
      : {};
  return {
    path: f.path,
    line,
    side: 'RIGHT',
    ...range,
    body: withFingerprintMarker(commentBody(f), fingerprint),
  };
}

/**
 * Pure: the review request for the gate's inline findings, anchored to `commitId` (the diffed head).
 * Every comment carries its finding's fingerprint, so a later push does not post it again.
 */
export function buildReview(
  gate: GateResult,
  opts: { commitId: string; fingerprint: (f: Finding) => string },
): ReviewRequest {
  const placed = gate.inline.filter(
    (f): f is GatedFinding & { placement: NonNullable<GatedFinding['placement']> } => f.placement !== null,
  );
  const n = placed.length;
  return {
    body:
      `${REVIEW_MARKER}\n**claude-guard** left ${n} inline comment${n === 1 ? '' : 's'} on changed lines. ` +
      'The summary is in the pull request conversation.',
    event: 'COMMENT',
    commit_id: opts.commitId,
    comments: placed.map((f) => toComment(f, opts.fingerprint(f))),
  };
}

/** Posts the review in one call; posts nothing (and returns null) when there is no inline comment. */
export async function postReview(
  port: GitHubPort,
  pr: PullRef,
  review: ReviewRequest,
): Promise<Posted | null> {
  if (review.comments.length === 0) return null;
  return port.createReview(pr, review);
}
