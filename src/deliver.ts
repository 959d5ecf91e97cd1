/**
 * Delivering the gated findings where reviewers look: annotations (visible even when the token cannot
 * write to the PR), a SARIF file for code scanning, one pull-request review with inline comments and
 * the single sticky summary comment. Only output-gate results arrive here: already validated,
 * confined, neutralised and redacted. No failure here fails the run or loses a finding: a 403 becomes
 * a warning naming the missing permission, a 422 moves the refused comments to the summary, and the
 * summary, annotations and SARIF are still delivered.
 */
import * as core from '@actions/core';
import pkg from '../package.json' with { type: 'json' };
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './findings/schema.js';
import { codeContextAt, fingerprint } from './findings/fingerprint.js';
import type { GitHubPort, PullRef } from './github/client.js';
import { GitHubApiError, GitHubPermissionError } from './github/client.js';
import { fromPullFiles, placeFinding } from './findings/diff.js';
import { emitAnnotations } from './report/annotations.js';
import { buildSarif, writeSarif } from './report/sarif.js';
import { buildReview, postReview } from './report/review.js';
import { upsertSummaryComment } from './report/summary-comment.js';
import type { GateResult, GatedFinding } from './report/types.js';
import {
  earlierFindings,
  loadEarlierComments,
  loadPostedFindings,
  planReviewSync,
  syncNote,
  syncReview,
  type EarlierComments,
  type PostedFinding,
} from './report/review-sync.js';
import type { RunContext } from './context.js';

export const SARIF_FILE = 'claude-guard.sarif';

/** The finding's fingerprint from the file as the PR has it (the path is already confined by the gate). */
export function fingerprintIn(workspace: string): (f: Finding) => string {
  return (f) => {
    let text = '';
    try {
      text = readFileSync(path.join(workspace, f.path), 'utf8');
    } catch {
      // a deleted or unreadable file: path and title still identify the finding
    }
    return fingerprint(f, codeContextAt(text, f.line, f.end_line));
  };
}

