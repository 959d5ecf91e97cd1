/**
 * The single sticky summary comment on the pull request: found again by the hidden marker on its
 * first line and updated in place, so re-runs never pile up comments (threat model X6). It shows only
 * gate-approved text (X2); failures, rejected findings and the tool audit stay in the job summary.
 * A marker comment counts as ours only when a bot or a repository insider wrote it, so an outsider
 * who pastes the marker cannot capture or block the summary.
 */
import { severityRank, SEVERITIES, type Severity } from '../findings/schema.js';
import { GitHubApiError, type GitHubPort, type IssueComment, type PullRef } from '../github/client.js';
import type { GatedFinding, ReportInput } from './types.js';
import { describeReviewed, parseReviewedMarker, reviewedMarker } from '../review-scope.js';
import {
  COMMENT_MAX,
  closeOpenBlocks,
  codeSpan,
  details,
  escapeHtml,
  fence,
  flatten,
  formatUsd,
  inlineToHtml,
  plural,
  proseAsText,
  severityBadge,
  table,
  titleAsText,
  truncateMarkdown,
} from './markdown.js';

export const SUMMARY_MARKER = '<!-- claude-guard:summary -->';

export interface SummaryCommentInput extends ReportInput {
  /** Link to the workflow run, where the job summary is. */
  runUrl?: string;
  /** The commit reviewed (named in the footer). */
  headSha?: string;
  /** Notes about this PR's review itself (threads resolved, already-posted findings); the action's own text. */
  prNotes?: string[];
}

function location(f: GatedFinding): string {
  return `${f.path}:${f.line}${f.end_line !== undefined && f.end_line !== f.line ? `-${f.end_line}` : ''}`;
}

function whyNotInline(f: GatedFinding): string {
  if (f.undelivered) return f.undelivered;
  return f.placement === null ? 'not on a changed line' : 'over the inline comment limit';
}

const worstFirst = (a: GatedFinding, b: GatedFinding) => severityRank(b.severity) - severityRank(a.severity);

function summaryOnlyFinding(f: GatedFinding): string {
  const head = `${escapeHtml(severityBadge(f.severity))} · <code>${escapeHtml(location(f))}</code> · ${inlineToHtml(f.title)} <em>(${whyNotInline(f)})</em>`;
  const suggestion = f.suggestion !== undefined ? `\n\nSuggested replacement:\n\n${fence(f.suggestion)}` : '';
  return details(head, `${closeOpenBlocks(f.body)}${suggestion}`);
}

/** One line: "🟠 1 high · 🟡 2 medium", worst first, severities without findings left out. */
export function severityCounts(findings: readonly { severity: Severity }[]): string {
  return [...SEVERITIES]
    .sort((a, b) => severityRank(b) - severityRank(a))
    .map((s) => ({ s, n: findings.filter((f) => f.severity === s).length }))
    .filter(({ n }) => n > 0)
    .map(({ s, n }) => `${severityBadge(s).split(' ')[0]} ${n} ${s}`)
    .join(' · ');
}

/** Every finding, worst first: severity, location (linked to its inline comment when there is one), title. */
function findingsTable(
  input: SummaryCommentInput,
  inline: GatedFinding[],
  summaryOnly: GatedFinding[],
): string {
  const rows = [
    ...inline.map((f) => ({ f, inline: true })),
    ...summaryOnly.map((f) => ({ f, inline: false })),
  ].sort((a, b) => worstFirst(a.f, b.f));
  return table(
    ['Severity', 'Location', 'Finding'],
    rows.map(({ f, inline: isInline }) => {
      const where = codeSpan(location(f), { inTable: true });
      const url = input.inlineLinks?.get(f);
      return [
        severityBadge(f.severity),
        url ? `[${where}](${url})` : where,
        `${titleAsText(f.title, { inTable: true })}${isInline ? (url ? '' : ' (inline comment)') : ' (details below)'}`,
      ];
    }),
  );
}

function headline(input: SummaryCommentInput, total: number): string {
  if (input.conclusion === 'failed') {
    return `❌ the review did not finish${input.failure ? `: ${input.failure.reason}` : ''}`;
  }
  if (total === 0) return '✅ no problems found';
  return `⚠️ ${plural(total, 'finding')}`;
}

function footer(input: SummaryCommentInput): string {
  const parts = [`isolation: **${flatten(input.isolation)}**`];
  if (input.headSha && /^[0-9a-f]{7,64}$/.test(input.headSha))
    parts.unshift(`commit \`${input.headSha.slice(0, 12)}\``);
  if (input.run) {
    parts.push(
      formatUsd(input.run.costUsd),
      plural(input.run.turns, 'turn'),
      `${plural(input.run.deniedCount, 'tool call')} denied`,
    );
  }
  if (input.runUrl) parts.push(`[workflow run](${input.runUrl})`);
  return `---\n<sub>claude-guard · ${parts.join(' · ')} · written by an AI model: check before acting.</sub>`;
}

