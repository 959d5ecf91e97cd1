/**
 * The single sticky summary comment on the pull request: found again by the hidden marker on its
 * first line and updated in place, so re-runs never pile up comments (threat model X6). It shows only
 * gate-approved text (X2); failures, rejected findings and the tool audit stay in the job summary.
 * A marker comment counts as ours only when a bot or a repository insider wrote it, so an outsider
 * who pastes the marker cannot capture or block the summary.
 */
import { severityRank, SEVERITIES, type Severity } from '../findings/schema.js';
import type { GitHubPort, IssueComment, PullRef } from '../github/client.js';
import type { GatedFinding, ReportInput } from './types.js';
import {
  COMMENT_MAX,
  closeOpenBlocks,
  details,
  escapeHtml,
  fence,
  flatten,
  formatUsd,
  severityBadge,
  table,
  truncateMarkdown,
} from './markdown.js';

export const SUMMARY_MARKER = '<!-- claude-guard:summary -->';

export interface SummaryCommentInput extends ReportInput {
  /** Link to the workflow run, where the job summary is. */
  runUrl?: string;
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

function summaryOnlyFinding(f: GatedFinding): string {
  const head = `${escapeHtml(severityBadge(f.severity))} · <code>${escapeHtml(location(f))}</code> · ${escapeHtml(flatten(f.title))} <em>(${whyNotInline(f)})</em>`;
  const suggestion = f.suggestion !== undefined ? `\n\nSuggested replacement:\n\n${fence(f.suggestion)}` : '';
  return details(head, `${closeOpenBlocks(f.body)}${suggestion}`);
}

function countsTable(findings: GatedFinding[]): string {
  const count = (s: Severity) => String(findings.filter((f) => f.severity === s).length);
  return table(SEVERITIES.map(severityBadge), [SEVERITIES.map(count)]);
}

function headline(input: SummaryCommentInput, total: number): string {
  if (input.conclusion === 'failed') return '❌ the review did not complete';
  if (total === 0) return '✅ no findings';
  return `⚠️ ${total} finding${total === 1 ? '' : 's'}`;
}

function footer(input: SummaryCommentInput): string {
  const parts = [`isolation: **${flatten(input.isolation)}**`];
  if (input.run) {
    parts.push(
      formatUsd(input.run.costUsd),
      `${input.run.turns} turns`,
      `${input.run.deniedCount} tool calls denied`,
    );
  }
  if (input.runUrl) parts.push(`[workflow run](${input.runUrl})`);
  return `---\n<sub>claude-guard · ${parts.join(' · ')} · written by an AI model: check before acting.</sub>`;
}

/** Pure: the sticky comment's markdown, marker first, within GitHub's size limit. */
export function renderSummaryComment(input: SummaryCommentInput): string {
  const gate = input.gate;
  const reported = gate ? [...gate.inline, ...gate.summaryOnly] : [];
  const sections = [SUMMARY_MARKER, `### 🛡️ claude-guard: ${headline(input, reported.length)}`];

  if (input.conclusion === 'failed') {
    sections.push(
      `The run failed; the reason is in the job summary${input.runUrl ? ` of the [workflow run](${input.runUrl})` : ''}.`,
    );
  }
  if (gate) {
    if (gate.summary.trim() !== '') sections.push(closeOpenBlocks(gate.summary));
    if (reported.length > 0) sections.push(countsTable(reported));
    if (gate.inline.length > 0) {
      sections.push(
        `${gate.inline.length} of them ${gate.inline.length === 1 ? 'is' : 'are'} commented inline in the review.`,
      );
    }
    if (gate.summaryOnly.length > 0) {
      const sorted = [...gate.summaryOnly].sort(
        (a, b) => severityRank(b.severity) - severityRank(a.severity),
      );
      sections.push(`#### Not commented inline (${sorted.length})`, ...sorted.map(summaryOnlyFinding));
    }
  }
  if (input.prNotes?.length) sections.push(input.prNotes.map((n) => `- ${n}`).join('\n'));
  const withheld = gate?.dropped.length ?? 0;
  if (withheld > 0 || input.rejected.length > 0) {
    sections.push(
      `${withheld} finding${withheld === 1 ? ' was' : 's were'} withheld by the output gate and ` +
        `${input.rejected.length} rejected as malformed; the job summary lists them.`,
    );
  }
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
 * Updates our summary comment (the newest, if there are several) or creates it. Reads every page of
 * comments first, so an old summary far down a long conversation is still found.
 */
export async function upsertSummaryComment(
  port: GitHubPort,
  pr: PullRef,
  body: string,
): Promise<{ id: number; url: string; action: 'created' | 'updated' }> {
  if (!body.startsWith(SUMMARY_MARKER)) {
    throw new Error(`the summary comment must start with ${SUMMARY_MARKER}, or the next run cannot find it`);
  }
  const ours = (await port.listIssueComments(pr)).filter(isSummaryComment);
  const newest = ours.reduce<IssueComment | undefined>(
    (a, c) => (a === undefined || c.id > a.id ? c : a),
    undefined,
  );
  if (newest) return { ...(await port.updateIssueComment(pr, newest.id, body)), action: 'updated' };
  return { ...(await port.createIssueComment(pr, body)), action: 'created' };
}
