/**
 * The sanitiser's Markdown stage (see sanitize.ts): what GitHub's renderer shows, judged by structure.
 * The text is parsed as GitHub-flavoured Markdown (micromark with the GFM and math extensions: the same
 * CommonMark grammar GitHub uses, so a construct is found in a blockquote, a list item or a footnote as
 * surely as at the top level), and the source ranges that render as nothing visible are cut out:
 *
 * - link reference definitions, wherever they are (GitHub shows nothing for them);
 * - footnote definitions that no shown text refers to (GitHub drops them), and footnote labels, which
 *   GitHub shows as numbers (`[^label]` → `[^1]`, numbered in order of first reference);
 * - image descriptions (alt text: shown only when the image fails to load; dropped for every image form,
 *   inline, reference, collapsed and shortcut, whatever brackets it nests);
 * - link and image titles (tooltips);
 * - invisible math: `\phantom`, `\hphantom`, `\vphantom`, `\textcolor{transparent}{…}`,
 *   `\color{transparent}` to the end of its group, and TeX `%` comments, in `$…$`, `$$…$$` and ```math;
 * - mermaid comments (`%%` lines) and accessibility text (`accTitle`, `accDescr`) in ```mermaid fences.
 *
 * Code spans and code blocks are shown by GitHub as literal text, so with `codes` given (the first pass over
 * text as GitHub received it) their content is swapped for placeholder characters and collected: later
 * stages cannot mistake a `<!--` shown in code for markup, and `restoreCode` puts the text back at the end.
 * Autolinks (`<https://…>`) are set aside whole the same way: they are shown, not tags.
 * Placeholders are single private-use characters of planes 15 and 16 (input holding any is cleaned first).
 * Without `codes` (the later fixed-point passes, over text that decoding and stripping produced) code is
 * not protected: a code span that decoding created was never shown as code on GitHub.
 */
import { parse, postprocess, preprocess } from 'micromark';
import { gfm } from 'micromark-extension-gfm';
import { math } from 'micromark-extension-math';
import { normalizeIdentifier } from 'micromark-util-normalize-identifier';
import type { RemovalCounts, RemovalKind } from './removal-counts.js';

export const PLACEHOLDERS = /[\u{F0000}-\u{10FFFF}]/gu;
const PLANE_15 = 0xf0000;
const PLANE_16 = 0x100000;
const PER_PLANE = 0xfffe;
/** Code pieces protected at most; beyond that, code is sanitised like text (over-removal, never a leak). */
const MAX_PLACEHOLDERS = 2 * PER_PLANE;

const EXTENSIONS = [gfm(), math()];

type Events = ReturnType<typeof postprocess>;
type Token = Events[number][1];

interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Footnote {
  label: string;
  start: number;
  end: number;
  labelStart: number;
  labelEnd: number;
  /** Index of the footnote definition a call sits in, -1 for shown text. */
  within: number;
}

