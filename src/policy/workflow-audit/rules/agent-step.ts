/** Mistakes around the claude-guard step itself: installs after it, flags that switch off its guardrail, no step found. */
import type { AuditFinding } from '../types.js';
import { matchLines, regexFinder, type Finder, type Job } from '../shape.js';
import { asMap, entry, type MapNode } from '../tree.js';

const INSTALL_COMMANDS = [
  String.raw`(?:npm|pnpm)\s+(?:install|i|ci|add|update|up|install-test|it|exec|dlx)`,
  String.raw`yarn(?:\s+(?:install|add|up|dlx)|(?=\s*(?:$|[;&|)#])))`,
  String.raw`(?:npx|pnpx|bunx|uvx)`,
  String.raw`bun\s+(?:install|i|add|x)`,
  String.raw`(?:python3?\s+-m\s+)?pip3?\s+install`,
  String.raw`pipx\s+(?:install|run)`,
  String.raw`uv\s+(?:pip\s+install|sync|add|tool\s+install)`,
  String.raw`poetry\s+(?:install|add)`,
  String.raw`gem\s+install`,
  String.raw`bundler?\s+install`,
  String.raw`cargo\s+(?:install|build|fetch)`,
  String.raw`go\s+(?:install|get|mod\s+download)`,
  String.raw`(?:apt-get|apt|yum|dnf|zypper)\s+(?:-\S+\s+)*install`,
  String.raw`apk\s+add`,
  String.raw`brew\s+install`,
  String.raw`composer\s+(?:install|require|update)`,
];
/** A package-install command at a command position (start of line or after a separator or space). */
const INSTALL = new RegExp(String.raw`(?<=^|[\s;&|(\x60])(?:${INSTALL_COMMANDS.join('|')})(?![\w-])`, 'm');

export const installAfterAgent: Finder = (wf, opts) =>
  wf.jobs.flatMap((job) =>
    job.agentIndex < 0
      ? []
      : job.steps.slice(job.agentIndex + 1).flatMap((step): AuditFinding[] => {
          if (!step.run) return [];
          const [hit] = matchLines(wf, step.run, regexFinder(INSTALL));
          if (!hit) return [];
          return [
            {
              id: 'install-after-agent',
              severity: opts.mode === 'review' ? 'warning' : 'error',
              line: hit.line,
              job: job.id,
              message:
                `Job '${job.id}' runs '${hit.text}' after claude-guard: the agent may ` +
                `have changed package manifests, lockfiles or registry settings in the workspace, and install ` +
                `scripts run with this job's environment. Install dependencies before the claude-guard step.`,
            },
          ];
        }),
  );

const DANGEROUS = /--(?:allow-)?dangerously-skip-permissions\b|\bbypassPermissions\b/;

/** The `with:` values of a step or a reusable-workflow call, named for messages. */
const withValues = (node: MapNode) =>
  (asMap(entry(node, 'with')?.value)?.entries ?? []).map((e) => ({ where: `with.${e.key}`, value: e.value }));

export const dangerouslySkip: Finder = (wf) => {
  const scalars = (job: Job) =>
    [
      ...withValues(job.node),
      ...job.steps.flatMap((st) => [
        ...(st.run ? [{ where: 'run', value: st.run }] : []),
        ...withValues(st.node),
      ]),
    ].flatMap(({ where, value }) => (value.kind === 'scalar' ? [{ where, s: value }] : []));
  return wf.jobs.flatMap((job) =>
    scalars(job).flatMap(({ where, s }) =>
      matchLines(wf, s, regexFinder(DANGEROUS))
        .slice(0, 1)
        .map(({ line, text: flag }): AuditFinding => ({
          id: 'dangerously-skip-permissions',
          severity: 'error',
          line,
          job: job.id,
          message:
            `${where} in job '${job.id}' contains ${flag}: it switches off Claude ` +
            `Code's permission rules, the guardrail between the agent and everything on the runner. claude-guard ` +
            `refuses it; remove it and allow the tools the task needs instead.`,
        })),
    ),
  );
};

export const agentNotFound: Finder = (wf, opts) =>
  wf.jobs.some((j) => j.isAgent)
    ? []
    : [
        {
          id: 'agent-step-not-found',
          severity: 'notice',
          message:
            `No step of this workflow uses claude-guard${opts.actionRef ? ` (or ${opts.actionRef})` : ''}` +
            `${opts.jobId ? ` and it has no job '${opts.jobId}'` : ''}: the job-level checks (permissions, ` +
            `checkout credentials, installs after the agent) were skipped. This happens when claude-guard runs ` +
            `inside a reusable workflow or a wrapper action.`,
        },
      ];
