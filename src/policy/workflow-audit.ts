/**
 * The workflow preflight audit: reads the text of the workflow that runs claude-guard and reports the
 * known mistakes around it — the seed article's (a key in job-wide env, installs after the agent,
 * `--dangerously-skip-permissions`) and GitHub's own (script injection, pull_request_target checking
 * out the PR head, unpinned actions, broad or missing token permissions, persisted checkout
 * credentials, `secrets: inherit`). Pure: text and options in, findings out; it never throws
 * (malformed YAML is one `workflow-unreadable` finding).
 *
 * It is advisory, not a security boundary: the file audited is the copy in the workspace, which a pull
 * request can edit. It defends threat-model rows S1/S2 (secrets in job-wide env reach every step and
 * the action's start-up environment), S4 (persisted checkout credentials), S5 (id-token: write), S6
 * (actions: write, poisoned dependencies), X4 (installs after the agent run code it may have changed)
 * and X7 (flags that switch off the permission rules).
 *
 * Severities: `error` = a secret or the agent's guardrail is exposed as written; `warning` = a known
 * mistake that widens what an injected agent or a compromised step can reach; `notice` = worth knowing,
 * low risk on its own. Scope: permissions, persist-credentials and install-after-agent look only at
 * the jobs that run claude-guard (a step whose `uses:` matches, or the job GITHUB_JOB names); the other
 * rules look at the whole workflow, since a pwn request or a leaked secret anywhere in it reaches the
 * same repository and caches. Findings inside a YAML alias point at the line of the alias (where the
 * anchored content is used), since GitHub expands it there. Merge keys (`<<`) are plain keys, as on GitHub.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { codeSpan, table, tableCell } from '../report/markdown.js';
import type { Mode } from '../core.js';

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
}

// ---------------------------------------------------------------------------------------------------
// A located tree: the YAML with aliases expanded, every node carrying its line.

interface ScalarNode {
  kind: 'scalar';
  value: string;
  line: number;
  /** Source offsets of the scalar; absent inside an alias (its text is elsewhere). */
  span?: [number, number];
}
interface MapNode {
  kind: 'map';
  line: number;
  entries: Entry[];
}
interface SeqNode {
  kind: 'seq';
  line: number;
  items: TreeNode[];
}
type TreeNode = ScalarNode | MapNode | SeqNode;
interface Entry {
  key: string;
  line: number;
  value: TreeNode;
}

/** Alias expansion is bounded: a billion-laughs file is unreadable, not a hang. */
const MAX_NODES = 20_000;
const MAX_DEPTH = 64;

class Unreadable extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

function buildTree(doc: Document.Parsed, lc: LineCounter): TreeNode {
  let count = 0;
  const lineAt = (offset: number) => lc.linePos(offset).line;
  const build = (
    node: unknown,
    fallbackLine: number,
    pinned: number | undefined,
    depth: number,
  ): TreeNode => {
    if (++count > MAX_NODES || depth > MAX_DEPTH)
      throw new Unreadable('too deeply nested or too many aliases');
    if (isAlias(node)) {
      const target = node.resolve(doc);
      const at = node.range ? lineAt(node.range[0]) : fallbackLine;
      if (!target) throw new Unreadable(`alias *${node.source} has no anchor before it`, at);
      return build(target, at, pinned ?? at, depth + 1);
    }
    const line = pinned ?? (isNodeWithRange(node) ? lineAt(node.range[0]) : fallbackLine);
    if (isMap(node)) {
      const entries: Entry[] = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = build(pair.key, line, pinned, depth + 1);
        const keyLine = key.line;
        entries.push({
          key: key.kind === 'scalar' ? key.value : '',
          line: keyLine,
          value: build(pair.value, keyLine, pinned, depth + 1),
        });
      }
      return { kind: 'map', line, entries };
    }
    if (isSeq(node))
      return { kind: 'seq', line, items: node.items.map((i) => build(i, line, pinned, depth + 1)) };
    const value = isScalar(node) ? node.value : null;
    const span: [number, number] | undefined =
      pinned === undefined && isScalar(node) && node.range ? [node.range[0], node.range[1]] : undefined;
    return { kind: 'scalar', value: value === null || value === undefined ? '' : String(value), line, span };
  };
  return build(doc.contents, 1, undefined, 0);
}

function isNodeWithRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

const asMap = (n?: TreeNode) => (n?.kind === 'map' ? n : undefined);
const asSeq = (n?: TreeNode) => (n?.kind === 'seq' ? n : undefined);
const asScalar = (n?: TreeNode) => (n?.kind === 'scalar' ? n : undefined);
const entry = (n: TreeNode | undefined, key: string) => asMap(n)?.entries.find((e) => e.key === key);
const text = (n: TreeNode | undefined, key: string) => asScalar(entry(n, key)?.value)?.value;

// ---------------------------------------------------------------------------------------------------
// The workflow's shape, as far as the rules need it.

interface Step {
  node: MapNode;
  uses?: string;
  usesLine: number;
  run?: ScalarNode;
  isAgent: boolean;
}
interface Job {
  id: string;
  line: number;
  node: MapNode;
  steps: Step[];
  /** Index of the first claude-guard step, or -1. */
  agentIndex: number;
  /** Runs claude-guard: a matching step, or the job named by GITHUB_JOB. */
  isAgent: boolean;
}
interface Workflow {
  root: MapNode;
  source: string;
  lc: LineCounter;
  triggers: Array<{ name: string; line: number }>;
  jobs: Job[];
}

const normaliseRef = (s: string) => s.trim().toLowerCase().replace(/@.*$/, '').replace(/\/+$/, '');

function isAgentUses(uses: string, actionRef?: string): boolean {
  if (/claude-guard/i.test(uses)) return true;
  return actionRef !== undefined && actionRef.trim() !== '' && normaliseRef(uses) === normaliseRef(actionRef);
}

function readTriggers(on: Entry | undefined): Workflow['triggers'] {
  if (!on) return [];
  const v = on.value;
  if (v.kind === 'scalar') return [{ name: v.value, line: v.line }];
  if (v.kind === 'seq')
    return v.items.flatMap((i) => (i.kind === 'scalar' ? [{ name: i.value, line: i.line }] : []));
  return v.entries.map((e) => ({ name: e.key, line: e.line }));
}

function readWorkflowShape(root: MapNode, source: string, lc: LineCounter, opts: AuditOptions): Workflow {
  const jobsMap = asMap(entry(root, 'jobs')?.value);
  if (!jobsMap) throw new Unreadable('it has no `jobs:` mapping', entry(root, 'jobs')?.line);
  const jobs = jobsMap.entries.flatMap((e): Job[] => {
    const node = asMap(e.value);
    if (!node) return [];
    const steps = (asSeq(entry(node, 'steps')?.value)?.items ?? []).flatMap((s): Step[] => {
      const stepMap = asMap(s);
      if (!stepMap) return [];
      const usesEntry = entry(stepMap, 'uses');
      const uses = asScalar(usesEntry?.value)?.value;
      return [
        {
          node: stepMap,
          uses,
          usesLine: usesEntry?.line ?? stepMap.line,
          run: asScalar(entry(stepMap, 'run')?.value),
          isAgent: uses !== undefined && isAgentUses(uses, opts.actionRef),
        },
      ];
    });
    const agentIndex = steps.findIndex((s) => s.isAgent);
    return [
      { id: e.key, line: e.line, node, steps, agentIndex, isAgent: agentIndex >= 0 || e.key === opts.jobId },
    ];
  });
  return { root, source, lc, triggers: readTriggers(entry(root, 'on')), jobs };
}

type Find = (t: string) => Array<{ index: number; text: string }>;

/**
 * Where `find` matches in `s`, one hit per line: the matches are searched in the parsed value (the
 * truth) and then in the scalar's source text, so a match inside a `run: |` block points at its own
 * line. When the source cannot be searched (inside an alias, behind an escape), the scalar's line.
 */
function matchLines(wf: Workflow, s: ScalarNode, find: Find): Array<{ line: number; text: string }> {
  const inValue = find(s.value);
  if (inValue.length === 0) return [];
  const hits = new Map<number, string>();
  if (s.span) {
    const start = s.span[0];
    for (const m of find(wf.source.slice(start, s.span[1]))) {
      const line = wf.lc.linePos(start + m.index).line;
      if (!hits.has(line)) hits.set(line, m.text);
    }
  }
  if (hits.size === 0) return [{ line: s.line, text: inValue[0].text }];
  return [...hits].map(([line, text]) => ({ line, text }));
}

