/**
 * Small markdown helpers shared by the reports. They decide how text is made inert where it lands:
 * a table cell, a code span, a fenced block, an HTML <summary>. Agent-derived text that is not prose
 * (paths, tool inputs, categories) goes into code spans, where mentions, links and HTML do nothing
 * (threat model X2, X3). `truncateMarkdown` keeps a document under a size limit without leaving a
 * code fence or a <details> block open. Also the few formats the reports share (severity badge, money,
 * duration), so the comment and the job summary say the same thing the same way.
 */

import type { Severity } from '../findings/schema.js';

/** GitHub's limit for a comment or review body is 65,536 characters; stay a little under. */
export const COMMENT_MAX = 65_000;

const BADGE: Record<Severity, string> = {
  critical: '🔴 Critical',
  high: '🟠 High',
  medium: '🟡 Medium',
  low: '🔵 Low',
  info: '⚪ Info',
};

/** Emoji and capitalised name, e.g. "🟠 High". */
export function severityBadge(s: Severity): string {
  return BADGE[s];
}

/** US dollars for a report: two decimals, or "< $0.01". */
export function formatUsd(usd: number): string {
  return usd > 0 && usd < 0.01 ? '< $0.01' : `$${usd.toFixed(2)}`;
}

/** A duration such as "45s" or "3m 07s". */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** Newlines (any kind) to single spaces: one line of text, one table row. */
export function flatten(text: string): string {
  return text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain text for a table cell: one line; pipes, backticks and angle brackets escaped. */
export function tableCell(text: string): string {
  return flatten(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function longestRun(text: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === ch ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

/**
 * An inline code span holding `text` literally, on one line. The delimiter is longer than any run of
 * backticks inside. With `inTable`, pipes are escaped (GFM removes the backslash inside tables).
 */
export function codeSpan(text: string, opts: { inTable?: boolean } = {}): string {
  let inner = flatten(text);
  if (opts.inTable) inner = inner.replace(/\|/g, '\\|');
  if (inner === '') return '` `';
  const ticks = '`'.repeat(longestRun(inner, '`') + 1);
  const pad = inner.startsWith('`') || inner.endsWith('`') || /^ .* $/.test(inner) ? ' ' : '';
  return `${ticks}${pad}${inner}${pad}${ticks}`;
}

/** A fenced code block holding `text` literally; the fence is longer than any backtick run inside. */
export function fence(text: string, info = ''): string {
  const ticks = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `${ticks}${info}\n${body}\n${ticks}`;
}

/** A collapsible block. `summaryHtml` is HTML on one line (escape text with escapeHtml); `body` is markdown. */
export function details(summaryHtml: string, body: string): string {
  return `<details><summary>${flatten(summaryHtml)}</summary>\n\n${body}\n\n</details>`;
}

/** A markdown table; cells must already be escaped (tableCell / codeSpan with inTable). */
export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** What must be appended to `md` to close a code fence and any <details> left open at its end. */
function closers(md: string): string {
  let open: { ch: string; len: number } | undefined;
  let openDetails = 0;
  for (const line of md.split('\n')) {
    const m = FENCE_LINE.exec(line);
    if (open) {
      if (m && m[1][0] === open.ch && m[1].length >= open.len && m[2].trim() === '') open = undefined;
    } else if (m && !(m[1][0] === '`' && m[2].includes('`'))) {
      open = { ch: m[1][0], len: m[1].length };
    } else {
      openDetails += (line.match(/<details>/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    }
  }
  return (open ? `\n${open.ch.repeat(open.len)}` : '') + '\n\n</details>'.repeat(Math.max(openDetails, 0));
}

/** `md` with a code fence or <details> block it leaves open closed, so text after it renders normally. */
export function closeOpenBlocks(md: string): string {
  return md + closers(md);
}

/**
 * Cut `md` to at most `max` UTF-16 code units (which bounds characters and, times 3, UTF-8 bytes).
 * The cut falls on a line boundary; an open code fence and open <details> blocks are closed, and
 * `notice` is appended.
 */
export function truncateMarkdown(md: string, max: number, notice: string): string {
  if (md.length <= max) return md;
  let budget = max - notice.length - 2;
  for (;;) {
    const nl = md.lastIndexOf('\n', Math.max(0, budget));
    const kept = md.slice(0, nl < 0 ? 0 : nl);
    const out = `${kept}${closers(kept)}\n\n${notice}`;
    if (out.length <= max || kept === '') return out.slice(0, max);
    budget = kept.length - 1 - (out.length - max);
  }
}

/** "1 finding", "2 findings"; `plural` defaults to `singular` + "s". */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

interface InlineSegment {
  code: boolean;
  /** For code: the content between the delimiters (trimmed of one space each side, per CommonMark). */
  text: string;
  /** For code: the whole span as written. */
  raw: string;
}

/**
 * Split one block of inline markdown into code spans and text, as CommonMark does: a run of n backticks
 * opens a span closed by the next run of exactly n; an unmatched run is literal text. A backslash
 * escape in text stays with the text (so `\`` never opens a span).
 */
export function inlineSegments(md: string): InlineSegment[] {
  const out: InlineSegment[] = [];
  let text = '';
  let i = 0;
  while (i < md.length) {
    const c = md[i];
    if (c === '\\' && i + 1 < md.length) {
      text += c + md[i + 1];
      i += 2;
      continue;
    }
    if (c !== '`') {
      text += c;
      i += 1;
      continue;
    }
    let n = 0;
    while (md[i + n] === '`') n += 1;
    const closer = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, 'g');
    closer.lastIndex = i + n;
    const m = closer.exec(md);
    if (!m) {
      text += '`'.repeat(n);
      i += n;
      continue;
    }
    if (text) out.push({ code: false, text, raw: text });
    let inner = md.slice(i + n, m.index).replace(/\n/g, ' ');
    if (/^ .*[^ ].* $/.test(inner) || /^ [^ ] $/.test(inner)) inner = inner.slice(1, -1);
    out.push({ code: true, text: inner, raw: md.slice(i, m.index + n) });
    text = '';
    i = m.index + n;
  }
  if (text) out.push({ code: false, text, raw: text });
  return out;
}

/** `&` that does not start an entity becomes `&amp;`; `<`, `>` and `"` are escaped. */
function escapeHtmlKeepEntities(text: string): string {
  return text
    .replace(/&(?!(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * One line of (already neutralised) inline markdown as HTML for a context where GitHub renders no
 * markdown, such as `<summary>`: code spans become `<code>`, backslash escapes are resolved, the rest
 * is escaped text. So a title like "Use of `eval`" shows a code span, not literal backticks.
 */
export function inlineToHtml(md: string): string {
  return inlineSegments(flatten(md))
    .map((s) =>
      s.code
        ? `<code>${escapeHtml(s.text)}</code>`
        : escapeHtmlKeepEntities(s.text.replace(/\\([!-/:-@[-`{-~])/g, '$1')),
    )
    .join('');
}

/** Characters that start emphasis, links, headings, quotes, tables or strikethrough anywhere in a line. */
const INLINE_SPECIAL = /(?<!\\)([*_[\]|~>#])/g;

/** Text segments with their markdown syntax escaped; code spans and existing escapes kept. */
function escapeTextSegments(line: string, inTable = false): string {
  // A bullet ("- ", "* ", "+ ") or number ("1. ") at the start of a line stays a list item: structure,
  // not emphasis. Everything after it is text.
  const bullet = inTable ? null : /^(\s*(?:[-*+]|\d{1,9}[.)])\s+)(?=\S)/.exec(line);
  if (bullet) return bullet[1] + escapeTextSegments(line.slice(bullet[1].length), inTable);
  const body = inlineSegments(line)
    .map((s) =>
      s.code
        ? inTable
          ? s.raw.replace(/\|/g, '\\|')
          : s.raw
        : s.text.replace(INLINE_SPECIAL, '\\$1').replace(/</g, '&lt;'),
    )
    .join('');
  // A setext underline would turn the line above into a heading; a line of only - or * a rule.
  return body.replace(/^(\s*)(=|-(?=\s*-\s*-)|-\s*$)/, '$1\\$2');
}

/**
 * The agent's prose shown as text, not as markdown: emphasis, headings, quotes, tables and link syntax
 * are escaped (so `__tests__` stays `__tests__`, not bold "tests"); code spans and fenced code blocks
 * stay code; paragraphs and list items stay paragraphs and list items. Input is the output gate's already neutralised text.
 */
export function proseAsText(md: string): string {
  const out: string[] = [];
  let fenceOpen: { ch: string; len: number } | undefined;
  for (const line of md.split('\n')) {
    const m = FENCE_LINE.exec(line);
    if (fenceOpen) {
      out.push(line);
      if (m && m[1][0] === fenceOpen.ch && m[1].length >= fenceOpen.len && m[2].trim() === '')
        fenceOpen = undefined;
      continue;
    }
    if (m && !(m[1][0] === '`' && m[2].includes('`'))) {
      fenceOpen = { ch: m[1][0], len: m[1].length };
      out.push(line);
      continue;
    }
    out.push(escapeTextSegments(line));
  }
  return closeOpenBlocks(out.join('\n'));
}

/**
 * One line of the agent's text (a title) as inline markdown: one line, syntax escaped, code spans kept.
 * With `inTable`, pipes inside code spans are escaped too (GFM splits cells before parsing spans).
 */
export function titleAsText(md: string, opts: { inTable?: boolean } = {}): string {
  return escapeTextSegments(flatten(md), opts.inTable);
}
