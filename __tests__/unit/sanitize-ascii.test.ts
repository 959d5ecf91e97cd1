/**
 * The sanitiser skips its character steps for text of printable ASCII, tabs and line feeds (issue 12):
 * the characters just outside that set must still be normalised or removed, and those inside kept.
 */
import { expect, test } from '@jest/globals';
import { sanitizeUntrusted } from '../../src/policy/sanitize.js';

test.each([
  ['a\r\nb\rc', 'a\nb\nc', {}],
  ['a\u001fb\u007fc\u000bd\u000ce\u0000f', 'abcdef', { controlChars: 5 }],
  ['a\u0080b\u00a0c', 'ab c', { controlChars: 1 }],
  ['a\tb\nc ~d', 'a\tb\nc ~d', {}],
  ['a\u200bb &amp; c', 'ab & c', { invisibleChars: 1, entitiesDecoded: 1 }],
  // ASCII before decoding, not after: the character steps run on what decoding produced.
  ['a&#x200b;b&#13;&#10;c&#xff21;', 'ab\ncA', { invisibleChars: 1, entitiesDecoded: 4 }],
])('%j → %j', (raw, text, counts) => {
  const result = sanitizeUntrusted(raw);
  expect(result.text).toBe(text);
  expect(result.removed).toMatchObject(counts);
});
