/**
 * Stages 14 and 15: the agent's findings are data — confined to the diff, capped, neutralised and
 * redacted (with the backstop for obfuscated secrets and random strings the PR's own files do not
 * hold) — then delivered: annotations and SARIF always, the review and summary comment on the PR.
 */
import type { FileDiff } from '../findings/diff.js';
import type { Finding, ReviewResult } from '../findings/schema.js';
import type { Redactor } from '../findings/redact.js';
import { gateFindings } from '../findings/gate.js';
import { createBackstopRedactor, randomCandidates, stringsOf } from '../findings/backstop.js';
import { renderSummaryComment } from '../report/summary-comment.js';
import { MAX_BODY_CHARS, type RunPlan } from './plan.js';
import { reportInput, type Outcome } from './outcome.js';
import type { MainPorts } from './ports.js';
import type { ReviewScope } from '../review-range.js';
import type { EarlierComments } from '../report/review-sync.js';

/** Links to inline review comments: the pull request's page anchored at each comment. */
function commentLinks(ids: ReadonlyMap<Finding, number>, prUrl: string): Map<Finding, string> {
  return new Map([...ids].map(([f, id]) => [f, `${prUrl}#discussion_r${id}`]));
}

export function runUrl(p: RunPlan, env: NodeJS.ProcessEnv): string | undefined {
  const id = env.GITHUB_RUN_ID;
  const ctx = p.context;
  return id && /^\d+$/.test(id) ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${id}` : undefined;
}

export async function gateAndDeliver(
  p: RunPlan,
  ports: MainPorts,
  run: {
    review: ReviewResult;
    diff: FileDiff[];
    isExcluded: (path: string) => boolean;
    redactor: Redactor;
    secrets: string[];
    git: string;
    runDir: string;
    outcome: Outcome;
    /** Which earlier findings this run may call gone (an incremental review: only those on code it saw). */
    mayResolve?: ReviewScope['mayResolve'];
    /** What earlier runs posted on the pull request, read since the agent ended (deliver.readEarlier). */
    earlier?: Promise<EarlierComments>;
  },
): Promise<void> {
  const { settings, context: ctx } = p;
  const { review: result, outcome } = run;
  const onExcluded = result.findings.filter((f) => run.isExcluded(f.path));
  if (onExcluded.length && outcome.excluded) {
    outcome.excluded.findings = onExcluded.length;
    result.findings = result.findings.filter((f) => !run.isExcluded(f.path));
  }
  // The backstop: obfuscated secrets, and random-looking strings the PR's own files do not hold.
  const candidates = randomCandidates(stringsOf(result), ctx.githubHost);
  const known = await ports.workspace.knownStrings(run.git, p.backstopRevs, candidates);
  const gate = gateFindings({
    review: result,
    diff: run.diff,
    repoRoot: ctx.workspace,
    redactor: createBackstopRedactor(run.redactor, {
      secrets: run.secrets,
      known,
      githubHost: ctx.githubHost,
    }),
    maxComments: settings.maxComments,
    maxBodyChars: MAX_BODY_CHARS,
    githubHost: ctx.githubHost,
  });
  outcome.gate = gate;
  outcome.conclusion = gate.inline.length + gate.summaryOnly.length > 0 ? 'findings' : 'clean';

  // Stage 15: deliver — annotations and SARIF always, the review and summary comment on the PR.
  outcome.sarifFile = ports.deliver.toRun(gate, run.runDir);
  const pr = p.deliveries.pullRequest;
  if (pr) {
    const delivery = await ports.deliver.toPullRequest(
      { owner: pr.owner, repo: pr.repo, number: pr.number },
      pr.headSha,
      gate,
      (extra, delivered, ids) =>
        renderSummaryComment({
          ...reportInput(outcome),
          gate: delivered,
          prNotes: extra,
          onPullRequest: true,
          inlineLinks: commentLinks(ids, `${ctx.serverUrl}/${ctx.repository}/pull/${pr.number}`),
          runUrl: runUrl(p, ports.env),
          headSha: pr.headSha,
        }),
      run.mayResolve,
      run.earlier,
    );
    await outcome.progress?.finish(true);
    outcome.onPullRequest = true;
    outcome.notes.push(...delivery.notes);
    outcome.gate = delivery.gate;
  }
}
