/**
 * The job summary: the full, private-to-the-run audit of what the agent did. It shows the conclusion,
 * isolation level reached, cost, every tool call (allowed, denied, failed), the names of environment
 * variables withheld from the agent, and findings the gate or the schema refused. Every string that
 * came from the agent is escaped for tables or put in code spans, so it cannot forge rows, links or
 * HTML in the summary (threat model X3); values of withheld variables never appear, only names (S1).
 */
import * as core from '@actions/core';
import { severityRank } from '../findings/schema.js';
import type { GateResult, GatedFinding, ReportInput, ToolCall } from './types.js';
import { describeReviewed } from '../review-scope.js';
import {
  closeOpenBlocks,
  codeSpan,
  details,
  escapeHtml,
  fence,
  flatten,
  formatDuration,
  formatUsd,
  inlineToHtml,
  plural,
  proseAsText,
  severityBadge,
  titleAsText,
  table,
  tableCell,
  truncateMarkdown,
} from './markdown.js';

/** UTF-16 units kept; ×3 bytes stays under the runner's 1 MiB step-summary limit. */
export const JOB_SUMMARY_MAX = 300_000;
/** Longest tool-input rendering shown in the audit. */
const INPUT_MAX = 300;

const HEADLINE = {
  clean: '✅ clean',
  findings: '⚠️ findings',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
} as const;
const OUTCOME: Record<ToolCall['outcome'], string> = {
  allowed: '✅ allowed',
  denied: '⛔ denied',
  error: '⚠️ error',
};

const code = (s: string) => codeSpan(s, { inTable: true });
const clip = (s: string) => (s.length > INPUT_MAX ? `${s.slice(0, INPUT_MAX)}…` : s);
const loc = (f: { path: string; line: number }) => code(`${f.path}:${f.line}`);

function overview(input: ReportInput): string {
  const run = input.run;
  const header = ['Isolation', 'Cost', 'Duration', 'Turns', 'Tool calls', 'Denied', 'Model'];
  const row = [
    tableCell(input.isolation),
    run ? formatUsd(run.costUsd) : '–',
    run ? formatDuration(run.durationMs) : '–',
    run ? String(run.turns) : '–',
    run ? String(run.toolCalls.length) : '–',
    run ? String(run.deniedCount) : '–',
    run?.model ? code(run.model) : '–',
  ];
  return table(header, [row]);
}

function whereShown(f: GatedFinding, inline: boolean, onPullRequest: boolean): string {
  if (!onPullRequest) return 'job summary only (no pull request comment)';
  if (inline) return 'inline comment';
  if (f.undelivered) return `summary comment (${f.undelivered})`;
  return f.placement === null
    ? 'summary comment (not on a changed line)'
    : 'summary comment (over the limit)';
}

function sortedFindings(gate: GateResult): { f: GatedFinding; inline: boolean }[] {
  const rows = [
    ...gate.inline.map((f) => ({ f, inline: true })),
    ...gate.summaryOnly.map((f) => ({ f, inline: false })),
  ];
  return rows.sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity));
}

function findingsTable(gate: GateResult, onPullRequest: boolean): string {
  const rows = sortedFindings(gate);
  return table(
    ['Severity', 'Location', 'Category', 'Title', ...(onPullRequest ? ['Posted as'] : [])],
    rows.map(({ f, inline }) => [
      severityBadge(f.severity),
      loc(f),
      code(f.category),
      titleAsText(f.title, { inTable: true }),
      ...(onPullRequest ? [whereShown(f, inline, true)] : []),
    ]),
  );
}

/** Each finding's full text, collapsed: the only place it is readable when nothing is posted on a PR. */
function findingBodies(gate: GateResult): string[] {
  return sortedFindings(gate).map(({ f }) =>
    details(
      `${escapeHtml(severityBadge(f.severity))} · <code>${escapeHtml(`${f.path}:${f.line}`)}</code> · ${inlineToHtml(f.title)}`,
      `${closeOpenBlocks(f.body)}${f.suggestion !== undefined ? `\n\nSuggested replacement:\n\n${fence(f.suggestion)}` : ''}`,
    ),
  );
}

/** "2 secrets redacted; 1 mention and 1 link made inert", or '' when the gate changed nothing. */
function gateWords(gate: GateResult): string {
  const n = gate.neutralised;
  const inert = [
    n.mentions ? plural(n.mentions, 'mention') : '',
    n.links ? plural(n.links, 'link') : '',
    n.html ? plural(n.html, 'HTML fragment') : '',
  ].filter(Boolean);
  const parts = [
    gate.redactions ? `${plural(gate.redactions, 'secret')} redacted` : '',
    inert.length ? `${inert.join(', ')} in the agent's text made inert` : '',
  ].filter(Boolean);
  return parts.length ? `Before showing the agent's text: ${parts.join('; ')}.` : '';
}