/** Pure: the sticky comment's markdown, marker first, within GitHub's size limit. */
export function renderSummaryComment(input: SummaryCommentInput): string {
  const gate = input.gate;
  const reported = gate ? [...gate.inline, ...gate.summaryOnly] : [];
  // The reviewed head, on the second line, for the next run's incremental review (review-scope.ts).
  const record =
    input.reviewed && input.conclusion !== 'failed' ? `\n${reviewedMarker(input.reviewed.head)}` : '';
  const sections = [`${SUMMARY_MARKER}${record}`, `### 🛡️ claude-guard: ${headline(input, reported.length)}`];
  if (input.reviewed) {
    const why = input.reviewed.fallback
      ? ` Incremental review not possible: ${input.reviewed.fallback}`
      : input.reviewed.scope === 'incremental'
        ? ' Findings of earlier reviews stay in their review threads.'
        : '';
    sections.push(`<sub>${escapeHtml(flatten(`This run ${describeReviewed(input.reviewed)}.${why}`))}</sub>`);
  }

  if (input.conclusion === 'failed') {
    const where = input.runUrl ? `the job summary of the [workflow run](${input.runUrl})` : 'the job summary';
    sections.push(`${input.failure?.advice ?? 'The run failed.'} Details are in ${where}.`);
  }
  if (gate) {
    if (reported.length > 0) sections.push(`**${severityCounts(reported)}**`);
    if (gate.summary.trim() !== '') sections.push(proseAsText(gate.summary));
    if (reported.length > 0) sections.push(findingsTable(input, gate.inline, gate.summaryOnly));
    if (gate.summaryOnly.length > 0) {
      const sorted = [...gate.summaryOnly].sort(worstFirst);
      sections.push(`#### Not commented inline (${sorted.length})`, ...sorted.map(summaryOnlyFinding));
    }
  }
  if (input.prNotes?.length) sections.push(input.prNotes.map((n) => `- ${n}`).join('\n'));
  const left: string[] = [];
  const withheld = gate?.dropped.length ?? 0;
  if (withheld > 0) {
    left.push(
      `${plural(withheld, 'finding')} could not be shown here (outside this change, or holding a secret)`,
    );
  }
  if (input.rejected.length > 0) left.push(`${plural(input.rejected.length, 'malformed finding')} ignored`);
  if (input.excluded?.findings) {
    left.push(`${plural(input.excluded.findings, 'finding')} on excluded paths left out`);
  }
  if (left.length > 0) sections.push(`${left.join('; ')}. The job summary lists them.`);
  const end = footer(input);
  const notice = '_The summary was too long and has been cut; the job summary has everything._';
  return `${truncateMarkdown(sections.join('\n\n'), COMMENT_MAX - end.length - 2, notice)}\n\n${end}`;
}

const INSIDERS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/** Is this an earlier summary of ours: marker first, written by a bot (the token) or an insider? */
export function isSummaryComment(c: IssueComment): boolean {
  return c.body.startsWith(SUMMARY_MARKER) && (c.authorType === 'Bot' || INSIDERS.has(c.authorAssociation));
}

/**
 * Pure: `body` keeping `previous`'s record of the last reviewed head when it has none of its own (a
 * progress or failure state must not make the next run lose its incremental range). Only a valid record
 * is carried; `body` must start with the summary marker.
 */
export function keepReviewedRecord(body: string, previous: string | undefined): string {
  if (previous === undefined || parseReviewedMarker(body) !== undefined) return body;
  const recorded = parseReviewedMarker(previous);
  if (!recorded || !('sha' in recorded)) return body;
  return `${SUMMARY_MARKER}\n${reviewedMarker(recorded.sha)}${body.slice(SUMMARY_MARKER.length)}`;
}

/**
 * Updates our summary comment (the newest, if there are several) or creates it. Reads every page of
 * comments first, so an old summary far down a long conversation is still found (a run's client reads
 * them once and keeps its own writes in them: github/comment-memo.ts). A body without a reviewed-head
 * record keeps the one the comment had (keepReviewedRecord). A comment deleted since it was read (404)
 * is looked for again once, on a fresh read.
 */
export async function upsertSummaryComment(
  port: GitHubPort,
  pr: PullRef,
  body: string,
): Promise<{ id: number; url: string; action: 'created' | 'updated' }> {
  if (!body.startsWith(SUMMARY_MARKER)) {
    throw new Error(`the summary comment must start with ${SUMMARY_MARKER}, or the next run cannot find it`);
  }
  return upsert(port, pr, body, false);
}

async function upsert(
  port: GitHubPort,
  pr: PullRef,
  body: string,
  retried: boolean,
): Promise<{ id: number; url: string; action: 'created' | 'updated' }> {
  const ours = (await port.listIssueComments(pr)).filter(isSummaryComment);
  const newest = ours.reduce<IssueComment | undefined>(
    (a, c) => (a === undefined || c.id > a.id ? c : a),
    undefined,
  );
  if (newest) {
    try {
      const { id, url } = await port.updateIssueComment(pr, newest.id, keepReviewedRecord(body, newest.body));
      return { id, url, action: 'updated' };
    } catch (error) {
      if (retried || !(error instanceof GitHubApiError) || error.status !== 404) throw error;
      return upsert(port, pr, body, true);
    }
  }
  const { id, url } = await port.createIssueComment(pr, body);
  return { id, url, action: 'created' };
}
