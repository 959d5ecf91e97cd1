/**
 * The sanitiser's HTML stage (see sanitize.ts): one left-to-right tokenisation, as a browser reads it.
 * Comments only start outside tags; comments and `<!…>`/`<?…>`/`</…>` declarations are removed;
 * script/style/iframe/noembed/noframes/noscript are removed with their content; every other tag is removed
 * with its attributes and its text kept (block-level tags become a line break); an unterminated comment or
 * tag removes everything after it (a browser hides that too). Linear time: each matcher always succeeds
 * once it starts, so nothing is rescanned.
 */
import type { RemovalCounts, RemovalKind } from './removal-counts.js';

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

export function stripMarkup(text: string, c: RemovalCounts): string {
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
