/**
 * The data the reports are rendered from: the agent's audit (written by agent/stream.ts), the output
 * gate's result, and the one input object both the sticky comment and the job summary take.
 */
import type { GateResult } from '../findings/gate.js';
import type { Finding, RejectedFinding } from '../findings/schema.js';
import type { FailureExplanation } from './failure.js';
import type { ScopeDecision } from '../review-scope.js';

/** One tool call the agent made, as the audit records it. */
export interface ToolCall {
  id: string;
  name: string;
  input: string /* short rendering, already redacted */;
  outcome: 'allowed' | 'denied' | 'error';
  reason?: string;
}

/** What one agent run did and cost. */
export interface AgentRun {
  sessionId?: string;
  turns: number;
  costUsd: number;
  durationMs: number;
  toolCalls: ToolCall[];
  deniedCount: number;
  model?: string;
  error?: string;
}

/** The output gate's verdict and its findings: declared once, by the gate (findings/gate.ts). */
export type { GatedFinding, GateResult } from '../findings/gate.js';

/** `skipped`: the trigger or actor was not allowed and the run ended without starting the agent. */
export type Conclusion = 'clean' | 'findings' | 'failed' | 'skipped';

/** Everything the reports show about one run. */
export interface ReportInput {
  conclusion: Conclusion;
  /** Why the run failed; shown in the job summary only, never in a PR comment. */
  error?: string;
  /** The isolation level reached (strict / sandbox / rules-only). */
  isolation: string;
  gate?: GateResult;
  /** Findings the schema rejected. */
  rejected: RejectedFinding[];
  run?: AgentRun;
  /** Names (never values) of environment variables kept from the agent. */
  withheldEnv: string[];
  /** Short notes from the action itself (degraded isolation, skipped steps). */
  notes: string[];
  /** Why a failed run failed, in a word, and what to change (the action's own text). */
  failure?: FailureExplanation;
  /** The findings were posted on a pull request (otherwise no "inline" placement is claimed). */
  onPullRequest?: boolean;
  /** Links to the inline comments of findings, by finding object. */
  inlineLinks?: ReadonlyMap<Finding, string>;
  /** Changed files left out by `exclude-paths`, and findings dropped on them. */
  excluded?: { files: string[]; findings: number };
  /** The commits the agent was asked to review, whole PR or incremental (review-scope.ts). */
  reviewed?: Pick<ScopeDecision, 'scope' | 'base' | 'head' | 'fallback'>;
}
