/**
 * Sanitiser for untrusted pull-request text (title, description, commit subjects) before it enters the
 * agent's prompt. Goal: the model reads what a person sees on GitHub, nothing more. What GitHub's
 * renderer hides is removed, judged by structure rather than by patterns: the Markdown is parsed as GitHub
 * parses it (markdown-hidden.ts: link reference definitions in any container, unreferenced footnotes,
 * footnote labels, image alt text, link titles, invisible math, mermaid comments), and the HTML is read as a
 * browser reads it (html-strip.ts: comments and declarations, script/style bodies, tags and their
 * attributes). Content a person can reveal (collapsed `<details>`) stays, as plain text; code spans and
 * code blocks stay as the literal text GitHub shows (a `<!--` shown in code is kept). Invisible, bidi and
 * tag characters are removed everywhere. Every removal is counted.
 *
 * Threat model: this narrows the entry point the model names first (an injection through a PR title,
 * body or commit message) and feeds X5 (what reaches the model) with an honest account of what was
 * hidden. It contains nothing: rows S1–S10 and X1–X7 are held by the isolation layers whatever the
 * agent reads.
 *
 * Order. First the Markdown structure of the text as GitHub received it: hidden ranges cut, code content
 * set aside behind placeholders (so no later step can turn shown code into markup, nor markup into
 * protected code). Then, because the official action strips comments BEFORE decoding entities (so
 * `&#60;!--` becomes a live comment) and a step that removes characters can create a construct an earlier
 * step already passed (`<!\u200b--`, `<<b></b>!--`, `&amp;lt;`, `[x]<b></b>: /u "t"`), one pass runs, in
 * this order, until nothing changes (bounded):
 *   1. decode one level of HTML entities (numeric with or without `;`; every WHATWG named reference with
 *      `;`, from the full table micromark itself uses);
 *   2. normalise line endings, then NFKC (folds fullwidth `＜！－`, small `﹤`, styled math letters and
 *      other compatibility forms to what they look like — a judgement call: it also rewrites ligatures,
 *      superscripts and halfwidth kana, which is harmless for text the model only reads);
 *   3. remove invisible characters: Unicode tag characters (U+E0000–E007F), bidi controls, format
 *      characters (general category Cf), variation selectors, Hangul and other fillers, lone
 *      surrogates, C0/C1 controls except `\n` and `\t`;
 *   4. HTML (html-strip.ts); an unterminated comment or tag removes everything after it;
 *   5. Markdown structure again (markdown-hidden.ts), code no longer protected: it was not code on GitHub.
 * If nested entity encoding is still unwinding after the bound, every remaining `<` and `&` is deleted, so
 * no construct survives. The code set aside comes back (its invisible characters removed, nothing else),
 * and the result is capped at `maxChars` with an explicit marker. sanitize(sanitize(x)) === sanitize(x).
 */
import { decodeNamedCharacterReference } from 'decode-named-character-reference';
import { stripMarkup } from './html-strip.js';
import { parseBudget, PLACEHOLDERS, removeHidden, restoreCode } from './markdown-hidden.js';
import { emptyCounts, REMOVAL_KINDS, type RemovalCounts, type RemovalKind } from './removal-counts.js';

export { emptyCounts, REMOVAL_KINDS, type RemovalCounts, type RemovalKind } from './removal-counts.js';

export interface SanitizeResult {
  text: string;
  removed: RemovalCounts;
  truncated: boolean;
}

export const DEFAULT_MAX_CHARS = 8_000;
/** Preceded by a blank line, so it can never become part of a markdown construct of the text before. */
export const TRUNCATION_MARKER = '\n\n[truncated]';
/** Only this many times maxChars of input are examined at all (keeps the cost linear in the cap; 8 × the
 * default is 64,000 characters, about GitHub's own limit for a PR description). */
const SCAN_FACTOR = 8;
const MAX_ROUNDS = 8;

export function sanitizeUntrusted(text: string, opts: { maxChars?: number } = {}): SanitizeResult {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < TRUNCATION_MARKER.length + 8) {
    throw new RangeError(`sanitizeUntrusted: maxChars must be an integer ≥ ${TRUNCATION_MARKER.length + 8}`);
  }
  const counts = emptyCounts();
  const prefix = cutAt(text, maxChars * SCAN_FACTOR);
  const scanned = cutAt(prefix, parseBudget(prefix));
  const out = clean(scanned, counts);
  const unscanned = text.length - scanned.length;
  if (out.length <= maxChars && unscanned === 0) return { text: out, removed: counts, truncated: false };
  const cut = cutAt(out, maxChars - TRUNCATION_MARKER.length);
  counts.truncatedChars = out.length - cut.length + unscanned;
  // A cut can complete a construct (`[a]: b c` → `[a]: b`, now a link definition): clean the prefix again.
  const kept = clean(cut, counts);
  return { text: kept + TRUNCATION_MARKER, removed: counts, truncated: true };
}

