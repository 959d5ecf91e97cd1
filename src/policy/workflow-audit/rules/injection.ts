/** Script injection: attacker-controlled text pasted into code before it runs. */
import type { AuditFinding } from '../types.js';
import { matchLines, type Find, type Finder } from '../shape.js';
import { asScalar, entry } from '../tree.js';

const INDEX = String.raw`(?:\.\*|\.\d+|\[[^\]]*\])`;
const UNTRUSTED_CONTEXT = new RegExp(
  [
    String.raw`github\.head_ref`,
    String.raw`github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)`,
    String.raw`github\.event\.(?:comment|review|review_comment)\.body`,
    String.raw`github\.event\.pages${INDEX}\.page_name`,
    String.raw`github\.event\.(?:commits${INDEX}|head_commit|workflow_run\.head_commit)\.(?:message|author\.(?:email|name))`,
    String.raw`github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)`,
    String.raw`github\.event\.workflow_run\.(?:head_branch|display_title)`,
    String.raw`toJSON\(\s*github(?:\.event(?:\.\w+)?)?\s*\)`,
  ].join('|'),
  'i',
);
const EXPRESSION = /\$\{\{([\s\S]*?)\}\}/g;

const untrustedExpressions: Find = (t) =>
  [...t.matchAll(EXPRESSION)]
    .filter((m) => UNTRUSTED_CONTEXT.test(m[1]))
    .map((m) => ({ index: m.index, text: m[0] }));

export const scriptInjection: Finder = (wf) =>
  wf.jobs.flatMap((job) =>
    job.steps.flatMap((step) => {
      const script =
        step.run ??
        (step.uses && /^actions\/github-script(?:@|$)/i.test(step.uses)
          ? asScalar(entry(entry(step.node, 'with')?.value, 'script')?.value)
          : undefined);
      if (!script) return [];
      return matchLines(wf, script, untrustedExpressions).map(({ line, text: expr }): AuditFinding => ({
        id: 'script-injection',
        severity: 'error',
        line,
        job: job.id,
        message:
          `${expr} is pasted into the script before it runs: whoever writes that text (a PR title, a branch ` +
          `name, a comment) runs commands in job '${job.id}'. Pass it through the step's env ` +
          `(VALUE: ${expr}) and use "$VALUE" in the script.`,
      }));
    }),
  );
