/**
 * May this run go ahead at all? Before anything is set up: the trigger guard (untrusted events and
 * forks refused unless allowed, the actor needs write access, bots only by name) and the advisory
 * audit of the calling workflow file. A refusal ends the run with a message, never a stack trace.
 */
import * as core from '@actions/core';
import type { Settings, IsolationLevel } from './inputs.js';
import type { RunContext } from './context.js';
import type { GitHubPort } from './github/client.js';
import {
  checkActorPermission,
  classifyTrigger,
  decideTrigger,
  TriggerRefused,
} from './policy/trigger-guard.js';
import { auditWorkflow, renderAuditMarkdown } from './policy/workflow-audit.js';
import { locateWorkflow, readWorkflow } from './workflow-file.js';
import { PullNotVerified, resolveWorkflowRunPull } from './github/workflow-run-pr.js';
import { systemGit } from './git-runner.js';
import { pullPayload, resolveOnDemand, type OnDemand } from './triggers/on-demand.js';
import { answerRefusal } from './triggers/replies.js';

const WRITE_ACCESS = new Set(['admin', 'maintain', 'write']);

/** Events whose actor already needed write access to start the workflow. */
const WRITE_ONLY_EVENTS = new Set([
  'push',
  'workflow_dispatch',
  'schedule',
  'merge_group',
  'repository_dispatch',
]);

export interface RunConstraints {
  /** Never any write scope (untrusted trigger). */
  readOnly: boolean;
  /** The strict level is required (untrusted trigger on a machine that can reach it). */
  requireIsolation?: 'strict';
  /** The run was asked for by a comment or a label (triggers/on-demand.ts). */
  onDemand?: OnDemand;
}

export async function guardTrigger(
  settings: Settings,
  ctx: RunContext,
  github: GitHubPort | undefined,
  strongestLevel: () => Promise<IsolationLevel>,
): Promise<RunConstraints> {
  // A comment or a label: resolved first (the comment re-read, the pull request from the API), so the
  // guard below judges the commenter and the pull request as they are now.
  const startedAt = new Date();
  const onDemand = await resolveOnDemand(ctx, github, settings, startedAt);
  const comment = onDemand?.kind === 'comment' ? onDemand : undefined;
  const actor = comment ? comment.author : ctx.actor;
  const trigger = classifyTrigger({
    eventName: ctx.eventName,
    payload: comment ? { ...(ctx.payload as object), ...pullPayload(ctx) } : ctx.payload,
    repository: ctx.repository,
    actor,
    ...(comment ? { actorType: comment.authorType } : {}),
  });
  const botAllowed = trigger.bot && settings.allowedBots.includes(actor.toLowerCase());
  const lookUp = github && actor && !botAllowed && !WRITE_ONLY_EVENTS.has(ctx.eventName);
  const withDemand = (c: Omit<RunConstraints, 'onDemand'>): RunConstraints =>
    onDemand ? { ...c, onDemand } : c;
  if (!lookUp && !trigger.untrusted && !trigger.bot) return withDemand({ readOnly: false });
  const actorPermission = lookUp
    ? await checkActorPermission(github, { owner: ctx.owner, repo: ctx.repo }, actor)
    : undefined;
  const input = {
    trigger,
    allowUntrustedPr: settings.allowUntrustedPr,
    allowedBots: settings.allowedBots,
    actorPermission,
  };
  let decision = decideTrigger(input);
  // A comment starts a run only for a writer (or a named bot), even with allow-untrusted-pr: that input
  // is for reviewing outsiders' pull requests, not for letting outsiders start runs by commenting.
  if (comment && decision.allowed && !trigger.bot && !WRITE_ACCESS.has(actorPermission ?? 'none')) {
    decision = {
      allowed: false,
      message: `claude-guard refused to run: @${actor} has '${actorPermission ?? 'unknown'}' permission on ${ctx.repository}; only collaborators with write access (or bots in 'allowed-bots') can ask for a review from a comment.`,
    };
  }
  // The strongest level the machine can reach matters only to an untrusted run (it must use it): only
  // then are every level's prerequisites probed.
  if (decision.allowed && decision.constraints.readOnly) {
    decision = decideTrigger({ ...input, isolationAvailable: await strongestLevel() });
  }
  if (!decision.allowed) {
    if (comment && github && ctx.pull && settings.comment)
      await answerRefusal(
        github,
        { owner: ctx.owner, repo: ctx.repo, number: ctx.pull.number },
        comment,
        startedAt,
      );
    throw new TriggerRefused(decision.message, true);
  }
  if (decision.constraints.readOnly && settings.mode === 'fix') {
    throw new TriggerRefused(
      `Input 'mode': fix writes to the pull request, and this run is on an untrusted trigger (${trigger.reasons.join(' ')}); untrusted runs are read-only. Use mode: review.`,
    );
  }
  if (decision.constraints.readOnly && settings.mode !== 'review') {
    const writes = settings.allowedTools.filter((r) => /^(Edit|Write|MultiEdit|NotebookEdit)\b/.test(r));
    if (writes.length) {
      throw new TriggerRefused(
        `Input 'allowed-tools': ${writes.join(', ')} would give write scope to a run on an untrusted trigger (${trigger.reasons.join(' ')}); untrusted runs are read-only.`,
      );
    }
  }
  return withDemand(decision.constraints);
}

