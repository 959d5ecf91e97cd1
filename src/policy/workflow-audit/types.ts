/**
 * The audit's vocabulary: rule ids, findings and options. Shared by every rule module and the report.
 */
import type { Mode } from '../../core.js';

/** Rule ids are a contract: the log, the job summary and users' suppressions refer to them. */
export const AUDIT_RULE_IDS = [
  'workflow-unreadable',
  'agent-step-not-found',
  'secret-in-workflow-env',
  'install-after-agent',
  'permissions-missing',
  'permissions-too-broad',
  'pull-request-target-checkout-head',
  'persist-credentials',
  'secrets-inherit',
  'unpinned-action',
  'dangerously-skip-permissions',
  'untrusted-trigger',
  'script-injection',
  'overprovisioned-secrets',
] as const;
export type AuditRuleId = (typeof AUDIT_RULE_IDS)[number];
export type AuditSeverity = 'error' | 'warning' | 'notice';
export type AuditMode = Mode;

export interface AuditFinding {
  id: AuditRuleId;
  severity: AuditSeverity;
  message: string;
  /** 1-based line in the workflow file. */
  line?: number;
  /** The job id the finding belongs to; absent for workflow-wide findings. */
  job?: string;
}

export interface AuditOptions {
  /**
   * How this action is referenced (e.g. GITHUB_ACTION_REPOSITORY 'acme/claude-guard', or './'). A step
   * is claude-guard when its `uses:` contains 'claude-guard' or equals this (ignoring `@ref`).
   */
  actionRef?: string;
  mode: AuditMode;
  /** GITHUB_JOB: the job this run is in; job-level checks apply to it even when no `uses:` matched. */
  jobId?: string;
  /**
   * Judge every job as one that runs claude-guard (the job-level checks apply to all of them). For
   * auditing a workflow from outside a run, and for the parity tests against zizmor's fixtures.
   */
  everyJob?: boolean;
}

/** Findings in file order: by line, then rule id, then job. */
export function byPosition(a: AuditFinding, b: AuditFinding): number {
  return (
    (a.line ?? Infinity) - (b.line ?? Infinity) ||
    a.id.localeCompare(b.id) ||
    (a.job ?? '').localeCompare(b.job ?? '')
  );
}
