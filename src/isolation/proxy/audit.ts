/**
 * What the proxy records about each request. An entry never holds the key, the token, a header or a body:
 * request targets and model ids are scrubbed of both secrets and of control characters, and truncated.
 */

export type AuditEvent =
  | 'forwarded'
  | 'bad-token'
  | 'refused-path'
  /** A request whose headers or JSON body are outside the allow-list (request-shape.ts). */
  | 'refused-request'
  | 'budget-exceeded'
  | 'too-large'
  | 'upstream-error'
  | 'unmetered'
  | 'unknown-model';

export interface AuditEntry {
  time: string;
  event: AuditEvent;
  method?: string;
  /** Request target, scrubbed of the key and token, control characters removed, truncated. */
  path?: string;
  status?: number;
  model?: string;
  /** Cost of this request. */
  costUsd?: number;
  ms?: number;
  /** For refusals: what was refused, in words (names a field, header or value; never a secret). */
  detail?: string;
}

const AUDIT_TEXT_CHARS = 120;

/** Replaces every secret with a placeholder, removes control characters, truncates. */
export function scrubber(secrets: Record<string, string>): (text: string) => string {
  const pairs = Object.entries(secrets).filter(([, value]) => value !== '');
  return (text) =>
    pairs
      .reduce((t, [name, value]) => t.split(value).join(`[${name}]`), text)
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .slice(0, AUDIT_TEXT_CHARS);
}

/**
 * One line for the job summary about an entry that is not a plain forwarded request, or undefined for one
 * that is. Built only from the entry's scrubbed fields.
 */
export function auditNote(entry: AuditEntry): string | undefined {
  const request = [entry.method, entry.path].filter(Boolean).join(' ');
  const status = entry.status === undefined ? '' : ` (HTTP ${entry.status})`;
  const detail = entry.detail ? `: ${entry.detail}` : '';
  switch (entry.event) {
    case 'forwarded':
      return undefined;
    case 'unknown-model':
      return `Key proxy: model ${entry.model ?? '?'} has no known price${detail}.`;
    case 'unmetered':
      return `Key proxy stopped forwarding after ${request}${status}${detail}.`;
    case 'upstream-error':
      return `Key proxy could not reach the model API for ${request}${detail}.`;
    default:
      return `Key proxy refused ${request}${status}${detail}.`;
  }
}
