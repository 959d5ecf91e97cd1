/**
 * Secrets spread wider than one step: in workflow- or job-level env, every secret passed to a called
 * workflow (`secrets: inherit`), or the whole secrets context handed to a step (`toJSON(secrets)`).
 */
import type { AuditFinding } from '../types.js';
import { matchLines, type Finder } from '../shape.js';
import { asMap, asScalar, entry, scalarsUnder, type Entry } from '../tree.js';

const SECRET_EXPR =
  /\$\{\{[^}]*?\b(?:secrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['"]([^'"]+)['"]\s*\])|github\s*\.\s*token\b)/i;
const ANTHROPIC = /anthropic|claude/i;

function secretLabel(value: string): { label: string; anthropic: boolean } | undefined {
  const m = SECRET_EXPR.exec(value);
  if (!m) return undefined;
  const name = m[1] ?? m[2];
  return name
    ? { label: `secrets.${name}`, anthropic: ANTHROPIC.test(name) }
    : { label: 'github.token', anthropic: false };
}

function envSecrets(
  env: Entry | undefined,
): Array<{ name: string; line: number; label: string; anthropic: boolean }> {
  if (!env) return [];
  if (env.value.kind === 'scalar') {
    const s = secretLabel(env.value.value);
    return s ? [{ name: '(expression)', line: env.line, ...s }] : [];
  }
  return (
    asMap(env.value)?.entries.flatMap((e) => {
      const s = e.value.kind === 'scalar' ? secretLabel(e.value.value) : undefined;
      return s
        ? [{ name: e.key, line: e.line, label: s.label, anthropic: s.anthropic || ANTHROPIC.test(e.key) }]
        : [];
    }) ?? []
  );
}

export const secretInEnv: Finder = (wf) => {
  const out: AuditFinding[] = [];
  const wide = (scope: string, reachesAgent: boolean) =>
    `every step of ${scope} gets it in its environment, including dependency installs and third-party actions` +
    `${reachesAgent ? ", and it sits in claude-guard's start-up environment" : ''}. Pass it only to the step ` +
    `that needs it (for claude-guard: the anthropic-api-key input).`;
  for (const s of envSecrets(entry(wf.root, 'env'))) {
    out.push({
      id: 'secret-in-workflow-env',
      severity: s.anthropic ? 'error' : 'warning',
      line: s.line,
      message: `Workflow-level env sets ${s.name} from ${s.label}: ${wide('every job', true)}`,
    });
  }
  for (const job of wf.jobs) {
    for (const s of envSecrets(entry(job.node, 'env'))) {
      out.push({
        id: 'secret-in-workflow-env',
        severity: s.anthropic ? 'error' : 'warning',
        line: s.line,
        job: job.id,
        message: `Job-level env of job '${job.id}' sets ${s.name} from ${s.label}: ${wide('the job', job.isAgent)}`,
      });
    }
    for (const step of job.steps.filter((st) => st.isAgent)) {
      for (const s of envSecrets(entry(step.node, 'env'))) {
        out.push({
          id: 'secret-in-workflow-env',
          severity: 'notice',
          line: s.line,
          job: job.id,
          message:
            `The claude-guard step passes ${s.label} through its env (${s.name}). claude-guard takes the key ` +
            `from its anthropic-api-key input only and never hands its environment to the agent: drop it from env.`,
        });
      }
    }
  }
  return out;
};

export const secretsInherit: Finder = (wf) =>
  wf.jobs.flatMap((job): AuditFinding[] => {
    const e = entry(job.node, 'secrets');
    return e && asScalar(e.value)?.value === 'inherit'
      ? [
          {
            id: 'secrets-inherit',
            severity: 'warning',
            line: e.line,
            job: job.id,
            message:
              `Job '${job.id}' passes every secret of the repository (secrets: inherit) to the called workflow, ` +
              `the Anthropic key and deploy credentials alike. Pass only the secrets it needs, by name.`,
          },
        ]
      : [];
  });

/** The whole secrets context in one value: `toJSON(secrets)`, or `secrets[...]` indexed by a computed name. */
const ALL_SECRETS = /\btoJSON\(\s*secrets\s*\)|(?<![\w.])secrets\s*\[\s*(?!['"\s])/i;
const EXPRESSION = /\$\{\{[\s\S]*?\}\}/g;

export const overprovisionedSecrets: Finder = (wf) => {
  const scopes = [
    { job: undefined, nodes: wf.root.entries.filter((e) => e.key !== 'jobs').map((e) => e.value) },
    ...wf.jobs.map((j) => ({ job: j.id, nodes: [j.node] })),
  ];
  return scopes.flatMap(({ job, nodes }) =>
    nodes.flatMap(scalarsUnder).flatMap((s) =>
      matchLines(wf, s, (t) =>
        [...t.matchAll(EXPRESSION)]
          .filter((m) => ALL_SECRETS.test(m[0]))
          .map((m) => ({ index: m.index, text: m[0] })),
      ).map(({ line, text: expr }): AuditFinding => ({
        id: 'overprovisioned-secrets',
        severity: 'warning',
        line,
        job,
        message:
          `${expr} hands every secret of the repository (the Anthropic key and deploy credentials ` +
          `alike) to ${job ? `job '${job}'` : 'the workflow'}, where one needs a few. Pass each secret ` +
          `it needs by name.`,
      })),
    ),
  );
};
