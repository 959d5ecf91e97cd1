/**
 * Privileged triggers that run on work a fork controls, in a workflow where claude-guard runs (a job with
 * its step, or the job GITHUB_JOB names). Allowed only when every claude-guard step sets
 * allow-untrusted-pr: true; a job that runs it without a visible step (a wrapper) counts as not allowed.
 */
import type { AuditFinding } from '../types.js';
import { PRIVILEGED, type Finder } from '../shape.js';
import { entry, text } from '../tree.js';

export const untrustedTrigger: Finder = (wf) => {
  const agentJobs = wf.jobs.filter((j) => j.isAgent);
  if (agentJobs.length === 0) return [];
  const agentSteps = agentJobs.flatMap((j) => j.steps.filter((s) => s.isAgent));
  const allowed =
    agentSteps.length > 0 &&
    agentJobs.every((j) => j.agentIndex >= 0) &&
    agentSteps.every((s) => text(entry(s.node, 'with')?.value, 'allow-untrusted-pr') === 'true');
  return wf.triggers
    .filter((t) => PRIVILEGED.has(t.name))
    .map((t): AuditFinding =>
      allowed
        ? {
            id: 'untrusted-trigger',
            severity: 'warning',
            line: t.line,
            message:
              `${t.name} runs with the repository's secrets on work a fork controls, and allow-untrusted-pr ` +
              `lets claude-guard run there (read-only, strict isolation where the machine offers it). Keep it ` +
              `that way: never check out, build or install the pull request's code in this workflow.`,
          }
        : {
            id: 'untrusted-trigger',
            severity: 'notice',
            line: t.line,
            message:
              `${t.name} runs with the repository's secrets on work a fork controls: claude-guard refuses ` +
              `to run on it unless allow-untrusted-pr: true is set. Prefer a pull_request trigger.`,
          },
    );
};
