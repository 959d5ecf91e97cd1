/**
 * Sanitiser for untrusted pull-request text (title, description, commit subjects) before it enters the
 * agent's prompt. Goal: the model reads what a person sees on GitHub, nothing more. Content a renderer
 * hides is removed (HTML comments and declarations, script/style bodies, tags and their attributes,
 * image alt text, link titles, link reference definitions, invisible, bidi and tag characters);
 * content a person can reveal (collapsed `<details>`) stays, as plain text. Every removal is counted.
 *
 * Threat model: this narrows the entry point the model names first (an injection through a PR title,
 * body or commit message) and feeds X5 (what reaches the model) with an honest account of what was
 * hidden. It contains nothing: rows S1–S10 and X1–X7 are held by the isolation layers whatever the
 * agent reads.
 *
 * Order — the official action strips comments BEFORE decoding entities, so `&#60;!--` becomes a live
 * comment; and a step that removes characters can create a construct an earlier step already passed
 * (`<!\u200b--`, `<<b></b>!--`, `&amp;lt;`). So one pass runs, in this order:
 *   1. decode one level of HTML entities (numeric with or without `;`, a table of named ones with `;`);
 *   2. normalise line endings, then NFKC (folds fullwidth `＜！－`, small `﹤`, styled math letters and
 *      other compatibility forms to what they look like — a judgement call: it also rewrites ligatures,
 *      superscripts and halfwidth kana, which is harmless for text the model only reads);
 *   3. remove invisible characters: Unicode tag characters (U+E0000–E007F), bidi controls, format
 *      characters (general category Cf), variation selectors, Hangul and other fillers, lone
 *      surrogates, C0/C1 controls except `\n` and `\t`;
 *   4. one left-to-right HTML tokenisation (comments only start outside tags, as in a browser):
 *      comments and `<!…>`/`<?…>`/`</…>` declarations removed; script/style/iframe/noembed/noframes/
 *      noscript removed with their content; every other tag removed with its attributes, its text kept;
 *      an unterminated comment or tag removes everything after it (a browser hides that too);
 *   5. markdown: link reference definitions removed (GitHub never shows them), image alt text cleared,
 *      link titles removed;
 * and the pass repeats until nothing changes (bounded). If nested entity encoding is still unwinding
 * after the bound, every remaining `<` and `&` is deleted, so no construct survives. The result is then
 * capped at `maxChars` with an explicit marker. sanitize(sanitize(x)) === sanitize(x).
 *
 * Markdown code spans and fences are not special: markup inside them is removed too (over-removal is
 * the safe direction; a PR's code is read from git, not from its description).
 */

export const REMOVAL_KINDS = [
  'entitiesDecoded',
  'htmlComments',
  'hiddenElements',
  'unterminatedMarkup',
  'htmlTags',
  'hiddenAttributes',
  'detailsMarkers',
  'linkDefinitions',
  'imageAltText',
  'linkTitles',
  'tagChars',
  'bidiControls',
  'invisibleChars',
  'controlChars',
  'deepEncodingChars',
  'truncatedChars',
] as const;
export type RemovalKind = (typeof REMOVAL_KINDS)[number];
/** How many of each kind were removed (characters for the *Chars kinds, constructs otherwise). */
export type RemovalCounts = Record<RemovalKind, number>;

export interface SanitizeResult {
  text: string;
  removed: RemovalCounts;
  truncated: boolean;
}

export const DEFAULT_MAX_CHARS = 8_000;
/** Preceded by a blank line, so it can never become part of a markdown construct of the text before. */
export const TRUNCATION_MARKER = '\n\n[truncated]';
/** Only this many times maxChars of input are examined at all (keeps the cost linear in the cap). */
const SCAN_FACTOR = 16;
const MAX_ROUNDS = 8;

export function emptyCounts(): RemovalCounts {
  return Object.fromEntries(REMOVAL_KINDS.map((k) => [k, 0])) as RemovalCounts;
}