function withheldSection(names: string[]): string {
  const inputs = names.filter((n) => n.startsWith('INPUT_')).length;
  const what = `${plural(names.length, 'environment variable')} withheld from the agent${inputs ? ` (${plural(inputs, 'action input')} among them)` : ''}`;
  return details(
    escapeHtml(what),
    [...names]
      .sort()
      .map((name) => codeSpan(name))
      .join(', '),
  );
}

function toolTable(calls: ToolCall[]): string {
  return table(
    ['#', 'Tool', 'Input', 'Outcome', 'Reason'],
    calls.map((c, i) => [
      String(i + 1),
      code(c.name),
      code(clip(c.input)),
      OUTCOME[c.outcome],
      c.reason ? tableCell(clip(c.reason)) : '',
    ]),
  );
}

/** Pure: the job summary markdown. */
export function renderJobSummary(input: ReportInput): string {
  const { gate, run } = input;
  const out = [`## 🛡️ claude-guard: ${HEADLINE[input.conclusion]}`];
  if (input.conclusion !== 'skipped') out.push(overview(input));
  if (input.reviewed) {
    const why = input.reviewed.fallback ? ` Incremental review not possible: ${input.reviewed.fallback}` : '';
    out.push(flatten(`This run ${describeReviewed(input.reviewed)}.${why}`));
  }

  if (input.failure) out.push(`**Why it failed: ${input.failure.reason}.** ${input.failure.advice}`);
  if (input.error) out.push(`**Error**\n\n${fence(input.error)}`);
  if (run?.error) out.push(`**Agent error**\n\n${fence(run.error)}`);
  if (input.notes.length > 0) out.push(input.notes.map((n) => `- ${flatten(n)}`).join('\n'));

  if (gate) {
    if (gate.summary.trim() !== '') out.push(`### Summary\n\n${proseAsText(gate.summary)}`);
    const total = gate.inline.length + gate.summaryOnly.length;
    out.push(`### Findings (${total})`);
    if (total > 0) out.push(findingsTable(gate, input.onPullRequest === true), ...findingBodies(gate));
    const words = gateWords(gate);
    if (words) out.push(words);
  }

  if (input.excluded && (input.excluded.files.length > 0 || input.excluded.findings > 0)) {
    const { files, findings } = input.excluded;
    out.push(
      details(
        escapeHtml(
          `exclude-paths: ${plural(files.length, 'changed file')} not reviewed, ${plural(findings, 'finding')} on excluded paths dropped`,
        ),
        files.length ? files.map((f) => `- ${codeSpan(f)}`).join('\n') : '_No changed file matched._',
      ),
    );
  }

  if (run) {
    const denied = run.toolCalls.filter((c) => c.outcome === 'denied');
    if (denied.length > 0) out.push(`### Denied tool calls (${denied.length})`, toolTable(denied));
    out.push(
      details(
        `Tool-call audit (${run.toolCalls.length})`,
        run.toolCalls.length ? toolTable(run.toolCalls) : '_No tool calls._',
      ),
    );
  }

  if (input.withheldEnv.length > 0) out.push(withheldSection(input.withheldEnv));

  const dropped = gate?.dropped ?? [];
  if (dropped.length > 0 || input.rejected.length > 0) {
    out.push(`### Findings not posted (${dropped.length + input.rejected.length})`);
    if (dropped.length > 0) {
      out.push(
        `Left out because they could not be shown safely (${dropped.length}):`,
        table(
          ['Severity', 'Location', 'Reason'],
          dropped.map((d) => [severityBadge(d.finding.severity), loc(d.finding), tableCell(d.reason)]),
        ),
      );
    }
    if (input.rejected.length > 0) {
      out.push(
        `Malformed, ignored (${input.rejected.length}):`,
        table(
          ['#', 'Reason'],
          input.rejected.map((r) => [String(r.index), tableCell(r.reason)]),
        ),
      );
    }
  }

  const notice = `_The job summary was too long and has been cut at ${JOB_SUMMARY_MAX} characters._`;
  return truncateMarkdown(out.join('\n\n'), JOB_SUMMARY_MAX, notice);
}

/** Appends the markdown to the step summary; a no-op (logged) outside Actions, where there is none. */
export async function writeJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info('No GITHUB_STEP_SUMMARY file (not running in GitHub Actions): job summary not written.');
    return;
  }
  await core.summary.addRaw(markdown, true).write();
}
