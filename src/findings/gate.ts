/**
 * The output gate: everything the agent says is data, and this is the one place it is made safe to
 * show. Every finding is redacted (known secret values and their encodings, credential patterns),
 * its markdown neutralised (no @mentions that notify, no clickable link to another host, no HTML, no
 * image embeds), capped, its path confined to the repository, and its line placed on the diff or
 * moved to the summary. Defends threat-model rows X2 (the PR comment as an exfiltration, phishing or
 * mention-spam channel), X3 (what is logged), X6 (comment storms: inline comments are capped) and
 * defence 7.
 *
 * Markdown is neutralised without trusting a guess about what GitHub will render as code. Only two
 * code forms are kept verbatim: fenced blocks opened at column 0 (always a top-level block) and
 * inline code spans that open and close on one line with no `|` (a table cell split cannot cut
 * them). Everything else is prose, and in prose every backtick is escaped, so GitHub's code spans are
 * exactly ours; the inert text we add is wrapped in backtick runs longer than any in the text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { placeFinding, type FileDiff } from './diff.js';
import { TITLE_MAX, severityRank, type Finding, type ReviewResult } from './schema.js';
import type { Redactor } from './redact.js';

export const CATEGORY_MAX = 64;

export type GatedFinding = Finding & {
  placement: { line: number; startLine?: number } | null;
  /** Why the finding is not inline (not on a diff line, or over the inline comment limit). */
  notInline?: string;
  /** Set by delivery when GitHub refused the inline comment or the review could not be posted. */
  undelivered?: string;
};

export interface NeutralisedCounts {
  mentions: number;
  links: number;
  html: number;
}

export interface GateResult {
  summary: string;
  inline: GatedFinding[];
  summaryOnly: GatedFinding[];
  dropped: { finding: Finding; reason: string }[];
  redactions: number;
  neutralised: NeutralisedCounts;
}

export interface GateInput {
  review: ReviewResult;
  diff: FileDiff[];
  repoRoot: string;
  redactor: Redactor;
  maxComments: number;
  maxBodyChars: number;
  /** The GitHub host links may point to, e.g. github.com or a GHES host. */
  githubHost: string;
  /** Resolves symlinks; default: fs.realpathSync on the nearest existing ancestor. */
  realpath?: (p: string) => string;
}

// ---------- paths ----------

/** Normalise a repository-relative path, or say why it is refused. */
export function normalisePath(raw: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    return { ok: false, reason: 'path contains control characters' };
  if (raw.includes('\\')) return { ok: false, reason: 'path contains a backslash' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) return { ok: false, reason: 'path is absolute' };
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { ok: false, reason: 'path contains a ".." segment' };
  if (parts.length === 0) return { ok: false, reason: 'path is empty' };
  return { ok: true, path: parts.join('/') };
}

/** fs.realpathSync of the nearest existing ancestor, plus the rest; throws on a dangling symlink. */
function realpathOfExisting(p: string): string {
  const rest: string[] = [];
  for (let cur = p; ; cur = path.dirname(cur)) {
    if (fs.existsSync(cur)) return path.join(fs.realpathSync(cur), ...rest);
    if (fs.lstatSync(cur, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new Error(`${cur} is a symlink to nothing`);
    }
    if (path.dirname(cur) === cur) return p;
    rest.unshift(path.basename(cur));
  }
}

function confinementError(rel: string, repoRoot: string, realpath: (p: string) => string): string | null {
  try {
    const root = realpath(path.resolve(repoRoot));
    const target = realpath(path.resolve(repoRoot, rel));
    const inside = path.relative(root, target);
    if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
      return 'path resolves outside the repository (symlink)';
    }
    return null;
  } catch (e) {
    return `path cannot be resolved: ${(e as Error).message}`;
  }
}

// ---------- markdown neutralisation ----------