const DESCRIPTIONS: Record<RemovalKind, [one: string, many: string, verb: string]> = {
  entitiesDecoded: ['HTML entity', 'HTML entities', 'decoded in'],
  htmlComments: [
    'hidden HTML comment or declaration',
    'hidden HTML comments or declarations',
    'removed from',
  ],
  hiddenElements: [
    'script/style element (with its content)',
    'script/style elements (with their content)',
    'removed from',
  ],
  unterminatedMarkup: [
    'unterminated HTML comment or tag (and everything after it)',
    'unterminated HTML comments or tags (and everything after them)',
    'removed from',
  ],
  htmlTags: ['HTML tag (its text kept)', 'HTML tags (their text kept)', 'removed from'],
  hiddenAttributes: [
    'hidden HTML attribute (alt, title, aria-, data-, placeholder, style, hidden)',
    'hidden HTML attributes (alt, title, aria-, data-, placeholder, style, hidden)',
    'removed from',
  ],
  detailsMarkers: [
    'details/summary marker (the collapsed text kept, now visible)',
    'details/summary markers (the collapsed text kept, now visible)',
    'removed from',
  ],
  linkDefinitions: [
    'link reference definition (never shown on GitHub)',
    'link reference definitions (never shown on GitHub)',
    'removed from',
  ],
  footnoteDefinitions: [
    'unreferenced footnote definition (never shown on GitHub)',
    'unreferenced footnote definitions (never shown on GitHub)',
    'removed from',
  ],
  footnoteLabels: [
    'footnote label (GitHub shows a number)',
    'footnote labels (GitHub shows numbers)',
    'renumbered in',
  ],
  imageAltText: ['image alt text', 'image alt texts', 'cleared in'],
  linkTitles: ['link title', 'link titles', 'removed from'],
  hiddenMath: [
    'invisible math part (phantom, transparent colour or TeX comment)',
    'invisible math parts (phantom, transparent colour or TeX comment)',
    'removed from',
  ],
  diagramComments: [
    'diagram comment or accessibility text (never drawn)',
    'diagram comments or accessibility texts (never drawn)',
    'removed from',
  ],
  tagChars: ['invisible Unicode tag character', 'invisible Unicode tag characters', 'removed from'],
  bidiControls: ['bidirectional control character', 'bidirectional control characters', 'removed from'],
  invisibleChars: [
    'invisible character (zero-width, format, variation selector or filler)',
    'invisible characters (zero-width, format, variation selector or filler)',
    'removed from',
  ],
  controlChars: ['control character', 'control characters', 'removed from'],
  privateUseChars: [
    'supplementary private-use character (shown as U+FFFD)',
    'supplementary private-use characters (shown as U+FFFD)',
    'replaced in',
  ],
  deepEncodingChars: [
    'angle bracket or ampersand (nested entity encoding did not settle)',
    'angle brackets and ampersands (nested entity encoding did not settle)',
    'removed from',
  ],
  truncatedChars: ['character', 'characters', 'cut (length limit) from the end of'],
};

/**
 * Human lines for a job summary or log, e.g. "3 hidden HTML comments or declarations removed from the
 * PR body". `source` names the field ("the PR body"). Lines contain no markdown or HTML syntax.
 */
export function describeRemovals(source: string, counts: RemovalCounts): string[] {
  return REMOVAL_KINDS.filter((k) => counts[k] > 0).map((k) => {
    const [one, many, verb] = DESCRIPTIONS[k];
    const n = counts[k];
    return `${n.toLocaleString('en-US')} ${n === 1 ? one : many} ${verb} ${source}`;
  });
}

/** The whole sanitiser without the cap: structure first, then passes to a fixed point, then code back. */
function clean(text: string, counts: RemovalCounts): string {
  if (inert(text)) return text;
  const codes: string[] = [];
  // Private-use characters of planes 15–16 are the placeholders: replaced (not removed, which could turn the
  // spaces around one into an indented code block GitHub never showed) by U+FFFD, shown much as they are.
  const own = printableAscii(text)
    ? text
    : text.replace(PLACEHOLDERS, () => {
        counts.privateUseChars++;
        return '\ufffd';
      });
  const structured = removeHidden(own, counts, codes);
  let result = settle(structured, counts);
  if (!result.settled) {
    const flattened = removeCounted(result.text, /[<&]/g, counts, 'deepEncodingChars');
    result = settle(removeHidden(flattened, counts), counts);
  }
  return restoreCode(
    result.text,
    codes.map((code) => removeInvisible(code, counts)),
  );
}

