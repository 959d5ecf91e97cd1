/**
 * Script injection: attacker-controlled text pasted into code before it runs — a `${{ }}` expression
 * naming such text in `run:` or in the input of an action that runs it as code (actions/github-script
 * `script:`, and the others in code-inputs.ts), directly or through an `env:` variable set from it
 * (`env: { T: ${{ github.event.issue.title }} }` then `run: echo ${{ env.T }}`). Reading the variable as
 * "$T" in the script is the safe form and is not flagged.
 */
import type { AuditFinding } from '../types.js';
import { codeInputsOf } from '../code-inputs.js';
import { matchLines, type Find, type Finder, type Job, type Step } from '../shape.js';
import { asMap, asScalar, entry, type ScalarNode, type TreeNode } from '../tree.js';

const INDEX = String.raw`(?:\.\*|\.\d+|\[[^\]]*\])`;
/** GitHub's list of attacker-controlled contexts (security hardening guide), plus whole-event dumps. */
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
/** `env.X` as a context of its own (not `github.env` or `inputs.env`). */
const ENV_REF = /(?<![\w.])env\.([A-Za-z_][\w-]*)/gi;

/** `a['b']["c"]` → `a.b.c`: the index form names the same context. */
const dotted = (expr: string) => expr.replace(/\[\s*(['"])([\w-]+)\1\s*\]/g, '.$2');

/** Variables whose value carries attacker-controlled text: lower-cased name → the expression. */
type Tainted = Map<string, string>;

/** The expression (the inside of `${{ }}`) names attacker-controlled text, or a variable that carries it. */
const isTainted = (expr: string, tainted: Tainted): boolean => {
  const e = dotted(expr);
  return UNTRUSTED_CONTEXT.test(e) || [...e.matchAll(ENV_REF)].some((m) => tainted.has(m[1].toLowerCase()));
};

/** The env map of `node` layered over `outer`: a variable is tainted when its value is. */
function layerEnv(outer: Tainted, node: TreeNode | undefined): Tainted {
  const env = asMap(entry(node, 'env')?.value);
  if (!env) return outer;
  const next = new Map(outer);
  for (const e of env.entries) {
    const value = asScalar(e.value)?.value ?? '';
    const hit = [...value.matchAll(EXPRESSION)].find((m) => isTainted(m[1], outer));
    if (hit) next.set(e.key.toLowerCase(), hit[0]);
    else next.delete(e.key.toLowerCase());
  }
  return next;
}

const injected =
  (tainted: Tainted): Find =>
  (t) =>
    [...t.matchAll(EXPRESSION)]
      .filter((m) => isTainted(m[1], tainted))
      .map((m) => ({ index: m.index, text: m[0] }));

/** The code a step runs: `run:`, or the code inputs of an action that runs them. */
function codeOf(step: Step): Array<{ where: string; s: ScalarNode }> {
  if (step.run) return [{ where: 'the script', s: step.run }];
  if (!step.uses) return [];
  const with_ = entry(step.node, 'with')?.value;
  return codeInputsOf(step.uses).flatMap((input) => {
    const s = asScalar(entry(with_, input)?.value);
    return s ? [{ where: `${step.uses?.replace(/@.*$/, '')}'s ${input} input`, s }] : [];
  });
}

function message(job: Job, expr: string, where: string, tainted: Tainted): string {
  const env = [...dotted(expr).matchAll(ENV_REF)]
    .map((m) => ({ name: m[1], from: tainted.get(m[1].toLowerCase()) }))
    .find((x) => x.from !== undefined);
  const source = env ? `${expr} (env ${env.name} is set from ${env.from})` : expr;
  return (
    `${source} is pasted into ${where} before it runs: whoever writes that text (a PR title, a branch ` +
    `name, a comment) runs code in job '${job.id}'. Pass it through the step's env ` +
    `and read it as data ("$VALUE" in a shell, process.env.VALUE in a script).`
  );
}

export const scriptInjection: Finder = (wf) => {
  const workflowEnv = layerEnv(new Map(), wf.root);
  return wf.jobs.flatMap((job) => {
    const jobEnv = layerEnv(workflowEnv, job.node);
    return job.steps.flatMap((step) => {
      const tainted = layerEnv(jobEnv, step.node);
      return codeOf(step).flatMap(({ where, s }) =>
        matchLines(wf, s, injected(tainted)).map(({ line, text: expr }): AuditFinding => ({
          id: 'script-injection',
          severity: 'error',
          line,
          job: job.id,
          message: message(job, expr, where, tainted),
        })),
      );
    });
  });
};