export function sanitizeUntrusted(text: string, opts: { maxChars?: number } = {}): SanitizeResult {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  if (!Number.isInteger(maxChars) || maxChars < TRUNCATION_MARKER.length + 8) {
    throw new RangeError(`sanitizeUntrusted: maxChars must be an integer ≥ ${TRUNCATION_MARKER.length + 8}`);
  }
  const counts = emptyCounts();
  const scanned = cutAt(text, maxChars * SCAN_FACTOR);
  const first = settle(scanned, counts);
  let out = first.text;
  if (!first.settled) {
    out = removeCounted(out, /[<&]/g, counts, 'deepEncodingChars');
    out = settle(out, counts).text;
  }
  const unscanned = text.length - scanned.length;
  if (out.length <= maxChars && unscanned === 0) return { text: out, removed: counts, truncated: false };
  const cut = cutAt(out, maxChars - TRUNCATION_MARKER.length);
  counts.truncatedChars = out.length - cut.length + unscanned;
  // A cut can complete a construct (`[a]: b c` → `[a]: b`, now a link definition): settle the prefix.
  const kept = settle(cut, counts).text;
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
  imageAltText: ['image alt text', 'image alt texts', 'cleared in'],
  linkTitles: ['link title', 'link titles', 'removed from'],
  tagChars: ['invisible Unicode tag character', 'invisible Unicode tag characters', 'removed from'],
  bidiControls: ['bidirectional control character', 'bidirectional control characters', 'removed from'],
  invisibleChars: [
    'invisible character (zero-width, format, variation selector or filler)',
    'invisible characters (zero-width, format, variation selector or filler)',
    'removed from',
  ],
  controlChars: ['control character', 'control characters', 'removed from'],
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

function settle(text: string, counts: RemovalCounts): { text: string; settled: boolean } {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = pass(text, counts);
    if (next === text) return { text, settled: true };
    text = next;
  }
  return { text, settled: false };
}

function pass(text: string, c: RemovalCounts): string {
  let t = decodeEntities(text, c);
  t = t.replace(LINE_BREAKS, '\n').normalize('NFKC');
  t = removeCounted(t, TAG_CHARS, c, 'tagChars');
  t = removeCounted(t, BIDI_CONTROLS, c, 'bidiControls');
  t = removeCounted(t, INVISIBLE, c, 'invisibleChars');
  t = removeCounted(t, CONTROLS, c, 'controlChars');
  t = stripMarkup(t, c);
  t = removeCounted(t, LINK_DEFINITION, c, 'linkDefinitions');
  t = t.replace(IMAGE_ALT, (m: string, alt: string) => {
    if (!alt) return m;
    c.imageAltText++;
    return '![]';
  });
  return t.replace(LINK_TITLE, (_m: string, dest: string | undefined) => {
    c.linkTitles++;
    return `](${dest ?? ''})`;
  });
}

// ---- 1. entities -------------------------------------------------------------------------------