/**
 * On `workflow_run` (the trusted half of the fork-safe pattern), the pull request the triggering run ran
 * on, verified against GitHub (github/workflow-run-pr.ts): the run then reviews and posts on it like a
 * pull_request run. A pull request that cannot be verified is refused like a trigger that is not allowed
 * (skipped with a notice unless `on-refused: fail`). Any other event: `ctx` as it is.
 */
export async function withWorkflowRunPull(
  ctx: RunContext,
  github: GitHubPort | undefined,
  headCommit: () => Promise<string> = async () =>
    (await systemGit({ workspace: ctx.workspace })).text(['rev-parse', '--verify', 'HEAD^{commit}']),
): Promise<RunContext> {
  if (ctx.eventName !== 'workflow_run' || ctx.pull || !github) return ctx;
  try {
    const pull = await resolveWorkflowRunPull(ctx.payload, ctx.repository, { github, headCommit });
    if (pull)
      core.info(`workflow_run: reviewing pull request #${pull.number} at ${pull.headSha} (verified).`);
    return pull ? { ...ctx, pull } : ctx;
  } catch (err) {
    if (err instanceof PullNotVerified)
      throw new TriggerRefused(`claude-guard refused to review: ${err.message}.`, true);
    throw err;
  }
}

export interface WorkflowAudit {
  /** Markdown section for the job summary ('' when skipped). */
  markdown: string;
  notes: string[];
}

/** Audit the calling workflow file; with `audit-workflow: fail`, an error-level finding fails the run. */
export async function auditCallingWorkflow(settings: Settings, ctx: RunContext): Promise<WorkflowAudit> {
  if (settings.auditWorkflow === 'off') return { markdown: '', notes: [] };
  const located = locateWorkflow(process.env);
  if ('reason' in located) return { markdown: '', notes: [`Workflow audit skipped: ${located.reason}`] };
  let text: string;
  try {
    text = await readWorkflow(ctx.workspace, located.path);
  } catch (err) {
    return { markdown: '', notes: [`Workflow audit skipped: ${(err as Error).message}`] };
  }
  const findings = auditWorkflow(text, {
    actionRef: process.env.GITHUB_ACTION_REPOSITORY || './',
    mode: settings.mode,
    jobId: process.env.GITHUB_JOB,
  });
  for (const f of findings) {
    const props = { title: `claude-guard workflow audit: ${f.id}`, file: located.path, startLine: f.line };
    if (f.severity === 'notice') core.notice(f.message, props);
    else core.warning(f.message, props);
  }
  const errors = findings.filter((f) => f.severity === 'error');
  if (settings.auditWorkflow === 'fail' && errors.length) {
    throw new TriggerRefused(
      `Input 'audit-workflow' is 'fail' and ${located.path} has ${errors.length} error-level finding(s): ${errors
        .map((f) => `${f.id}${f.line ? ` (line ${f.line})` : ''}`)
        .join(', ')}. Fix the workflow or set audit-workflow: warn.`,
    );
  }
  return { markdown: renderAuditMarkdown(findings, located.path), notes: [] };
}