const regexFinder =
  (re: RegExp): Find =>
  (t) =>
    [...t.matchAll(new RegExp(re.source, `${re.flags}g`))].map((m) => ({
      index: m.index,
      text: m[0].trim(),
    }));

// ---------------------------------------------------------------------------------------------------
// Rules

type Finder = (wf: Workflow, opts: AuditOptions) => AuditFinding[];

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

const secretInEnv: Finder = (wf) => {
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

const installAfterAgent: Finder = (wf, opts) =>
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

const WRITE_ALL =
  'any step that reads the token can push, approve and change settings. List only the scopes needed.';
const CONTENTS_IN_REVIEW =
  'a review only reads the code (claude-guard posts with pull-requests: write). Use contents: read.';
/** Write scopes claude-guard never needs, and what a token holding them can do. */
const NEEDLESS_WRITE = new Map([
  [
    'id-token',
    'any process in the job can mint OIDC tokens for your cloud roles. Grant it only to a job that logs in to a cloud.',
  ],
  [
    'actions',
    'the token can cancel, re-run and dispatch workflows and delete caches. claude-guard does not need it.',
  ],
  ['packages', 'the token can publish packages. claude-guard does not need it; publish from a separate job.'],
]);

const permissions: Finder = (wf, opts) => {
  const out: AuditFinding[] = [];
  const top = entry(wf.root, 'permissions');
  const blocks = new Map<Entry, string | undefined>();
  for (const job of wf.jobs.filter((j) => j.isAgent)) {
    const own = entry(job.node, 'permissions');
    if (own) blocks.set(own, job.id);
    else if (top) blocks.set(top, undefined);
    else {
      out.push({
        id: 'permissions-missing',
        severity: 'warning',
        line: job.line,
        job: job.id,
        message:
          `Job '${job.id}' runs claude-guard with no permissions block (none at workflow level either): the ` +
          `GITHUB_TOKEN gets the repository's default, which is read-write on every scope for older ` +
          `repositories and organisations. Set permissions (review: contents: read, pull-requests: write).`,
      });
    }
  }
  for (const [block, job] of blocks) {
    const where = job ? `Job '${job}'` : 'The workflow';
    const broad = (line: number, severity: AuditSeverity, why: string) =>
      out.push({ id: 'permissions-too-broad', severity, line, job, message: `${where} grants ${why}` });
    if (asScalar(block.value)?.value === 'write-all') {
      broad(block.line, 'error', `write-all: ${WRITE_ALL}`);
    }
    for (const scope of asMap(block.value)?.entries ?? []) {
      if (asScalar(scope.value)?.value !== 'write') continue;
      const why =
        scope.key === 'contents' && opts.mode === 'review'
          ? CONTENTS_IN_REVIEW
          : NEEDLESS_WRITE.get(scope.key);
      if (why) broad(scope.line, 'warning', `${scope.key}: write: ${why}`);
    }
  }
  return out;
};

const HEAD_REF =
  /github\.event\.pull_request\.(?:head\.(?:sha|ref|repo\.full_name)|merge_commit_sha)|github\.head_ref|refs\/pull\/|github\.event\.workflow_run\.head_(?:sha|branch)/i;
const RUN_HEAD_CHECKOUT = new RegExp(
  String.raw`\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|switch|pull|reset)\b[^\n]*(?:pull\/|${HEAD_REF.source})`,
  'i',
);
const PRIVILEGED = new Set(['pull_request_target', 'workflow_run']);

const checkoutHead: Finder = (wf) => {
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
    later.every((s) => s.isAgent && !s.run && !s.uses?.startsWith('./'))
  );
}

const persistCredentials: Finder = (wf) =>
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

const secretsInherit: Finder = (wf) =>
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

const FULL_SHA = /@[0-9a-f]{40}$/i;
const DOCKER_DIGEST = /@sha256:[0-9a-f]{64}$/i;