/** Cuts the hidden ranges of `text` out; with `codes`, swaps code content for placeholders (see above). */
export function removeHidden(text: string, c: RemovalCounts, codes?: string[]): string {
  if (!MARKDOWN_HINT.test(text)) return text;
  const events = postprocess(
    parse({ extensions: EXTENSIONS })
      .document()
      .write(preprocess()(text, undefined, true)),
  );
  const edits: Edit[] = [];
  const cut = (start: number, end: number, kind: RemovalKind, replacement = '') => {
    if (end <= start && !replacement) return;
    edits.push({ start, end, text: replacement });
    c[kind]++;
  };
  const slice = (t: Token) => text.slice(t.start.offset, t.end.offset);
  const stack: string[] = [];
  const definitions: Footnote[] = [];
  const calls: Footnote[] = [];
  const openDefinitions: number[] = [];
  let resourceCursor = 0;
  let fenceInfo: string | null = null;
  let mermaid = { inBlock: false };
  let mathFrom = -1;
  let mathTo = -1;

  for (const [kind, token] of events) {
    const type = token.type as string;
    if (kind === 'exit') {
      stack.pop();
      if (type === 'resourceDestination' || type === 'resourceMarker') resourceCursor = token.end.offset;
      else if (type === 'gfmFootnoteDefinition') openDefinitions.pop();
      else if (type === 'mathTextSequence' || type === 'mathFlowFence') {
        if (mathFrom < 0) mathFrom = token.end.offset;
      } else if (type === 'mathText' || type === 'mathFlow') {
        const to = mathTo > mathFrom ? mathTo : token.end.offset;
        if (mathFrom >= 0 && to > mathFrom) {
          const cleaned = cleanMath(text.slice(mathFrom, to), c);
          if (cleaned !== null) edits.push({ start: mathFrom, end: to, text: cleaned });
        }
        mathFrom = mathTo = -1;
      } else if (type === 'codeFenced') fenceInfo = null;
      continue;
    }
    const parent = stack[stack.length - 1];
    stack.push(type);
    switch (type) {
      case 'definition':
        cut(token.start.offset, token.end.offset, 'linkDefinitions');
        break;
      case 'labelText':
        if (parent === 'label' && stack[stack.length - 3] === 'image')
          cut(token.start.offset, token.end.offset, 'imageAltText');
        break;
      case 'resourceTitle':
        cut(resourceCursor, token.end.offset, 'linkTitles');
        break;
      case 'mathTextSequence':
      case 'mathFlowFence':
        if (mathFrom >= 0) mathTo = token.start.offset;
        break;
      case 'gfmFootnoteDefinition':
        openDefinitions.push(definitions.length);
        definitions.push({ label: '', start: token.start.offset, end: token.end.offset, ...NO_LABEL });
        break;
      case 'gfmFootnoteDefinitionLabelString':
        Object.assign(definitions[definitions.length - 1], label(token, slice(token)));
        break;
      case 'gfmFootnoteCallString':
        calls.push({ start: 0, end: 0, ...label(token, slice(token)), within: openDefinitions.at(-1) ?? -1 });
        break;
      case 'codeFencedFenceInfo':
        if (fenceInfo === '') fenceInfo = slice(token).trim().split(/\s/)[0].toLowerCase();
        break;
      case 'autolink':
        // `<https://…>` and `<a@b.c>` are shown as links: kept whole, so the HTML stage cannot take them for tags.
        if (codes && codes.length < MAX_PLACEHOLDERS) {
          edits.push({ start: token.start.offset, end: token.end.offset, text: placeholder(codes.length) });
          codes.push(slice(token).replace(PLACEHOLDERS, ''));
        }
        break;
      case 'codeFenced':
        fenceInfo = '';
        mermaid = { inBlock: false };
        break;
      case 'codeFlowValue':
      case 'codeTextData': {
        let value = slice(token);
        if (fenceInfo === 'mermaid' && parent === 'codeFenced' && hiddenDiagramLine(value, mermaid)) {
          cut(token.start.offset, token.end.offset, 'diagramComments');
          break;
        }
        if (fenceInfo === 'math' && parent === 'codeFenced') {
          const cleaned = cleanMath(value, c);
          if (cleaned !== null)
            edits.push({ start: token.start.offset, end: token.end.offset, text: cleaned });
          break;
        }
        if (!codes || codes.length >= MAX_PLACEHOLDERS) break;
        value = value.replace(PLACEHOLDERS, '');
        edits.push({ start: token.start.offset, end: token.end.offset, text: placeholder(codes.length) });
        codes.push(value);
        break;
      }
    }
  }
  footnoteEdits(definitions, calls, edits, c);
  return applyEdits(text, edits);
}

