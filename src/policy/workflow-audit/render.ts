/** The job-summary section of the audit. */
import { codeSpan, table, tableCell } from '../../report/markdown.js';
import { byPosition, type AuditFinding, type AuditSeverity } from './types.js';

const SEVERITY_LABEL: Record<AuditSeverity, string> = {
  error: '❌ error',
  warning: '⚠️ warning',
  notice: 'ℹ️ notice',
};
const SEVERITY_ORDER: Record<AuditSeverity, number> = { error: 0, warning: 1, notice: 2 };

/** The job-summary section: a table of findings, most severe first; every workflow-derived string escaped. */
export function renderAuditMarkdown(findings: AuditFinding[], workflowPath?: string): string {
  const title = `### Workflow audit${workflowPath ? ` of ${codeSpan(workflowPath)}` : ''}`;
  if (findings.length === 0) return `${title}\n\nNo known mistakes found.`;
  const rows = [...findings]
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || byPosition(a, b))
    .map((f) => [
      SEVERITY_LABEL[f.severity],
      codeSpan(f.id, { inTable: true }),
      f.line === undefined ? '–' : String(f.line),
      f.job === undefined ? '–' : codeSpan(f.job, { inTable: true }),
      tableCell(f.message),
    ]);
  return [
    title,
    `${findings.length} finding(s). Advisory: the audit reads the workflow file in the workspace, which a pull request can edit.`,
    table(['Severity', 'Rule', 'Line', 'Job', 'Finding'], rows),
  ].join('\n\n');
}