/** Passes until nothing changes. The text comes out of a Markdown stage, so a pass whose character and
 * HTML steps change nothing is the fixed point: the parser (the costly step) runs only on changed text. */
function settle(text: string, counts: RemovalCounts): { text: string; settled: boolean } {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let next = decodeEntities(text, counts);
    if (!printableAscii(next))
      next = removeInvisible(next.replace(LINE_BREAKS, '\n').normalize('NFKC'), counts);
    next = stripMarkup(next, counts);
    if (next === text) return { text, settled: true };
    text = removeHidden(next, counts);
  }
  return { text, settled: false };
}

// ---- 1. entities -------------------------------------------------------------------------------

const ENTITY = /&(?:#(\d+);?|#[xX]([0-9a-fA-F]+);?|([A-Za-z][A-Za-z0-9]{1,31});)/g;

function decodeEntities(text: string, c: RemovalCounts): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (m: string, dec?: string, hex?: string, name?: string) => {
    // The full WHATWG table (2,231 names, `&NegativeThinSpace;` included; the parser's own copy, so the
    // bundle holds one); unknown names stay as they are.
    const out =
      name !== undefined
        ? decodeNamedCharacterReference(name) || m
        : codePoint(dec ? Number(dec) : parseInt(hex!, 16));
    if (out === m) return m;
    c.entitiesDecoded++;
    return out;
  });
}

/** As HTML does: NUL, surrogates and values past U+10FFFF become U+FFFD. */
function codePoint(n: number): string {
  return n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : '\ufffd';
}

// ---- 2, 3. characters ----------------------------------------------------------------------------

const LINE_BREAKS = /\r\n?|[\u2028\u2029]/g;
const TAG_CHARS = /[\u{E0000}-\u{E007F}]/gu;
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
/** Format characters (Cf: zero-width space/joiners, U+2060–2064, BOM, soft hyphen, U+180E, …), lone
 * surrogates, variation selectors, the combining grapheme joiner, Khmer inherent vowels, Mongolian
 * free variation selectors and Hangul fillers. */
const INVISIBLE =
  /[\p{Cf}\p{Cs}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu;
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

function removeInvisible(text: string, c: RemovalCounts): string {
  if (printableAscii(text)) return text;
  let t = removeCounted(text, TAG_CHARS, c, 'tagChars');
  t = removeCounted(t, BIDI_CONTROLS, c, 'bidiControls');
  t = removeCounted(t, INVISIBLE, c, 'invisibleChars');
  return removeCounted(t, CONTROLS, c, 'controlChars');
}

function removeCounted(text: string, re: RegExp, c: RemovalCounts, kind: RemovalKind): string {
  return text.replace(re, () => {
    c[kind]++;
    return '';
  });
}

// ---- helpers ------------------------------------------------------------------------------------------

/**
 * Whether every character of `text` is printable ASCII, a tab or a line feed: then steps 2 and 3 and the
 * placeholder swap change nothing (no `\r`, no other line break, nothing NFKC rewrites, nothing invisible,
 * no control, no private-use character), so they are skipped: most PR text, and each of their regexes costs
 * a compile on first use in the main step's fresh process (issue 12). One scan instead of six.
 */
const NOT_PRINTABLE_ASCII = /[^\t\n\x20-\x7e]/;
/** A character outside printable ASCII and line feeds (tab included), one that starts an entity, a tag or a
 * Markdown construct that hides something (markdown-hidden.ts's hint, less the backtick), or 4 spaces. */
const NOT_INERT = /[^\n\x20-\x7e]|[[$~<&]| {4}/;
const DIAGRAM_OR_MATH = /mermaid|math/i;

/**
 * Text that `clean` returns unchanged, decided without the parser (whose first run in the main step's fresh
 * process costs several ms; issue 12): printable ASCII without `&` or `<` (no step but the Markdown one
 * changes anything) and without a Markdown construct that hides anything, so the only one left is code
 * (backtick spans and fences), which the first pass swaps for placeholders and restores unchanged, unless
 * the fence is ```mermaid or ```math (whose hidden parts are cut), ruled out by the words.
 * sanitize-inert.test.ts checks the premise with the parser on a generated corpus.
 */
function inert(text: string): boolean {
  return !NOT_INERT.test(text) && !DIAGRAM_OR_MATH.test(text);
}
function printableAscii(text: string): boolean {
  return !NOT_PRINTABLE_ASCII.test(text);
}

/** The first `max` UTF-16 units of `text`, never splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}