/** `[` characters parsed at most (links in one paragraph cost the parser quadratic time). */
export const MAX_BRACKETS = 2_000;
/** Blockquote nesting parsed at most (each level costs the parser a pass over the line). */
export const MAX_QUOTE_DEPTH = 32;
const DEEP_QUOTE = new RegExp(`^(?:[ \\t]*>){${MAX_QUOTE_DEPTH + 1}}`, 'm');

/**
 * How much of `text` the Markdown parser may examine: all of it, unless it holds more than MAX_BRACKETS
 * `[` (then it stops before the MAX_BRACKETS-th, leaving room for the `[truncated]` marker, so a cut
 * output parses whole) or a line nested deeper than MAX_QUOTE_DEPTH blockquotes (then it stops before that
 * line). The caller reports the rest as cut, as for its length cap. Deterministic, so a sanitised text
 * stays a fixed point.
 */
export function parseBudget(text: string): number {
  let end = text.length;
  let nth = -1;
  for (let count = 1, at = text.indexOf('['); at !== -1; count++, at = text.indexOf('[', at + 1)) {
    if (count === MAX_BRACKETS) nth = at;
    else if (count > MAX_BRACKETS) {
      end = nth;
      break;
    }
  }
  // A line that deep needs that many `>`: counting them first spares most texts the regex (and its compile).
  const deep = holdsAtLeast(text, '>', MAX_QUOTE_DEPTH + 1) ? DEEP_QUOTE.exec(text) : null;
  return deep && deep.index < end ? deep.index : end;
}

function holdsAtLeast(text: string, ch: string, n: number): boolean {
  for (let at = text.indexOf(ch); at !== -1; at = text.indexOf(ch, at + 1)) if (--n === 0) return true;
  return false;
}

/** Puts the code collected by `removeHidden` back in place of its placeholders. */
export function restoreCode(text: string, codes: string[]): string {
  if (!codes.length) return text;
  return text.replace(PLACEHOLDERS, (ch) => {
    const cp = ch.codePointAt(0)!;
    return codes[cp >= PLANE_16 ? PER_PLANE + cp - PLANE_16 : cp - PLANE_15] ?? '';
  });
}

