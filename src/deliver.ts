/**
 * Delivering the gated findings where reviewers look: annotations (visible even when the token cannot
 * write to the PR), a SARIF file for code scanning, one pull-request review with inline comments and
 * the single sticky summary comment. Only output-gate results arrive here: already validated,
 * confined, neutralised and redacted. A 403 becomes a clear warning naming the missing permission;
 * the summary, annotations and SARIF are still delivered.
 */
import * as core from '@actions/core';
import pkg from '../package.json' with { type: 'json' };
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from './findings/schema.js';
import { codeContextAt, fingerprint } from './findings/fingerprint.js';
import type { GitHubPort, PullRef } from './github/client.js';
import { GitHubPermissionError } from './github/client.js';
import { emitAnnotations } from './report/annotations.js';
import { buildSarif, writeSarif } from './report/sarif.js';
import { buildReview, postReview } from './report/review.js';
import { upsertSummaryComment } from './report/summary-comment.js';
import type { GateResult } from './report/types.js';
import { loadPostedFindings, planReviewSync, syncNote, syncReview } from './report/review-sync.js';
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

/**
 * The review and the summary comment, in step with earlier runs on this PR: a finding already posted
 * (same fingerprint) is not posted again, and threads of findings that no longer occur are resolved.
 * Each part is attempted on its own; a missing permission is a warning (returned as a note), any other
 * API failure is an error.
 */
export async function deliverToPullRequest(
  github: GitHubPort,
  pr: PullRef,
  commitId: string,
  gate: GateResult,
  fingerprintOf: (f: Finding) => string,
  summaryBody: (notes: string[], commentIds: ReadonlyMap<Finding, number>) => string,
): Promise<string[]> {
  const notes: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (err) {
      if (!(err instanceof GitHubPermissionError)) throw err;
      core.warning(err.message);
      notes.push(
        `Could not post the ${what}: the token lacks \`${err.permission}\`. Findings are in the annotations, this summary and the SARIF file.`,
      );
    }
  };
  const current = [...gate.inline, ...gate.summaryOnly].map((finding) => ({
    finding,
    fingerprint: fingerprintOf(finding),
  }));
  let plan: ReturnType<typeof planReviewSync<(typeof current)[number]['finding']>> | undefined;
  await attempt('review', async () => {
    plan = planReviewSync({ current, previous: await loadPostedFindings(github, pr) });
    const toPost = new Set(plan.post.map((p) => p.finding));
    const kept = plan.keep.length;
    if (kept)
      notes.push(
        kept === 1
          ? '1 finding was already posted on this pull request and was not posted again.'
          : `${kept} findings were already posted on this pull request and were not posted again.`,
      );
    await postReview(
      github,
      pr,
      buildReview(
        { ...gate, inline: gate.inline.filter((f) => toPost.has(f)) },
        { commitId, fingerprint: fingerprintOf },
      ),
    );
  });
  if (plan?.resolve.length) {
    const synced = await syncReview(github, plan);
    const note = syncNote(synced);
    if (note) notes.push(note);
  }
  const linkable = gate.inline.length > 0 || (plan?.keep.length ?? 0) > 0 ? current : [];
  const commentIds = await inlineCommentIds(github, pr, linkable);
  await attempt('summary comment', () => upsertSummaryComment(github, pr, summaryBody(notes, commentIds)));
  return notes;
}

/**
 * The inline comment of each finding (posted now or by an earlier run), found by the fingerprint
 * marker on comments our identity wrote, so the summary comment can link to it. Best effort: when the
 * comments cannot be read the summary simply has no links.
 */
async function inlineCommentIds(
  github: GitHubPort,
  pr: PullRef,
  current: { finding: Finding; fingerprint: string }[],
): Promise<Map<Finding, number>> {
  const ids = new Map<Finding, number>();
  if (current.length === 0) return ids;
  try {
    const byFingerprint = new Map(
      (await loadPostedFindings(github, pr)).map((p) => [p.fingerprint, p.commentId] as const),
    );
    for (const c of current) {
      const id = byFingerprint.get(c.fingerprint);
      if (id !== undefined) ids.set(c.finding, id);
    }
  } catch (err) {
    core.info(`claude-guard: inline comments not linked from the summary (${(err as Error).message}).`);
  }
  return ids;
}
