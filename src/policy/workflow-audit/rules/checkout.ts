/** actions/checkout: of the pull request's head on a privileged trigger, and with persisted credentials. */
import type { AuditFinding } from '../types.js';
import { isLocalUses, matchLines, PRIVILEGED, regexFinder, type Finder, type Job } from '../shape.js';
import { asScalar, entry, text, type TreeNode } from '../tree.js';

const HEAD_REF =
  /github\.event\.pull_request\.(?:head\.(?:sha|ref|repo\.full_name)|merge_commit_sha)|github\.head_ref|refs\/pull\/|github\.event\.workflow_run\.head_(?:sha|branch)/i;
const RUN_HEAD_CHECKOUT = new RegExp(
  String.raw`\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|switch|pull|reset)\b[^\n]*(?:pull\/|${HEAD_REF.source})`,
  'i',
);

export const checkoutHead: Finder = (wf) => {
  const events = wf.triggers.filter((t) => PRIVILEGED.has(t.name)).map((t) => t.name);
  if (events.length === 0) return [];
  const on = events.join(' / ');
  const message = (what: string) =>
    `On ${on} the job has secrets and a write token, and ${what} checks out the pull request's code: ` +
    `its build scripts, hooks and agent settings run with them (a "pwn request"). Check out the base ` +
    `(the default) or move the untrusted work to a pull_request workflow.`;
  return wf.jobs.flatMap((job) =>
    job.steps.flatMap((step, index): AuditFinding[] => {
      if (step.uses && /^actions\/checkout(?:@|$)/i.test(step.uses)) {
        const with_ = entry(step.node, 'with')?.value;
        // Only the documented fork-safe pair (workflow_run) is eased; pull_request_target stays an error.
        const forAgentOnly = events.every((e) => e === 'workflow_run') && reviewedOnly(job, index, with_);
        return ['ref', 'repository'].flatMap((k): AuditFinding[] => {
          const e = entry(with_, k);
          const v = asScalar(e?.value)?.value;
          return e && v && HEAD_REF.test(v)
            ? [
                {
                  id: 'pull-request-target-checkout-head',
                  severity: forAgentOnly ? 'notice' : 'error',
                  line: e.line,
                  job: job.id,
                  message: forAgentOnly
                    ? `On ${on} actions/checkout with ${k}: ${v} checks out the pull request's code for claude-guard ` +
                      `only (the fork-safe pattern): keep it so — no step after it may build, install or run that code.`
                    : message(`actions/checkout with ${k}: ${v}`),
                },
              ]
            : [];
        });
      }
      if (!step.run) return [];
      return matchLines(wf, step.run, regexFinder(RUN_HEAD_CHECKOUT))
        .slice(0, 1)
        .map(({ line, text: cmd }) => ({
          id: 'pull-request-target-checkout-head',
          severity: 'error',
          line,
          job: job.id,
          message: message(`'${cmd}'`),
        }));
    }),
  );
};

/**
 * The fork-safe pattern: the pull request's head is checked out without credentials, and every later step
 * of the job is claude-guard, which reads the code as data (no `run:`, no other action, no local action).
 */
function reviewedOnly(job: Job, checkoutIndex: number, with_: TreeNode | undefined): boolean {
  const later = job.steps.slice(checkoutIndex + 1);
  return (
    text(with_, 'persist-credentials') === 'false' &&
    later.length > 0 &&
    later.every((s) => s.isAgent && !s.run && !(s.uses && isLocalUses(s.uses)))
  );
}

export const persistCredentials: Finder = (wf) =>
  wf.jobs
    .filter((j) => j.isAgent)
    .flatMap((job) =>
      job.steps
        .filter((s) => s.uses && /^actions\/checkout(?:@|$)/i.test(s.uses))
        .filter((s) => text(entry(s.node, 'with')?.value, 'persist-credentials') !== 'false')
        .map((s): AuditFinding => ({
          id: 'persist-credentials',
          severity: 'warning',
          line: s.usesLine,
          job: job.id,
          message:
            `actions/checkout in job '${job.id}' keeps the job's token in the git config (.git/config, or ` +
            `$RUNNER_TEMP from checkout v6) for every later step. claude-guard hides it while the agent runs, ` +
            `but set persist-credentials: false.`,
        })),
    );
