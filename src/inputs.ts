/**
 * Every action input, parsed and validated into one typed Settings object. A bad value throws an
 * InputError that names the input. Input names are a contract: INPUT_NAMES must match action.yml.
 * (Contract written first; implementation by the policy work.)
 */
import type { Severity } from './findings/schema.js';

export type Mode = 'review' | 'custom';
export type IsolationLevel = 'strict' | 'sandbox' | 'rules-only';

export interface Settings {
  /** The real model API key. Masked at once; only the key proxy ever holds it after parsing. */
  anthropicApiKey: string;
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
}

/** Reads one raw input (core.getInput semantics: trimmed, '' when unset). */
export type GetInput = (name: string) => string;

export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
    this.name = 'InputError';
  }
}
