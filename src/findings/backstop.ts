/**
 * The output gate's backstop (issue 9 item 6; threat-model X2, X3). The review is a channel for whatever
 * the agent can read, so besides known secret values and well-known token shapes (redact.ts) a finding
 * loses:
 * - a known secret written backwards, or spaced out with separators between its characters
 *   (`s k - a n t …`, `A.K.I.A…`): matched on a view of the text without separators, in both directions;
 * - a random-looking string (long, letters and digits, high entropy) that does not occur in the PR's own
 *   files: a secret read from a file the action never knew (a token in a dotfile, a key in a build
 *   output) looks exactly like that. Strings that occur in the PR's tracked content (a lockfile hash, a
 *   test fixture), git object ids of the repository and URLs of the repository's own host survive.
 * Pure: which strings are known is found by the caller (git grep over base and head) and passed in.
 */
import { MIN_SECRET_LENGTH, type Redactor } from './redact.js';

/** Shortest string the entropy test considers. */
export const MIN_RANDOM_LENGTH = 20;
/** Shannon entropy (bits per character) at or above which a string counts as random. */
export const RANDOM_ENTROPY = 3.5;

const TOKEN = /[A-Za-z0-9+/=_-]{20,}/g;

/** Characters someone puts between a secret's characters to hide it. */
const SEPARATORS = /[\s\-_.,:;|/\\'"`*·•\u200b-\u200d\u2060\ufeff]/u;

export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A string that looks generated rather than written: long, and either mixed-case letters with digits at
 * high entropy (base64 and alphanumeric tokens) or 32+ hex digits (hex keys; a UUID is an identifier).
 * Identifiers made of words (`call_graph_node_v2`, `2024-06-01-preview`) do not count.
 */
export function looksRandom(token: string): boolean {
  const core = token.replace(/=+$/, '');
  if (core.length < MIN_RANDOM_LENGTH) return false;
  if (core.split(/[_-]/).every((seg) => /^[A-Za-z][a-z]*[0-9]{0,2}$|^[0-9]{1,4}$/.test(seg))) return false;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(core)) return false;
  if (/^[0-9a-f]{32,}$/i.test(core)) return true;
  if (!/[0-9]/.test(core) || !/[a-z]/.test(core) || !/[A-Z]/.test(core)) return false;
  return shannonEntropy(core) >= RANDOM_ENTROPY;
}

/** Whitespace-separated words that are links into the repository's own host: never candidates. */
function ownLinks(text: string, githubHost: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  const host = githubHost.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`https?://(?:[a-z0-9-]+\\.)*${host}(?=[/:?#]|$)[^\\s)>\\]"'\`]*`, 'gi');
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    spans.push({ start: m.index, end: m.index + m[0].length });
  return spans;
}

/** The random-looking strings of a text (outside links to the repository's host), for the caller to
 * look up in the PR's files. */
export function randomCandidates(text: string, githubHost: string): string[] {
  const links = ownLinks(text, githubHost);
  const found = new Set<string>();
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    if (links.some((l) => start >= l.start && start < l.end)) continue;
    if (looksRandom(m[0])) found.add(m[0]);
  }
  return [...found];
}

interface Span {
  start: number;
  end: number;
}

/** Where a secret occurs with separators between its characters, forwards or backwards. */
function obfuscatedSpans(text: string, secrets: readonly string[]): Span[] {
  // The text without separators, and for each kept character its index in the text.
  const kept: number[] = [];
  let squeezed = '';
  for (let i = 0; i < text.length; i++) {
    if (SEPARATORS.test(text[i])) continue;
    kept.push(i);
    squeezed += text[i];
  }
  const spans: Span[] = [];
  for (const secret of secrets) {
    const plain = [...secret].filter((c) => !SEPARATORS.test(c)).join('');
    if (plain.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([plain, [...plain].reverse().join('')])) {
      for (let at = squeezed.indexOf(form); at >= 0; at = squeezed.indexOf(form, at + 1)) {
        spans.push({ start: kept[at], end: kept[at + form.length - 1] + 1 });
      }
    }
  }
  return spans;
}

function replaceSpans(text: string, spans: Span[], label: string): { text: string; count: number } {
  if (spans.length === 0) return { text, count: 0 };
  spans.sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  let count = 0;
  for (let i = 0; i < spans.length;) {
    const start = spans[i].start;
    let end = spans[i].end;
    for (i++; i < spans.length && spans[i].start <= end; i++) end = Math.max(end, spans[i].end);
    out += text.slice(pos, start) + label;
    pos = end;
    count++;
  }
  return { text: out + text.slice(pos), count };
}

export interface BackstopOptions {
  /** The known secret values (as given to createRedactor). */
  secrets: readonly string[];
  /** Random-looking strings that occur in the PR's own files or name its git objects: they survive. */
  known: ReadonlySet<string>;
  githubHost: string;
}

/** The base redactor, then obfuscated secrets, then random-looking strings the PR does not contain. */
export function createBackstopRedactor(base: Redactor, opts: BackstopOptions): Redactor {
  return {
    ignoredShort: base.ignoredShort,
    redact(input: string) {
      const first = base.redact(input);
      const second = replaceSpans(first.text, obfuscatedSpans(first.text, opts.secrets), '[REDACTED]');
      const unknown = randomCandidates(second.text, opts.githubHost).filter((t) => !opts.known.has(t));
      const spans: Span[] = [];
      for (const token of unknown) {
        for (let at = second.text.indexOf(token); at >= 0; at = second.text.indexOf(token, at + 1))
          spans.push({ start: at, end: at + token.length });
      }
      const third = replaceSpans(second.text, spans, '[REDACTED:unknown-random-string]');
      return { text: third.text, count: first.count + second.count + third.count };
    },
  };
}

/** Every string inside a value (the review's summary and findings), one per line. */
export function stringsOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const parts = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object'
      ? Object.values(value)
      : [];
  if (parts.length > 0) return parts.map(stringsOf).filter(Boolean).join('\n');
  return '';
}
