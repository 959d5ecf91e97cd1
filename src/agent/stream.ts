/**
 * Claude Code's `--output-format stream-json` events → the audit: every tool call with its
 * allowed/denied outcome, cost, turns, session id, and the final result. Pure: feed lines, read
 * the state. Tool inputs are rendered short and passed through `redact` before they are kept, so
 * nothing the agent typed reaches a log or summary unredacted.
 */
import type { AgentRun, ToolCall } from '../report/types.js';

/** The final `result` event (the fields the action relies on; see claude-code-facts.md). */
export interface ResultEvent {
  type: 'result';
  subtype: string;
  is_error: boolean;
  result?: string;
  num_turns?: number;
  total_cost_usd?: number;
  session_id?: string;
  structured_output?: unknown;
  permission_denials?: { tool_name: string; tool_use_id: string; tool_input: unknown }[];
  api_error_status?: number | null;
  terminal_reason?: string;
  errors?: unknown[];
}

const INPUT_RENDER_MAX = 300;
/** What the CLI answers for a tool that is not in the --tools list. */
const TOOL_NOT_ENABLED = /No such tool available/;

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => (c as { text?: string }).text ?? '').join('\n');
  return '';
}

/** A short one-line rendering of a tool call's input for the audit. */
export function renderToolInput(name: string, input: unknown): string {
  let text: string;
  if (typeof input !== 'object' || input === null) {
    text = String(input ?? '');
  } else {
    const o = input as Record<string, unknown>;
    const primary = o.command ?? o.file_path ?? o.path ?? o.pattern ?? o.url ?? o.query;
    text = typeof primary === 'string' && name !== 'StructuredOutput' ? primary : JSON.stringify(o);
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > INPUT_RENDER_MAX ? `${text.slice(0, INPUT_RENDER_MAX)}…` : text;
}

export class StreamAudit {
  private readonly calls = new Map<string, ToolCall>();
  private sessionId?: string;
  private model?: string;
  private resultEvent?: ResultEvent;
  private unparsable = 0;

  constructor(private readonly redact: (text: string) => string = (t) => t) {}

  /** Feed one line of stream-json output. Non-JSON lines are counted and ignored. */
  push(line: string): void {
    const trimmed = line.trim();
    if (!trimmed) return;
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      this.unparsable++;
      return;
    }
    switch (event.type) {
      case 'system':
        this.onSystem(event);
        break;
      case 'assistant':
        this.onAssistant(event);
        break;
      case 'user':
        this.onUser(event);
        break;
      case 'result':
        this.resultEvent = event as unknown as ResultEvent;
        this.onResult(this.resultEvent);
        break;
    }
  }

  private onSystem(event: Record<string, unknown>): void {
    if (event.subtype === 'init') {
      if (typeof event.session_id === 'string') this.sessionId = event.session_id;
      if (typeof event.model === 'string') this.model = event.model;
    } else if (event.subtype === 'permission_denied' && typeof event.tool_use_id === 'string') {
      this.deny(event.tool_use_id, String(event.tool_name ?? ''), 'denied by the permission rules');
    }
  }

  private onAssistant(event: Record<string, unknown>): void {
    const message = event.message as { content?: unknown[] } | undefined;
    for (const block of message?.content ?? []) {
      const b = block as { type?: string; id?: string; name?: string; input?: unknown };
      if (b.type !== 'tool_use' || typeof b.id !== 'string') continue;
      if (this.calls.has(b.id)) continue;
      this.calls.set(b.id, {
        id: b.id,
        name: String(b.name ?? '?'),
        input: this.redact(renderToolInput(String(b.name ?? ''), b.input)),
        outcome: 'allowed',
      });
    }
  }

  private onUser(event: Record<string, unknown>): void {
    const meta = event.tool_result_meta as
      { id?: string; permission_decision?: { decision?: string } }[] | undefined;
    for (const m of meta ?? []) {
      const decision = m.permission_decision?.decision;
      if (m.id && decision && decision !== 'accept' && decision !== 'allow') {
        this.deny(m.id, '', `permission decision: ${decision}`);
      }
    }
    const message = event.message as { content?: unknown[] } | undefined;
    for (const block of message?.content ?? []) {
      const b = block as { type?: string; tool_use_id?: string; is_error?: boolean; content?: unknown };
      if (b.type !== 'tool_result' || !b.tool_use_id) continue;
      const call = this.calls.get(b.tool_use_id);
      if (!call || !b.is_error || call.outcome !== 'allowed') continue;
      // A tool outside the --tools list never runs: that is a refusal by the rules, not a tool error.
      if (TOOL_NOT_ENABLED.test(resultText(b.content)))
        this.deny(b.tool_use_id, call.name, 'tool not enabled in this mode');
      else call.outcome = 'error';
    }
  }

  private onResult(result: ResultEvent): void {
    if (result.session_id) this.sessionId ??= result.session_id;
    for (const d of result.permission_denials ?? []) {
      this.deny(d.tool_use_id, d.tool_name, 'denied by the permission rules', d.tool_input);
    }
  }

  private deny(id: string, name: string, reason: string, input?: unknown): void {
    const call = this.calls.get(id);
    if (call) {
      call.outcome = 'denied';
      call.reason = reason;
    } else {
      this.calls.set(id, {
        id,
        name: name || '?',
        input: this.redact(renderToolInput(name, input)),
        outcome: 'denied',
        reason,
      });
    }
  }

  get result(): ResultEvent | undefined {
    return this.resultEvent;
  }

  get unparsableLines(): number {
    return this.unparsable;
  }

  toolCalls(): ToolCall[] {
    return [...this.calls.values()];
  }

  /** The run as the reports see it. `error` is filled by the caller, which knows exit code and timeout. */
  summary(durationMs: number, error?: string): AgentRun {
    const calls = this.toolCalls();
    return {
      sessionId: this.sessionId,
      model: this.model,
      turns: this.resultEvent?.num_turns ?? 0,
      costUsd: this.resultEvent?.total_cost_usd ?? 0,
      durationMs,
      toolCalls: calls,
      deniedCount: calls.filter((c) => c.outcome === 'denied').length,
      error,
    };
  }
}
