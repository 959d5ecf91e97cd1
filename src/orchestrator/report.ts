/**
 * Stage 13's outputs: the job summary, the findings file and the step outputs — written only after the
 * agent ended — and the step's verdict (skipped, failed, or failed by fail-on-denial / fail-on-severity).
 */
import type { Settings } from '../inputs.js';
import { severityRank, type Severity } from '../findings/schema.js';
import { renderJobSummary } from '../report/job-summary.js';
import { renderSummaryComment } from '../report/summary-comment.js';
import { reportInput, type Outcome } from './outcome.js';
import type { MainPorts } from './ports.js';

type ReportPorts = Pick<MainPorts, 'core' | 'writeFile' | 'writeJobSummary'>;

/** Writes the report once; a second caller (the cancel handler) waits for the one under way. */
export function report(settings: Settings | undefined, outcome: Outcome, ports: ReportPorts): Promise<void> {
  outcome.reported ??= writeReport(settings, outcome, ports);
  return outcome.reported;
}

async function writeReport(settings: Settings | undefined, outcome: Outcome, ports: ReportPorts) {
  const { core } = ports;
  if (outcome.cancelled) {
    outcome.conclusion = 'failed';
    outcome.error = outcome.cancelled;
  }
  const redact = (t: string) => (outcome.redactor ? outcome.redactor.redact(t).text : t);
  if (outcome.error) outcome.error = redact(outcome.error);
  const findings = [...(outcome.gate?.inline ?? []), ...(outcome.gate?.summaryOnly ?? [])];
  const maxSeverity = findings.reduce<Severity | undefined>(
    (max, f) => (!max || severityRank(f.severity) > severityRank(max) ? f.severity : max),
    undefined,
  );
  try {
    if (outcome.findingsFile) {
      ports.writeFile(
        outcome.findingsFile,
        JSON.stringify(
          { conclusion: outcome.conclusion, summary: outcome.gate?.summary ?? '', findings },
          null,
          2,
        ),
      );
      core.setOutput('findings-file', outcome.findingsFile);
    }
    await ports.writeJobSummary(
      [renderJobSummary(reportInput(outcome)), ...outcome.sections.filter(Boolean)].join('\n\n'),
    );
  } catch (err) {
    core.warning(`Writing the report failed: ${(err as Error).message}`);
  }
  await outcome.progress?.finish(outcome.conclusion !== 'failed', (p) =>
    renderSummaryComment({ ...reportInput(outcome), ...p, onPullRequest: true }),
  );
  try {
    core.setOutput('conclusion', outcome.conclusion);
    core.setOutput('findings-count', String(findings.length));
    core.setOutput('max-severity', maxSeverity ?? '');
    core.setOutput('denied-count', String(outcome.run?.deniedCount ?? 0));
    core.setOutput('cost-usd', outcome.costUsd.toFixed(4));
    core.setOutput('isolation', outcome.isolation);
    if (outcome.sarifFile) core.setOutput('sarif-file', outcome.sarifFile);
  } catch (err) {
    // The runner's file commands live in RUNNER_TEMP too: say so on the log, which always works.
    core.error(
      `Writing the step outputs (GITHUB_OUTPUT, under RUNNER_TEMP) failed: ${(err as Error).message}. Later steps see no outputs.`,
    );
    process.exitCode = 1;
  }

  if (outcome.conclusion === 'skipped') {
    core.notice(`${outcome.skipReason ?? 'claude-guard did not run'} — skipped${outcome.skipHint ?? ''}.`);
    return;
  }
  if (outcome.conclusion === 'failed') {
    const why = outcome.failure ? ` [${outcome.failure.reason}: ${outcome.failure.advice}]` : '';
    core.setFailed(`claude-guard: ${outcome.error ?? 'the run failed'}${why}`);
    return;
  }
  const denied = outcome.run?.deniedCount ?? 0;
  if (settings?.failOnDenial && denied > 0) {
    core.setFailed(
      `claude-guard: the agent attempted ${denied} tool call(s) the rules denied (fail-on-denial); see the audit in the job summary.`,
    );
    return;
  }
  const threshold = settings?.failOnSeverity ?? 'none';
  if (threshold !== 'none' && maxSeverity && severityRank(maxSeverity) >= severityRank(threshold)) {
    core.setFailed(`claude-guard: a ${maxSeverity} finding is at or above fail-on-severity (${threshold}).`);
  }
}