function pinFinding(uses: string, line: number, job: string): AuditFinding[] {
  if (uses.startsWith('./')) return [];
  const base = { id: 'unpinned-action' as const, line, job };
  if (uses.startsWith('docker://')) {
    return DOCKER_DIGEST.test(uses)
      ? []
      : [
          {
            ...base,
            severity: 'warning',
            message: `'${uses}' is not pinned by digest: a re-pushed tag runs a different image. Pin it with @sha256:<digest>.`,
          },
        ];
  }
  if (FULL_SHA.test(uses)) return [];
  const owner = uses.split('/')[0].toLowerCase();
  const risk =
    `'${uses}' is not pinned to a full commit SHA: a moved tag or branch runs new code with this job's ` +
    `secrets and token (as in the tj-actions/changed-files compromise, CVE-2025-30066). Pin the 40-character SHA`;
  return owner === 'actions' || owner === 'github'
    ? [
        {
          ...base,
          severity: 'notice',
          message: `${risk}; GitHub-owned actions share the trust root of the runner itself, so this is lower risk.`,
        },
      ]
    : [{ ...base, severity: 'warning', message: `${risk} (a trailing comment can keep the version).` }];
}

const unpinned: Finder = (wf) =>
  wf.jobs.flatMap((job) => {
    const callUses = entry(job.node, 'uses');
    const call = asScalar(callUses?.value)?.value;
    return [
      ...(callUses && call ? pinFinding(call, callUses.line, job.id) : []),
      ...job.steps.flatMap((s) => (s.uses ? pinFinding(s.uses, s.usesLine, job.id) : [])),
    ];
  });

const DANGEROUS = /--(?:allow-)?dangerously-skip-permissions\b|\bbypassPermissions\b/;

/** The `with:` values of a step or a reusable-workflow call, named for messages. */
const withValues = (node: MapNode) =>
  (asMap(entry(node, 'with')?.value)?.entries ?? []).map((e) => ({ where: `with.${e.key}`, value: e.value }));

const dangerouslySkip: Finder = (wf) => {
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

const untrustedTrigger: Finder = (wf) => {
  const agentSteps = wf.jobs.flatMap((j) => j.steps.filter((s) => s.isAgent));
  if (agentSteps.length === 0) return [];
  const allowed = agentSteps.every(
    (s) => text(entry(s.node, 'with')?.value, 'allow-untrusted-pr') === 'true',
  );
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

/** GitHub's list of attacker-controlled contexts (security hardening guide), plus whole-event dumps. */
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

const scriptInjection: Finder = (wf) =>
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

const agentNotFound: Finder = (wf, opts) =>
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

const RULES: Finder[] = [
  agentNotFound,
  secretInEnv,
  installAfterAgent,
  permissions,
  checkoutHead,
  persistCredentials,
  secretsInherit,
  unpinned,
  dangerouslySkip,
  untrustedTrigger,
  scriptInjection,
];

function byPosition(a: AuditFinding, b: AuditFinding): number {
  return (
    (a.line ?? Infinity) - (b.line ?? Infinity) ||
    a.id.localeCompare(b.id) ||
    (a.job ?? '').localeCompare(b.job ?? '')
  );
}

/** Audit a workflow's text. Never throws: anything it cannot read is one `workflow-unreadable` finding. */
export function auditWorkflow(source: string, opts: AuditOptions): AuditFinding[] {
  const unreadable = (why: string, line?: number): AuditFinding[] => [
    {
      id: 'workflow-unreadable',
      severity: 'warning',
      line,
      message: `The workflow file could not be audited: ${why}. The run continues without the audit.`,
    },
  ];
  try {
    const lc = new LineCounter();
    const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      return unreadable(`invalid YAML (${e.message.split('\n')[0]})`, lc.linePos(e.pos[0]).line);
    }
    const root = asMap(buildTree(doc, lc));
    if (!root) return unreadable('it is not a YAML mapping', 1);
    const wf = readWorkflowShape(root, source, lc, opts);
    return RULES.flatMap((rule) => rule(wf, opts)).sort(byPosition);
  } catch (err) {
    return err instanceof Unreadable ? unreadable(err.message, err.line) : unreadable(String(err));
  }
}

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
