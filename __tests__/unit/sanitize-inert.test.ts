/**
 * The sanitiser returns "inert" text (printable ASCII, no `&`, `<`, `[`, `$`, `~`, tab or 4 spaces, no
 * mermaid or math fence) without running the parser (issue 12). The premise, checked here with the parser:
 * on such text the Markdown pass only swaps code for placeholders, and restoring them gives the text back,
 * with nothing counted.
 */
import { describe, expect, test } from '@jest/globals';
import { removeHidden, restoreCode } from '../../src/policy/markdown-hidden.js';
import { emptyCounts, sanitizeUntrusted } from '../../src/policy/sanitize.js';

/** What the full path's Markdown pass does to `text` (the other passes need `&`, `<` or non-ASCII). */
function markdownPass(text: string): { text: string; counted: number } {
  const counts = emptyCounts();
  const codes: string[] = [];
  const out = restoreCode(removeHidden(text, counts, codes), codes);
  return { text: out, counted: Object.values(counts).reduce((a, b) => a + b, 0) };
}

const INERT = [
  'Add `div()`',
  'Adds a `div()` helper.\n\n- one `x`\n- two\n\n> quoted `y` and ``a ` b``',
  '```js\nconst a = 1 > 0 ? "x" : `y`;\n```',
  '```\nunclosed fence\n\n# heading',
  '   ```python\n   x = 1\n   ```\n',
  '`` ` `` and ``` `` ``` and `unclosed',
  '1. first `a`\n   ```sh\n   echo hi | sh\n   ```\n2. second',
  '*emphasis* **strong** _x_ __y__ `code` \\`escaped\\` !(x)',
  'Heading\n=======\n\ntext `a`\n---',
  '```mermaidx\n%% not a mermaid fence? it is: info is "mermaidx"\n```',
];

// Texts one feature away from inert: the full path must run (and here it changes something).
const NOT_INERT = [
  ['mermaid fence', '```mermaid\ngraph TD\n%% hidden\nA-->B\n```', '```mermaid\ngraph TD\n\nA-->B\n```'],
  ['math fence', '```math\nx \\phantom{y}\n```', '```math\nx \n```'],
  ['Mermaid fence, any case', '```Mermaid\n%% hidden\n```', '```Mermaid\n\n```'],
  ['link title', 'see [x](https://e.example "t") `c`', 'see [x](https://e.example) `c`'],
  ['comment', 'a <!-- c --> `b`', 'a  `b`'],
  ['entity', 'a &lt; `b`', 'a < `b`'],
  ['tab code', '\t`x` &lt;', '\t`x` &lt;'],
];

describe('inert text', () => {
  test.each(INERT)('%j: the Markdown pass gives it back, counting nothing', (text) => {
    expect(markdownPass(text)).toEqual({ text, counted: 0 });
    const result = sanitizeUntrusted(text);
    expect(result.text).toBe(text);
    expect(Object.values(result.removed).every((n) => n === 0)).toBe(true);
  });

  test.each(NOT_INERT)('%s still goes through the parser', (_name, text, expected) => {
    expect(sanitizeUntrusted(text).text).toBe(expected);
  });

  test('the premise holds on a generated corpus (fixed seed)', () => {
    const PIECES = [
      '`',
      '``',
      '```',
      '```js',
      '```mermaidish',
      'a',
      'b c',
      ' ',
      '  ',
      '\n',
      '\n\n',
      '- ',
      '1. ',
      '> ',
      '#',
      '*',
      '_',
      '!',
      '(',
      ')',
      ':',
      '"',
      '\\',
      '|',
      '-',
      '=',
      'x.y/z',
      'http://e.example',
      '@',
    ];
    let seed = 12;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const failures: string[] = [];
    let checked = 0;
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const n = 1 + Math.floor(next() * 25);
      for (let j = 0; j < n; j++) text += PIECES[Math.floor(next() * PIECES.length)];
      if (/ {4}/.test(text)) continue; // not inert: indented code
      checked++;
      const pass = markdownPass(text);
      if (pass.text !== text || pass.counted !== 0 || sanitizeUntrusted(text).text !== text)
        failures.push(text);
    }
    expect(checked).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  });
});