const ENTITY = /&(?:#(\d+);?|#[xX]([0-9a-fA-F]+);?|([A-Za-z][A-Za-z0-9]{1,31});)/g;

/** Named references that matter here: markup punctuation and invisible characters (a Map: no
 * prototype lookups such as `&constructor;`). Unknown names are left as they are. */
const NAMED_ENTITIES = new Map<string, string>([
  ...(['lt', 'LT'] as const).map((n) => [n, '<'] as const),
  ...(['gt', 'GT'] as const).map((n) => [n, '>'] as const),
  ...(['amp', 'AMP'] as const).map((n) => [n, '&'] as const),
  ...(['quot', 'QUOT'] as const).map((n) => [n, '"'] as const),
  ['apos', "'"],
  ['excl', '!'],
  ['num', '#'],
  ['percnt', '%'],
  ['lpar', '('],
  ['rpar', ')'],
  ['ast', '*'],
  ['midast', '*'],
  ['plus', '+'],
  ['comma', ','],
  ['period', '.'],
  ['sol', '/'],
  ['colon', ':'],
  ['semi', ';'],
  ['equals', '='],
  ['quest', '?'],
  ['commat', '@'],
  ['lsqb', '['],
  ['lbrack', '['],
  ['bsol', '\\'],
  ['rsqb', ']'],
  ['rbrack', ']'],
  ['Hat', '^'],
  ['lowbar', '_'],
  ['grave', '`'],
  ['lcub', '{'],
  ['lbrace', '{'],
  ['verbar', '|'],
  ['vert', '|'],
  ['rcub', '}'],
  ['rbrace', '}'],
  ['Tab', '\t'],
  ['NewLine', '\n'],
  ['nbsp', '\u00a0'],
  ['NonBreakingSpace', '\u00a0'],
  ['shy', '\u00ad'],
  ['ZeroWidthSpace', '\u200b'],
  ['zwnj', '\u200c'],
  ['zwj', '\u200d'],
  ['lrm', '\u200e'],
  ['rlm', '\u200f'],
  ['NoBreak', '\u2060'],
  ['af', '\u2061'],
  ['ApplyFunction', '\u2061'],
  ['it', '\u2062'],
  ['InvisibleTimes', '\u2062'],
  ['ic', '\u2063'],
  ['InvisibleComma', '\u2063'],
]);

function decodeEntities(text: string, c: RemovalCounts): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (m: string, dec?: string, hex?: string, name?: string) => {
    const out =
      name !== undefined ? NAMED_ENTITIES.get(name) : codePoint(dec ? Number(dec) : parseInt(hex!, 16));
    if (out === undefined) return m;
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

function removeCounted(text: string, re: RegExp, c: RemovalCounts, kind: RemovalKind): string {
  return text.replace(re, () => {
    c[kind]++;
    return '';
  });
}

// ---- 4. HTML --------------------------------------------------------------------------------------

// Sticky matchers tried at each '<'. Each always succeeds once it starts (`$` ends an unterminated
// construct), so nothing is rescanned: linear time.
const COMMENT = /<!--(?:(-?>)|[\s\S]*?(--!?>|$))/y;
/** `<!…>`, `<?…>` and `</` not followed by a letter: bogus comments to the next `>`, as in a browser. */
const DECLARATION = /<(?:[!?]|\/(?![A-Za-z]))[^>]*(>?)/y;
const RAW_TEXT_ELEMENT =
  /<(script|style|iframe|noembed|noframes|noscript)(?=[\s/>]|$)[\s\S]*?(?:<\/\1(?=[\s/>]|$)[^>]*(>?)|$)/iy;
/** A tag: quotes delimit a value only right after `=` (browser rules), so `>` inside one doesn't end it. */
const TAG = /<\/?([A-Za-z][^\s/>]*)((?:[^>=]|=\s*"[^"]*"?|=\s*'[^']*'?|=)*)(>?)/y;
const ATTRIBUTE_NAME = /([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?/g;
const HIDDEN_ATTRIBUTE = /^(?:alt|title|placeholder|style|hidden|aria-.*|data-.*)$/i;
const DETAILS = /^(?:details|summary)$/i;
/** Tags replaced by a line break rather than nothing, so words on either side stay apart. */
const BLOCK_TAG = /^(?:br|p|div|details|summary|li|ul|ol|tr|td|th|table|h[1-6]|hr|pre|blockquote)$/i;

function stripMarkup(text: string, c: RemovalCounts): string {
  let out = '';
  let from = 0;
  let lt = text.indexOf('<');
  while (lt !== -1) {
    const removal = markupAt(text, lt, c);
    if (removal) {
      out += text.slice(from, lt) + removal.replacement;
      from = removal.end;
    }
    lt = text.indexOf('<', removal ? from : lt + 1);
  }
  return out + text.slice(from);
}

function markupAt(text: string, at: number, c: RemovalCounts): { end: number; replacement: string } | null {
  let m: RegExpExecArray | null;
  if ((m = execAt(COMMENT, text, at))) {
    count(c, Boolean(m[1] || m[2]), 'htmlComments');
  } else if ((m = execAt(DECLARATION, text, at))) {
    count(c, m[1] === '>', 'htmlComments');
  } else if ((m = execAt(RAW_TEXT_ELEMENT, text, at))) {
    count(c, m[2] === '>', 'hiddenElements');
  } else if ((m = execAt(TAG, text, at))) {
    const [, name, attributes, close] = m;
    for (const [, attr] of attributes.matchAll(ATTRIBUTE_NAME))
      if (HIDDEN_ATTRIBUTE.test(attr)) c.hiddenAttributes++;
    count(c, close === '>', DETAILS.test(name) ? 'detailsMarkers' : 'htmlTags');
    if (close === '>' && BLOCK_TAG.test(name)) return { end: at + m[0].length, replacement: '\n' };
  } else {
    return null;
  }
  return { end: at + m[0].length, replacement: '' };
}

function execAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

function count(c: RemovalCounts, terminated: boolean, kind: RemovalKind): void {
  c[terminated ? kind : 'unterminatedMarkup']++;
}

// ---- 5. markdown ---------------------------------------------------------------------------------

/** `[label]: destination "optional title"` (title possibly on the next line); not footnotes `[^1]:`. */
const LINK_DEFINITION =
  /^[ \t]{0,3}\[(?!\^)(?:[^[\]\\\n]|\\.){1,999}\]:[ \t]*(?:\n[ \t]*)?\S+(?:(?:[ \t]+|[ \t]*\n[ \t]*)(?:"[^"]*"|'[^']*'|\([^()]*\)))?[ \t]*$/gm;
/** `![alt]` (inline or reference image), alt with one level of nested brackets and escapes. */
const IMAGE_ALT = /!\[((?:[^[\]\\]|\\[\s\S]|\[[^[\]]*\])*)\]/g;
/** `](destination "title")`, `'title'` or `(title)`; the destination may be absent. */
const LINK_TITLE =
  /\]\(\s*(?:([^\s()]+(?:\([^\s()]*\)[^\s()]*)*)\s+)?(?:"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\))\s*\)/g;

// ---- helpers ------------------------------------------------------------------------------------------

/** The first `max` UTF-16 units of `text`, never splitting a surrogate pair. */
function cutAt(text: string, max: number): string {
  if (text.length <= max) return text;
  const high = text.charCodeAt(max - 1);
  return text.slice(0, high >= 0xd800 && high <= 0xdbff ? max - 1 : max);
}