/** Text with none of these characters has no Markdown construct that hides anything, no code and no autolink. */
const MARKDOWN_HINT = /[[`$~<\t]| {4}/;

const NO_LABEL = { labelStart: 0, labelEnd: 0, within: -1 };

function label(token: Token, raw: string): Pick<Footnote, 'label' | 'labelStart' | 'labelEnd'> {
  return { label: normalizeIdentifier(raw), labelStart: token.start.offset, labelEnd: token.end.offset };
}

function placeholder(i: number): string {
  return String.fromCodePoint(i < PER_PLANE ? PLANE_15 + i : PLANE_16 + i - PER_PLANE);
}

/**
 * GitHub shows a footnote definition only if shown text refers to it (the first definition of a label
 * wins), and shows labels as numbers in order of first reference. A definition referred to only from a
 * definition that is not shown is not shown either (stricter than GitHub at worst: over-removal).
 */
function footnoteEdits(definitions: Footnote[], calls: Footnote[], edits: Edit[], c: RemovalCounts): void {
  if (!definitions.length) return;
  const first = new Map<string, number>();
  definitions.forEach((d, i) => first.has(d.label) || first.set(d.label, i));
  const shown = new Set<number>();
  const numbers = new Map<string, number>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const call of calls) {
      const target = first.get(call.label);
      if (target === undefined || (call.within !== -1 && !shown.has(call.within))) continue;
      if (!numbers.has(call.label)) numbers.set(call.label, numbers.size + 1);
      if (!shown.has(target)) grew = Boolean(shown.add(target));
    }
  }
  definitions.forEach((d, i) => {
    if (!shown.has(i)) {
      edits.push({ start: d.start, end: d.end, text: '' });
      c.footnoteDefinitions++;
    } else relabel(d, numbers, edits, c);
  });
  for (const call of calls) if (numbers.has(call.label)) relabel(call, numbers, edits, c);
}

function relabel(f: Footnote, numbers: Map<string, number>, edits: Edit[], c: RemovalCounts): void {
  const n = String(numbers.get(f.label));
  if (f.label === n) return;
  edits.push({ start: f.labelStart, end: f.labelEnd, text: n });
  c.footnoteLabels++;
}

/** Mermaid: `%%` comments and directives, `accTitle:`/`accDescr:` and `accDescr { … }` are never drawn. */
function hiddenDiagramLine(line: string, state: { inBlock: boolean }): boolean {
  if (state.inBlock) {
    if (line.includes('}')) state.inBlock = false;
    return true;
  }
  if (/^\s*%%/.test(line) || /^\s*acc(?:Title|Descr)\s*:/.test(line)) return true;
  if (/^\s*accDescr\s*\{/.test(line)) {
    state.inBlock = !line.includes('}');
    return true;
  }
  return false;
}

const MATH_COMMAND = /\\([A-Za-z]+|.)|%|[{}]/gs;
const PHANTOM = /^[hv]?phantom$/;
const TRANSPARENT = /^\s*\{\s*transparent\s*\}/;

/** LaTeX with its invisible parts removed, or null when nothing is invisible. */
function cleanMath(tex: string, c: RemovalCounts): string | null {
  if (!/\\|%/.test(tex)) return null;
  let out = '';
  let from = 0;
  let removed = 0;
  const depthStarts: number[] = [];
  MATH_COMMAND.lastIndex = 0;
  for (let m = MATH_COMMAND.exec(tex); m; m = MATH_COMMAND.exec(tex)) {
    const at = m.index;
    let end = -1;
    if (m[0] === '{') depthStarts.push(at);
    else if (m[0] === '}') depthStarts.pop();
    else if (m[0] === '%') {
      const eol = tex.indexOf('\n', at);
      end = eol === -1 ? tex.length : eol;
    } else if (PHANTOM.test(m[1])) {
      end = argumentEnd(tex, MATH_COMMAND.lastIndex);
    } else if (m[1] === 'textcolor' && TRANSPARENT.test(tex.slice(MATH_COMMAND.lastIndex))) {
      const afterColour =
        MATH_COMMAND.lastIndex + TRANSPARENT.exec(tex.slice(MATH_COMMAND.lastIndex))![0].length;
      end = argumentEnd(tex, afterColour);
    } else if (m[1] === 'color' && TRANSPARENT.test(tex.slice(MATH_COMMAND.lastIndex))) {
      end = groupEnd(tex, MATH_COMMAND.lastIndex);
    }
    if (end === -1) continue;
    out += tex.slice(from, at);
    from = end;
    removed++;
    MATH_COMMAND.lastIndex = end;
  }
  if (!removed) return null;
  c.hiddenMath += removed;
  return out + tex.slice(from);
}

/** The end of a TeX argument starting at `at`: a balanced `{…}` group, a command, or one character. */
function argumentEnd(tex: string, at: number): number {
  const skip = /^\s*/.exec(tex.slice(at))![0].length;
  const i = at + skip;
  if (tex[i] === '{') return Math.min(tex.length, groupEnd(tex, i + 1) + 1);
  const command = /^\\(?:[A-Za-z]+|.)/s.exec(tex.slice(i));
  return Math.min(tex.length, i + (command ? command[0].length : 1));
}

/** The index of the `}` closing the group open at `at` (escapes skipped), or the end of the text. */
function groupEnd(tex: string, at: number): number {
  let depth = 0;
  for (let i = at; i < tex.length; i++) {
    const ch = tex[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}' && depth-- === 0) return i;
  }
  return tex.length;
}

/** Applies non-overlapping edits; an edit inside an earlier, larger one (code in a removed footnote) is dropped. */
function applyEdits(text: string, edits: Edit[]): string {
  if (!edits.length) return text;
  edits.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  for (const e of edits) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