const OPEN = '\uE000';
const CLOSE = '\uE001';
const ASCII_PUNCT = /[!-/:-@[-`{-~]/;

interface Segment {
  code: boolean;
  text: string;
}

/** Fenced blocks opened at column 0 (block context only), until their closing fence or the end. */
function fencedSegments(text: string, block: boolean): Segment[] {
  if (!block) return [{ code: false, text }];
  const segments: Segment[] = [];
  const lines = text.split(/(?<=\n)/);
  let prose = '';
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})[^`]*$|^(~{3,})/.exec(lines[i].replace(/\n$/, ''));
    if (open === null) {
      prose += lines[i];
      continue;
    }
    const fence = open[1] ?? open[2];
    const closer = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*\\n?$`);
    let code = lines[i];
    while (++i < lines.length) {
      code += lines[i];
      if (closer.test(lines[i])) break;
    }
    if (prose !== '') segments.push({ code: false, text: prose });
    segments.push({ code: true, text: code });
    prose = '';
  }
  if (prose !== '') segments.push({ code: false, text: prose });
  return segments;
}

/** Inline code spans that open and close on the same line with no `|` inside; the rest is prose. */
function inlineSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let from = 0;
  const runAt = (j: number) => {
    let k = j;
    while (text[k] === '`') k++;
    return k - j;
  };
  for (let i = 0; i < text.length;) {
    if (text[i] === '\\' && ASCII_PUNCT.test(text[i + 1] ?? '')) {
      i += 2;
      continue;
    }
    if (text[i] !== '`') {
      i++;
      continue;
    }
    const n = runAt(i);
    let j = i + n;
    let close = -1;
    while (j < text.length && text[j] !== '\n' && text[j] !== '|') {
      if (text[j] !== '`') {
        j++;
        continue;
      }
      const m = runAt(j);
      if (m === n) {
        close = j;
        break;
      }
      j += m;
    }
    if (close < 0) {
      i += n;
      continue;
    }
    if (i > from) segments.push({ code: false, text: text.slice(from, i) });
    segments.push({ code: true, text: text.slice(i, close + n) });
    from = i = close + n;
  }
  if (from < text.length) segments.push({ code: false, text: text.slice(from) });
  return segments;
}

function allowedUrl(url: string, githubHost: string): boolean {
  if (url.includes('\\')) return false;
  try {
    const u = new URL(url);
    return (
      (u.protocol === 'https:' || u.protocol === 'http:') &&
      u.hostname === githubHost.toLowerCase() &&
      u.username === '' &&
      u.password === ''
    );
  } catch {
    return false;
  }
}

/** Inert text for a URL: defanged (hxxp, [.]) and marked for wrapping as inline code. */
const inert = (url: string): string =>
  url === '' ? '' : `${OPEN}${url.replace(/^http/i, 'hxxp').replace(/\./g, '[.]')}${CLOSE}`;

const URL_OR_MENTION = new RegExp(
  [
    `${OPEN}[^${CLOSE}]*${CLOSE}`,
    // A scheme (markdown may backslash-escape the ':' and '/'), or GFM's www. autolink.
    `(?:[A-Za-z][A-Za-z0-9+.-]{0,31}\\\\?:(?:\\\\?/){2}|(?<![A-Za-z0-9])www\\.)[^\\s<>\`${OPEN}${CLOSE}]*`,
    // @user or @org/team not preceded by a word character (so a@b.com stays as it is).
    '(?<![A-Za-z0-9_])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?',
  ].join('|'),
  'g',
);

