/**
 * The main step's decisions, made before anything is set up: a pure `plan(settings, context,
 * capabilities)` (plus what the trigger guard decided, which needed GitHub) returns everything the run
 * will do — the isolation level and why, the permission rules, the sandbox settings, the tools, the
 * diff to review, the deliveries. `execute(plan, ports)` (execute.ts) carries it out. A refusal the
 * plan finds is data here and thrown by execute at the stage that owns it, so the stages' order and
 * notes stay what the run reports.
 */
import type { Settings } from '../inputs.js';
import type { RunContext } from '../context.js';
import type { RunConstraints } from '../guard.js';
import {
  decideLevel,
  meetsRequirement,
  type Capabilities,
  type LevelDecision,
} from '../isolation/preflight.js';
import { planDiff, type DiffPlan } from '../diff-source.js';
import { buildRules } from '../policy/permissions.js';
import { fixRules } from '../fix/fix-scope.js';
import { sandboxSettings, type SandboxSettings } from '../isolation/sandbox.js';
import { toolsForMode } from '../policy/settings-file.js';
import type { PullRef } from '../github/client.js';
import type { ReviewScopeSetting } from '../review-scope.js';

export const MAX_BODY_CHARS = 8000;
export const MAX_UNTRUSTED_CHARS = 8000;

export interface PlanInput {
  settings: Settings;
  context: RunContext;
  capabilities: Capabilities;
  /** What the trigger guard decided (it may have asked GitHub for the actor's permission). */
  constraints: RunConstraints;
  /** The runner's HOME (rules deny it; the sandbox keeps its secrets out). */
  home: string | undefined;
  /** A GitHub client exists (a pull request, or a run on Actions). */
  github: boolean;
}

export interface IsolationPlan {
  decision: LevelDecision;
  /** Why the decided level may not be used (thrown at stage 7), or undefined. */
  refusal?: string;
  /** The warning a level below strict gets, or undefined at strict. */
  warning?: string;
  notes: string[];
}

export interface RunPlan {
  settings: Settings;
  context: RunContext;
  constraints: RunConstraints;
  /** Stage 4: what this event reviews (a refusal is thrown there). */
  diff: DiffPlan;
  /** The base commit the maintainers' guidance is read from (guidance-files), or undefined. */
  guidanceBase?: string;
  /**
   * The untrusted text the agent gets as data: the PR's title, body and commit subjects
   * (include-pr-description) and a comment's request (an on-demand run); undefined for none.
   */
  untrusted?: { description: boolean; request: string };
  /** The review scope a comment asked for (`/review` whole PR, `/review incremental`). */
  requestedScope?: ReviewScopeSetting;
  /** Stage 7. */
  isolation: IsolationPlan;
  /** Stage 8: the settings file's rules (fix mode adds its files at stage 8, once they are known). */
  rules: { allow: string[]; deny: string[] };
  /** The runner's HOME (the sandbox keeps its secrets out; see `sandboxFor`). */
  home?: string;
  tools: string[];
  timeoutMs: number;
  /** Revisions whose tracked content the findings backstop compares against. */
  backstopRevs: string[];
  /** Stage 15: annotations and SARIF always; the pull request when there is one and comments are on. */
  deliveries: { run: true; pullRequest?: PullRef & { headSha: string } };
}

function isolationPlan(settings: Settings, caps: Capabilities, constraints: RunConstraints): IsolationPlan {
  const decision = decideLevel(settings.isolation, caps);
  let refusal: string | undefined;
  if (constraints.requireIsolation && decision.level !== constraints.requireIsolation) {
    refusal = `This run is on an untrusted trigger and the machine can reach '${constraints.requireIsolation}' isolation, but input 'isolation' asked for '${settings.isolation}': untrusted runs need the strongest level available.`;
  } else if (!meetsRequirement(decision.level, settings.requireIsolation)) {
    refusal = `Input 'require-isolation': this machine reached '${decision.level}', below the required '${settings.requireIsolation}' (${decision.reasons.join('; ')}).`;
  }
  return {
    decision,
    refusal,
    notes: decision.reasons.map((r) => `Isolation: ${r}`),
    warning:
      decision.level === 'strict'
        ? undefined
        : `claude-guard isolation level is '${decision.level}', not 'strict': ${decision.reasons.join('; ') || 'as requested'}`,
  };
}

/** Pure: everything the run will do, from the settings, the event and what the machine can do. */
export function plan(input: PlanInput): RunPlan {
  const { settings, context: ctx, constraints } = input;
  const diff = planDiff({ ...ctx, diffRange: settings.diffRange });
  const range = diff.kind === 'refuse' ? '' : diff.range;
  const isolation = isolationPlan(settings, input.capabilities, constraints);
  const rules = buildRules(settings.mode, settings.allowedTools, settings.deniedTools, {
    workspace: ctx.workspace,
    runnerTemp: ctx.runnerTemp,
    home: input.home,
    sandboxed: isolation.decision.level === 'sandbox',
  });
  const pull = ctx.pull;
  const onDemand = constraints.onDemand;
  const request = onDemand?.kind === 'comment' ? onDemand.command.request : '';
  return {
    settings,
    context: ctx,
    constraints,
    diff,
    // The base of the reviewed range: the PR's base commit, or BASE of BASE..HEAD / BASE...HEAD.
    guidanceBase:
      settings.guidanceFiles.length === 0
        ? undefined
        : pull?.baseSha || range.split(/\.{2,3}/)[0] || undefined,
    untrusted:
      pull && (settings.includePrDescription || request)
        ? { description: settings.includePrDescription, request }
        : undefined,
    requestedScope: onDemand?.kind === 'comment' ? onDemand.command.scope : undefined,
    isolation,
    rules,
    home: input.home,
    tools: toolsForMode(settings.mode),
    timeoutMs: settings.timeoutMinutes * 60_000,
    backstopRevs: pull ? [pull.headSha, pull.baseSha] : ['HEAD', 'HEAD~1'],
    deliveries: {
      run: true,
      pullRequest:
        input.github && pull && settings.comment
          ? { owner: pull.owner, repo: pull.repo, number: pull.number, headSha: pull.headSha }
          : undefined,
    },
  };
}

/**
 * Stage 8, at sandbox: Claude Code's sandbox settings. `cwd` is where the launcher starts the agent: when
 * it works in a clean copy, the live checkout (untracked files, .git/config) is hidden from Bash too.
 */
export function sandboxFor(p: RunPlan, level: string, cwd: string): SandboxSettings | undefined {
  if (level !== 'sandbox') return undefined;
  const workspace = p.context.workspace;
  return sandboxSettings({
    runnerTemp: p.context.runnerTemp,
    runnerHome: p.home,
    extraDenyRead: cwd !== workspace ? [workspace] : [],
  });
}

/** The rules with fix mode's files added (stage 8, once stage 4 found them). */
export function rulesWith(p: RunPlan, fixPaths: string[] | undefined): { allow: string[]; deny: string[] } {
  if (!fixPaths) return p.rules;
  return { allow: [...p.rules.allow, ...fixRules(fixPaths, p.context.workspace)], deny: p.rules.deny };
}
