/**
 * What a run is configured with: the typed Settings that inputs.ts reads and validates from the action's
 * inputs (and central-policy.ts may tighten). Types only.
 */
import type { Severity } from './findings/schema.js';
import type { IsolationLevel, Mode } from './core.js';
import type { ProviderSettings } from './providers/provider.js';
import type { ReviewScopeSetting } from './review-scope.js';

export interface Settings {
  /** The real model API key ('' when another credential is used). Masked at once; only the key proxy holds it. */
  anthropicApiKey: string;
  /** Claude subscription token ('' when unset). Masked at once; only the key proxy holds it. */
  claudeCodeOauthToken: string;
  /** Who the model calls are paid through, and its endpoint, region and project. */
  provider: ProviderSettings;
  /** Used by the action itself only (posting the review); never given to the agent. */
  githubToken: string;
  mode: Mode;
  /** Extra review instructions (review) or the task (custom). Required in custom mode. */
  prompt: string;
  /** Passed as --model when set. */
  model?: string;
  /** 1..500 */
  maxTurns: number;
  /** Wall clock for the agent, in minutes, > 0 and ≤ 360. */
  timeoutMinutes: number;
  /** Extra permission rules, validated (no broad rules; see policy/permissions.ts). */
  allowedTools: string[];
  deniedTools: string[];
  /** Extra CLI arguments, tokenised (shell-like quoting) and validated against refused flags. */
  claudeArgs: string[];
  /** Explicit path to the Claude Code binary; otherwise `claude` is looked up on PATH. */
  claudePath?: string;
  /** Upstream model API (http/https URL, no credentials in it, no query/fragment), without trailing slash. */
  anthropicBaseUrl: string;
  comment: boolean;
  failOnSeverity: Severity | 'none';
  /** Spend ceiling enforced by the key proxy, USD, > 0. */
  budgetUsd: number;
  isolation: 'auto' | IsolationLevel;
  /** Fail when the level reached is below this. */
  requireIsolation?: IsolationLevel;
  /** Exact Claude Code version to install when claudePath is unset (the pinned one by default). */
  claudeVersion: string;
  /** Sanitised PR title/body/commit subjects go into the prompt as a delimited data block. */
  includePrDescription: boolean;
  /** Inline review comments per run, 0..100. */
  maxComments: number;
  /** Run on pull_request_target / workflow_run / fork PRs (read-only, strict where possible). */
  allowUntrustedPr: boolean;
  /** Bot logins allowed to trigger a run (lower-cased). */
  allowedBots: string[];
  auditWorkflow: 'warn' | 'fail' | 'off';
  /** Fail the step when the rules denied any tool call. */
  failOnDenial: boolean;
  /** The `policy` input as given ('' = none); parsed and applied by policy-source / central-policy. */
  policy: string;
  /** How `mode: fix` delivers the checked change. */
  fixDelivery: 'suggestions' | 'patch' | 'push';
  /** A trigger or actor that is not allowed: end as `skipped` with a notice (default) or fail the step. */
  onRefused: 'skip' | 'fail';
  /** Globs of changed files the agent is not given and findings on which are dropped. */
  excludePaths: string[];
  /** Repository-relative files read from the BASE commit and given to the agent as review guidance. */
  guidanceFiles: string[];
  /** Runs without a pull request: the git range to review ('' = refuse; push uses before..after). */
  diffRange: string;
  /** The mention that asks for a review in a pull-request comment (besides `/review`). */
  triggerPhrase: string;
  /** The label that starts a review when added to a pull request ('' when none). */
  triggerLabel: string;
  /** On a push to a pull request: review only the commits since the last review, or the whole PR. */
  reviewScope: ReviewScopeSetting;
}