/** Prose: HTML, images, foreign links and mentions made inert (inert parts marked OPEN…CLOSE). */
function neutraliseProse(s: string, githubHost: string, counts: NeutralisedCounts): string {
  const html = () => {
    counts.html++;
    return '';
  };
  const dest = /(?:[^()\n]|\([^()\n]*\))*/.source;
  return (
    s
      .replace(/<!--[\s\S]*?(?:-->|$)/g, html)
      .replace(new RegExp(`!\\[[^\\[\\]\\n]*\\](?:\\(${dest}\\)|\\[[^\\[\\]\\n]*\\])`, 'g'), html)
      .replace(
        new RegExp(`\\[([^\\[\\]\\n]*)\\]\\((${dest})\\)`, 'g'),
        (all, text: string, inner: string) => {
          const url = /^\s*<([^>]*)>|^\s*(\S*)/.exec(inner);
          const target = url?.[1] ?? url?.[2] ?? '';
          if (allowedUrl(target, githubHost)) return all;
          counts.links++;
          return `${text} (${inert(target)})`;
        },
      )
      // Link reference definitions: escaped, so `[text][ref]` links to nothing.
      .replace(/^( {0,3})\[([^[\]\n]+)\]:/gm, (_all, indent: string, label: string) => {
        counts.links++;
        return `${indent}\\[${label}]:`;
      })
      .replace(/<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>/g, (_all, url: string) => {
        if (allowedUrl(url, githubHost)) return url;
        counts.links++;
        return inert(url);
      })
      .replace(/<([^<>\s@]+@[^<>\s@]+)>/g, '$1')
      .replace(/<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>|<![A-Za-z[][^<>]*>|<\?[^<>]*>/g, html)
      // What is left of HTML can no longer start a tag or an entity: shown as text.
      .replace(/&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(URL_OR_MENTION, (m: string) => {
        if (m.startsWith(OPEN)) return m;
        if (m.startsWith('@')) {
          counts.mentions++;
          return `${OPEN}${m}${CLOSE}`;
        }
        if (allowedUrl(m, githubHost)) return m;
        counts.links++;
        return inert(m);
      })
  );
}

/**
 * Join segments: code verbatim; in prose every backtick escaped, `~~~` defused, and OPEN…CLOSE
 * written as a code span of `ticks` backticks (longer than any run in the text), spaced away from
 * a neighbouring backtick or backslash so no run merges and no escape reaches it.
 */
function assemble(segments: Segment[], ticks: string): string {
  let out = '';
  const last = () => out[out.length - 1];
  for (const seg of segments) {
    if (seg.code) {
      if (last() === '`' || last() === '\\') out += ' ';
      out += seg.text;
      continue;
    }
    const s = seg.text;
    let open = false;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '\\' && ASCII_PUNCT.test(s[i + 1] ?? '')) {
        out += c + s[++i];
      } else if (c === '`') {
        out += '\\`';
      } else if (c === '~' && s[i - 1] !== '~' && s.startsWith('~~', i + 1)) {
        out += '\\~';
      } else if (c === OPEN) {
        if (open) continue;
        if (last() === '`' || last() === '\\') out += ' ';
        out += ticks;
        open = true;
      } else if (c === CLOSE) {
        if (!open) continue;
        out += ticks;
        open = false;
      } else {
        out += c;
      }
    }
    if (open) out += ticks;
  }
  return out;
}

