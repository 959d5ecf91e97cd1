import { describe, expect, test } from '@jest/globals';
import type { GatedFinding } from '../../src/report/types.js';
import { suggestionBlock, suggestionRange } from '../../src/report/suggestion.js';

function finding(over: Partial<GatedFinding>): GatedFinding {
  return {
    path: 'src/a.ts',
    line: 10,
    severity: 'medium',
    category: 'correctness',
    title: 't',
    body: 'b',
    suggestion: 'fixed();',
    placement: { line: 10 },
    ...over,
  };
}

describe('suggestionRange', () => {
  test.each<[string, Partial<GatedFinding>, ReturnType<typeof suggestionRange>]>([
    ['single line, placed on it', {}, { line: 10 }],
    ['end_line equal to line', { end_line: 10 }, { line: 10 }],
    [
      'multi-line, placed on exactly its lines',
      { line: 3, end_line: 5, placement: { line: 5, startLine: 3 } },
      { startLine: 3, line: 5 },
    ],
    ['no suggestion', { suggestion: undefined }, null],
    ['not placed (summary only)', { placement: null }, null],
    ['multi-line, placed only on its last line', { line: 3, end_line: 5, placement: { line: 5 } }, null],
    [
      'multi-line, placed on fewer lines',
      { line: 3, end_line: 5, placement: { line: 5, startLine: 4 } },
      null,
    ],
    ['single line, placement wider than the finding', { placement: { line: 11, startLine: 10 } }, null],
    ['placed on another line', { placement: { line: 12 } }, null],
  ])('%s', (_name, over, expected) => {
    expect(suggestionRange(finding(over))).toEqual(expected);
  });

  test('an empty suggestion (delete the lines) still gets a range', () => {
    expect(suggestionRange(finding({ suggestion: '' }))).toEqual({ line: 10 });
  });
});

/** Split a fenced block into its fence and the content between the fences. */
function parseBlock(block: string): { open: string; content: string[]; close: string } {
  const lines = block.split('\n');
  return { open: lines[0], content: lines.slice(1, -1), close: lines[lines.length - 1] };
}

describe('suggestionBlock', () => {
  test.each<[string, string, string[], string]>([
    ['one line', 'fixed();', ['fixed();'], '```'],
    ['several lines', 'a();\nb();', ['a();', 'b();'], '```'],
    ['a trailing newline is the end of the last line, not an extra blank line', 'a();\n', ['a();'], '```'],
    ['a blank replacement line', '\n', [''], '```'],
    ['``` inside: the fence is longer', 'x\n```\ny', ['x', '```', 'y'], '````'],
    ['a long backtick run inside', 'const s = `````;', ['const s = `````;'], '``````'],
  ])('%s', (_name, text, content, ticks) => {
    const block = parseBlock(suggestionBlock(text));
    expect(block.open).toBe(`${ticks}suggestion`);
    expect(block.close).toBe(ticks);
    expect(block.content).toEqual(content);
  });

  test('no line inside can close the fence: every backtick run inside is shorter than it', () => {
    const text = '```\n````\n`````js\n';
    const { open, content } = parseBlock(suggestionBlock(text));
    const fenceLen = /^`+/.exec(open)?.[0].length ?? 0;
    for (const line of content) {
      for (const run of line.match(/`+/g) ?? []) expect(run.length).toBeLessThan(fenceLen);
    }
  });

  test('an empty replacement is an empty block (GitHub: delete the commented lines)', () => {
    expect(suggestionBlock('')).toBe('```suggestion\n```');
  });
});
