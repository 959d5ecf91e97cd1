/**
 * What the run found out, filled in stage by stage and read by the report (report.ts): the conclusion,
 * the error, the gated findings, the agent's run, the notes for the summaries. Plus the pure reading of
 * how the agent ended (`agentFailure`): a failure is never an empty "clean" review.
 */
import type { ClaudeExit } from '../agent/claude-cli.js';
import type { StreamAudit } from '../agent/stream.js';
import type { RejectedFinding } from '../findings/schema.js';
import type { Redactor } from '../findings/redact.js';
import type { Settings } from '../inputs.js';
import { refusedCredentialHint, type ProviderSettings } from '../providers/provider.js';
import type { FailureExplanation } from '../report/failure.js';
import type { AgentRun, Conclusion, GateResult, ReportInput } from '../report/types.js';
import type { Progress } from '../report/progress.js';

export interface Outcome {
  conclusion: Conclusion;
  error?: string;
  gate?: GateResult;
  rejected: RejectedFinding[];
  run?: AgentRun;
  withheldEnv: string[];
  notes: string[];
  costUsd: number;
  isolation: string;
  findingsFile?: string;
  sarifFile?: string;
  /** Extra markdown sections for the job summary (e.g. the workflow audit). */
  sections: string[];
  redactor?: Redactor;
  failure?: FailureExplanation;
  onPullRequest?: boolean;
  skipReason?: string;
  excluded?: { files: string[]; findings: number };
  /** The report under way or written: a second caller (the cancel handler) waits for it, never exits mid-way. */
  reported?: Promise<void>;
  /** Set on SIGINT/SIGTERM: the run's error, whatever the interrupted stages report afterwards. */
  cancelled?: string;
  /** The "reviewing…" summary comment, finished by delivery or by report() (once it is posted). */
  progress?: Pick<Progress, 'finish'>;
  /** After a skip's notice: how to fail instead ('' when the event asked for nothing). */
  skipHint?: string;
  reviewed?: ReportInput['reviewed'];
}

export function newOutcome(): Outcome {
  return {
    conclusion: 'failed',
    rejected: [],
    withheldEnv: [],
    notes: [],
    costUsd: 0,
    isolation: 'none',
    sections: [],
  };
}

export function reportInput(outcome: Outcome): ReportInput {
  return {
    conclusion: outcome.conclusion,
    error: outcome.error,
    isolation: outcome.isolation,
    gate: outcome.gate,
    rejected: outcome.rejected,
    run: outcome.run,
    withheldEnv: outcome.withheldEnv,
    notes: outcome.notes,
    failure: outcome.failure,
    onPullRequest: outcome.onPullRequest,
    excluded: outcome.excluded,
    reviewed: outcome.reviewed,
  };
}

/** Why the agent's run is no review (undefined when it produced one). */
export function agentFailure(exit: ClaudeExit, audit: StreamAudit, settings: Settings): string | undefined {
  const result = audit.result;
  if (exit.spawnError)
    return `Claude Code could not be started: ${exit.spawnError}. Set 'claude-path' or put 'claude' on PATH.`;
  if (exit.timedOut)
    return `The agent did not finish within timeout-minutes (${settings.timeoutMinutes}); its whole process tree was killed.`;
  if (!result) {
    return `Claude Code ended (exit code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) without a result. Last output: ${exit.stderrTail.trim().slice(-500) || '(nothing)'}`;
  }
  // Limits first: the CLI marks them is_error too, and the user needs to know which limit to raise.
  if (result.subtype === 'error_max_turns')
    return `The agent hit max-turns (${settings.maxTurns}) before answering; raise input 'max-turns' or narrow the review.`;
  if (result.subtype === 'error_max_budget_usd')
    return `The agent hit the budget (input 'budget-usd': ${settings.budgetUsd}) before answering.`;
  if (result.subtype === 'error_max_structured_output_retries')
    return 'The agent never produced a structured review the CLI accepted (error_max_structured_output_retries).';
  if (result.api_error_status === 402)
    return `The run reached its budget (input 'budget-usd': $${settings.budgetUsd}): the key proxy refused further model calls.`;
  if (result.is_error) {
    const status = result.api_error_status
      ? ` (model API status ${result.api_error_status}${modelStatusHint(result.api_error_status, settings.provider)})`
      : '';
    return `Claude Code reported an error${status}: ${result.subtype}${result.result ? ` — ${String(result.result).slice(0, 500)}` : ''}`;
  }
  if (result.subtype !== 'success') return `Claude Code ended with '${result.subtype}'.`;
  if (result.structured_output === undefined)
    return 'The agent ended without calling StructuredOutput: there is no review to report.';
  return undefined;
}

/** What a model API status means for the user. */
function modelStatusHint(status: number, provider: ProviderSettings): string {
  if (status === 401) return `: ${refusedCredentialHint(provider)}`;
  if (status === 403) return ': the key may not use this model or endpoint';
  if (status === 429) return ': rate limited, retried until the CLI gave up';
  if (status === 529) return ': the model API is overloaded, retried until the CLI gave up';
  if (status >= 500) return ': the model API failed, retried until the CLI gave up';
  return '';
}