function longestBacktickRun(s: string): number {
  let best = 0;
  for (const m of s.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}

export interface NeutraliseResult {
  text: string;
  counts: NeutralisedCounts;
  redactions: number;
}

/**
 * Render untrusted markdown safe to post: redacted (before and after neutralising, since removing
 * HTML can join a split secret), mentions and foreign links inert, HTML and images gone.
 * `block` is false for one-line fields (titles): no fenced block can start there.
 */
export function neutralise(
  text: string,
  opts: { githubHost: string; redactor: Redactor; block: boolean },
): NeutraliseResult {
  const counts: NeutralisedCounts = { mentions: 0, links: 0, html: 0 };
  const first = opts.redactor.redact(text);
  let redactions = first.count;
  const ticks = '`'.repeat(longestBacktickRun(first.text) + 1);
  const segments = fencedSegments(first.text, opts.block).flatMap((s) =>
    s.code ? [s] : inlineSegments(s.text),
  );
  for (const seg of segments) {
    if (seg.code) continue;
    const again = opts.redactor.redact(neutraliseProse(seg.text, opts.githubHost, counts));
    seg.text = again.text;
    redactions += again.count;
  }
  return { text: assemble(segments, ticks), counts, redactions };
}

/** Clean input: one newline convention, no private-use characters we use as markers, and for
 * one-line fields no line breaks at all. */
function clean(text: string, oneLine: boolean): string {
  const t = text.replace(/\r\n?/g, '\n').replace(/[\uE000\uE001]/g, '');
  return oneLine ? t.replace(/[\n\u2028\u2029]+/g, ' ') : t;
}

/**
 * Neutralise, keeping the result within `max` characters. The text is redacted first and only then
 * cut (a cut through a secret would leave its prefix unrecognised), and it is the input that is cut,
 * never the output (that could cut a code span open), until the rendering fits; a note says so.
 */
function renderCapped(
  raw: string,
  max: number,
  opts: { githubHost: string; redactor: Redactor; block: boolean },
): NeutraliseResult {
  const pre = opts.redactor.redact(raw);
  const whole = neutralise(pre.text, opts);
  const redactions = pre.count + whole.redactions;
  if (whole.text.length <= max) return { ...whole, redactions };
  const note = opts.block ? `\n\n… _(truncated to ${max} characters)_` : '…';
  const room = Math.max(0, max - note.length);
  let cut = pre.text.length;
  let r = whole;
  while (cut > 0) {
    cut = Math.min(cut - 1, Math.floor((cut * room) / Math.max(r.text.length, 1)));
    if (/[\uD800-\uDBFF]/.test(pre.text[cut - 1] ?? '')) cut--;
    r = neutralise(pre.text.slice(0, Math.max(cut, 0)), opts);
    if (r.text.length <= room) break;
  }
  // The count is that of the whole text: what was cut off was redacted too.
  return { ...r, text: r.text.length <= room ? r.text + note : note.trim(), redactions };
}

// ---------- the gate ----------

/** The gate: confine, place, cap, neutralise and redact the agent's review. */
export function gateFindings(input: GateInput): GateResult {
  const { redactor, githubHost, maxBodyChars } = input;
  const realpath = input.realpath ?? realpathOfExisting;
  const neutralised: NeutralisedCounts = { mentions: 0, links: 0, html: 0 };
  let redactions = 0;
  const render = (text: string, max: number, block: boolean) => {
    const r = renderCapped(clean(text, !block), max, { githubHost, redactor, block });
    neutralised.mentions += r.counts.mentions;
    neutralised.links += r.counts.links;
    neutralised.html += r.counts.html;
    redactions += r.redactions;
    return r.text;
  };
  const redactOnly = (text: string) => {
    const r = redactor.redact(text);
    redactions += r.count;
    return r.text;
  };

  const summary = render(input.review.summary, maxBodyChars, true);
  const dropped: GateResult['dropped'] = [];
  const placed: GatedFinding[] = [];
  const summaryOnly: GatedFinding[] = [];

  for (const original of input.review.findings) {
    const f: Finding = {
      ...original,
      path: redactOnly(original.path),
      category: render(original.category, CATEGORY_MAX, false),
      title: render(original.title, TITLE_MAX, false),
      body: render(original.body, maxBodyChars, true),
      ...(original.suggestion !== undefined ? { suggestion: redactOnly(original.suggestion) } : {}),
    };
    if (f.path !== original.path) {
      dropped.push({ finding: f, reason: 'path contains a secret' });
      continue;
    }
    const norm = normalisePath(f.path);
    if (!norm.ok) {
      dropped.push({ finding: f, reason: norm.reason });
      continue;
    }
    const escape = confinementError(norm.path, input.repoRoot, realpath);
    if (escape !== null) {
      dropped.push({ finding: f, reason: escape });
      continue;
    }
    const g = { ...f, path: norm.path };
    const where = placeFinding(g, input.diff);
    if (where.inline) {
      placed.push({
        ...g,
        placement: { line: where.line, ...(where.startLine ? { startLine: where.startLine } : {}) },
      });
    } else {
      summaryOnly.push({ ...g, placement: null, notInline: where.reason });
    }
  }

  // The worst findings get the inline slots; the rest keep their placement but go to the summary.
  const ranked = placed
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.i - b.i);
  const limit = Math.max(0, input.maxComments);
  const keep = new Set(ranked.slice(0, limit).map((r) => r.i));
  const inline = placed.filter((_f, i) => keep.has(i));
  for (const [i, f] of placed.entries()) {
    if (!keep.has(i)) summaryOnly.push({ ...f, notInline: `over the limit of ${limit} inline comments` });
  }
  return { summary, inline, summaryOnly, dropped, redactions, neutralised };
}
