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
import {
  codeSpan,
  details,
  fence,
  flatten,
  closeOpenBlocks,
  formatDuration,
  formatUsd,
  severityBadge,
  table,
  tableCell,
  truncateMarkdown,
} from './markdown.js';

/** UTF-16 units kept; ×3 bytes stays under the runner's 1 MiB step-summary limit. */
export const JOB_SUMMARY_MAX = 300_000;
/** Longest tool-input rendering shown in the audit. */
const INPUT_MAX = 300;

const HEADLINE = { clean: '✅ clean', findings: '⚠️ findings', failed: '❌ failed' } as const;
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

function findingsTable(gate: GateResult): string {
  const posted = (f: GatedFinding, inline: boolean) => ({
    f,
    where: inline
      ? 'inline'
      : f.undelivered
        ? `summary (${f.undelivered})`
        : f.placement === null
          ? 'summary (not on a changed line)'
          : 'summary (over the limit)',
  });
  const rows = [...gate.inline.map((f) => posted(f, true)), ...gate.summaryOnly.map((f) => posted(f, false))];
  rows.sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity));
  return table(
    ['Severity', 'Location', 'Category', 'Title', 'Posted'],
    rows.map(({ f, where }) => [
      severityBadge(f.severity),
      loc(f),
      code(f.category),
      tableCell(f.title),
      where,
    ]),
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
  const out = [`## 🛡️ claude-guard: ${HEADLINE[input.conclusion]}`, overview(input)];

  if (input.error) out.push(`**Error**\n\n${fence(input.error)}`);
  if (run?.error) out.push(`**Agent error**\n\n${fence(run.error)}`);
  if (input.notes.length > 0) out.push(input.notes.map((n) => `- ${flatten(n)}`).join('\n'));

  if (gate) {
    if (gate.summary.trim() !== '') out.push(`### Summary\n\n${closeOpenBlocks(gate.summary)}`);
    const total = gate.inline.length + gate.summaryOnly.length;
    out.push(`### Findings (${total})`);
    if (total > 0) out.push(findingsTable(gate));
    const n = gate.neutralised;
    out.push(
      `Output gate: ${gate.redactions} redaction(s); neutralised ${n.mentions} mention(s), ` +
        `${n.links} link(s), ${n.html} HTML fragment(s).`,
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

  if (input.withheldEnv.length > 0) {
    out.push(
      details(
        `Environment variables withheld from the agent (${input.withheldEnv.length})`,
        [...input.withheldEnv]
          .sort()
          .map((name) => codeSpan(name))
          .join(', '),
      ),
    );
  }

  const dropped = gate?.dropped ?? [];
  if (dropped.length > 0 || input.rejected.length > 0) {
    out.push(`### Findings not posted (${dropped.length + input.rejected.length})`);
    if (dropped.length > 0) {
      out.push(
        `Withheld by the output gate (${dropped.length}):`,
        table(
          ['Severity', 'Location', 'Reason'],
          dropped.map((d) => [severityBadge(d.finding.severity), loc(d.finding), tableCell(d.reason)]),
        ),
      );
    }
    if (input.rejected.length > 0) {
      out.push(
        `Rejected by the findings schema (${input.rejected.length}):`,
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