/** Annotations and the SARIF file; returns the SARIF path. */
export function deliverToRun(gate: GateResult, ctx: RunContext, runDir: string): string {
  const findings = [...gate.inline, ...gate.summaryOnly];
  const skipped = emitAnnotations(findings, core);
  if (skipped)
    core.info(`claude-guard: ${skipped} finding(s) not annotated (GitHub shows at most 50 per step).`);
  const file = path.join(runDir, SARIF_FILE);
  writeSarif(
    file,
    buildSarif({
      findings,
      fingerprints: fingerprintIn(ctx.workspace),
      toolVersion: pkg.version,
      repoUri: `${ctx.serverUrl}/${ctx.repository}`,
      commitSha: ctx.pull?.headSha ?? process.env.GITHUB_SHA,
      runUrl: process.env.GITHUB_RUN_ID
        ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${process.env.GITHUB_RUN_ID}`
        : undefined,
    }),
  );
  return file;
}

/** What delivery to the pull request did: notes for the summaries, and the gate as delivered. */
export interface PullDelivery {
  notes: string[];
  /** The gate with every finding GitHub refused (or that could not be posted) moved to summary only. */
  gate: GateResult;
}

/**
 * Pure: split inline findings into those still placeable on the PR's current diff and those not
 * (GitHub answers 422 for a comment whose line is not in the diff, e.g. after the head moved).
 */
export function recheckPlacement(
  inline: readonly GatedFinding[],
  files: Parameters<typeof fromPullFiles>[0],
): { placeable: GatedFinding[]; refused: GatedFinding[] } {
  const diff = fromPullFiles(files);
  const placeable: GatedFinding[] = [];
  const refused: GatedFinding[] = [];
  for (const f of inline) {
    const where = placeFinding(f, diff);
    const same =
      where.inline &&
      f.placement !== null &&
      where.line === f.placement.line &&
      where.startLine === f.placement.startLine;
    if (same) placeable.push(f);
    else
      refused.push({
        ...f,
        placement: null,
        undelivered: where.inline ? 'GitHub refused the comment' : `GitHub refused it: ${where.reason}`,
      });
  }
  return { placeable, refused };
}

/** Pure: `gate` with `moved` taken out of inline and listed as summary only. */
export function moveToSummary(gate: GateResult, moved: readonly GatedFinding[]): GateResult {
  if (moved.length === 0) return gate;
  const keys = new Set(moved.map(findingKey));
  return {
    ...gate,
    inline: gate.inline.filter((f) => !keys.has(findingKey(f))),
    summaryOnly: [...gate.summaryOnly, ...moved],
  };
}

function findingKey(f: GatedFinding): string {
  return JSON.stringify([f.path, f.line, f.end_line, f.title, f.severity, f.category]);
}

const isUnprocessable = (err: unknown) => err instanceof GitHubApiError && err.status === 422;

/**
 * The review and the summary comment, in step with earlier runs on this PR: a finding already posted
 * (same fingerprint) is not posted again, and threads of findings that no longer occur are resolved.
 * Delivery never loses a finding: when GitHub refuses the review (422: a comment's line is not in the
 * diff), the comments are checked against the PR's current diff, the refused ones move to the
 * summary and the rest are posted again; if that still fails, every finding goes to the summary. The
 * summary comment is posted whatever happened to the review. Every failure here is a warning (returned
 * as a note); the findings stay in the job summary, outputs, findings file and SARIF.
 */
export async function deliverToPullRequest(
  github: GitHubPort,
  pr: PullRef,
  commitId: string,
  gate: GateResult,
  fingerprintOf: (f: Finding) => string,
  summaryBody: (notes: string[], gate: GateResult, commentIds: ReadonlyMap<Finding, number>) => string,
  /** Which earlier findings this run may call gone (an incremental review: only those on code it saw). */
  mayResolve?: (p: PostedFinding) => boolean,
  /** `loadEarlierComments`, already under way (read beside the gate); read here when not given. */
  earlierRead?: Promise<EarlierComments>,
): Promise<PullDelivery> {
  const notes: string[] = [];
  let delivered = gate;
  /** A review with inline comments was posted (or may have been): the PR's review comments may have changed. */
  let reviewSent = false;
  const warn = (what: string, err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    core.warning(message);
    notes.push(
      err instanceof GitHubPermissionError
        ? `Could not post the ${what}: the token lacks \`${err.permission}\`. Findings are in the annotations, this summary and the SARIF file.`
        : `Could not post the ${what}: ${message.split('\n')[0]}. Findings are in the annotations, the job summary and the SARIF file.`,
    );
  };
  const current = [...gate.inline, ...gate.summaryOnly].map((finding) => ({
    finding,
    fingerprint: fingerprintOf(finding),
  }));
  let plan: ReturnType<typeof planReviewSync<(typeof current)[number]['finding']>> | undefined;
  let earlier: EarlierComments | undefined;
  try {
    earlier = await (earlierRead ?? loadEarlierComments(github, pr));
    plan = planReviewSync({ current, previous: earlierFindings(earlier), mayResolve });
  } catch (err) {
    core.warning(`Reading earlier comments failed; every finding is posted: ${(err as Error).message}`);
    notes.push(
      `Could not read the pull request's earlier comments (${(err as Error).message.split('\n')[0]}); findings an earlier run posted may be repeated.`,
    );
    plan = planReviewSync({ current, previous: [] });
  }
  {
    const toPost = new Set(plan.post.map((p) => p.finding));
    const kept = plan.keep.length;
    if (kept)
      notes.push(
        kept === 1
          ? '1 finding was already posted on this pull request and was not posted again.'
          : `${kept} findings were already posted on this pull request and were not posted again.`,
      );
    const post = async (inline: GatedFinding[]) => {
      const review = buildReview({ ...gate, inline }, { commitId, fingerprint: fingerprintOf });
      let stored = true; // also after a timeout or a 5xx: GitHub may have stored it all the same
      try {
        return await postReview(github, pr, review);
      } catch (err) {
        stored = !(err instanceof GitHubPermissionError || isUnprocessable(err)); // refused: nothing stored
        throw err;
      } finally {
        if (stored && review.comments.length > 0) reviewSent = true;
      }
    };
    let inline = gate.inline.filter((f) => toPost.has(f));
    try {
      try {
        await post(inline);
      } catch (err) {
        if (!isUnprocessable(err)) throw err;
        const first = (err as Error).message;
        const { placeable, refused } = recheckPlacement(inline, await github.listPullFiles(pr));
        delivered = moveToSummary(delivered, refused);
        inline = placeable;
        core.warning(
          `GitHub refused the review (${first.split('\n')[0]}); ${refused.length} comment(s) no longer fit the pull request's diff and moved to the summary.`,
        );
        if (refused.length)
          notes.push(
            `GitHub refused ${refused.length === 1 ? '1 inline comment (its line is' : `${refused.length} inline comments (their lines are`} not in the pull request's current diff); ${refused.length === 1 ? 'it is' : 'they are'} listed below instead.`,
          );
        if (refused.length === 0) throw err; // nothing identified: do not repeat the same request
        await post(inline);
      }
    } catch (err) {
      delivered = moveToSummary(
        delivered,
        inline.map((f) => ({ ...f, undelivered: 'the review could not be posted' })),
      );
      warn('review', err);
    }
  }
  const resolving = async () => {
    if (!plan?.resolve.length) return;
    try {
      const note = syncNote(await syncReview(github, plan));
      if (note) notes.push(note);
    } catch (err) {
      core.warning(`Resolving earlier review threads failed: ${(err as Error).message}`);
    }
  };
  const linkable = delivered.inline.length > 0 || (plan?.keep.length ?? 0) > 0 ? current : [];
  // Independent: resolving gone threads changes no comment id the summary links to.
  const [, commentIds] = await Promise.all([
    resolving(),
    inlineCommentIds(github, pr, linkable, earlier, reviewSent),
  ]);
  try {
    await upsertSummaryComment(github, pr, summaryBody(notes, delivered, commentIds));
  } catch (err) {
    warn('summary comment', err);
  }
  return { notes, gate: delivered };
}

/**
 * The inline comment of each finding (posted now or by an earlier run), found by the fingerprint
 * marker on comments our identity wrote, so the summary comment can link to it. What was read before
 * the review (`earlier`) is reused: the review changed only the review comments, so only they are read
 * again, and only when a review with comments was sent (the threads and the logins that post as the
 * action are as read; the new comments' threads are not needed for a link). Without an earlier read,
 * everything is read. Best effort: when the comments cannot be read the summary simply has no links.
 */
async function inlineCommentIds(
  github: GitHubPort,
  pr: PullRef,
  current: { finding: Finding; fingerprint: string }[],
  earlier: EarlierComments | undefined,
  reviewSent: boolean,
): Promise<Map<Finding, number>> {
  const ids = new Map<Finding, number>();
  if (current.length === 0) return ids;
  try {
    const posted = earlier
      ? earlierFindings(reviewSent ? { ...earlier, comments: await github.listReviewComments(pr) } : earlier)
      : await loadPostedFindings(github, pr);
    const byFingerprint = new Map(posted.map((p) => [p.fingerprint, p.commentId] as const));
    for (const c of current) {
      const id = byFingerprint.get(c.fingerprint);
      if (id !== undefined) ids.set(c.finding, id);
    }
  } catch (err) {
    core.info(`claude-guard: inline comments not linked from the summary (${(err as Error).message}).`);
  }
  return ids;
}
