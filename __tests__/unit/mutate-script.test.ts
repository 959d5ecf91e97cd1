import { expect, test } from '@jest/globals';
// @ts-expect-error -- a plain .mjs script without type declarations
import { mutants, spread } from '../../scripts/mutate.mjs';

type Mutant = { start: number; end: number; replacement: string; description: string };
const apply = (text: string, m: Mutant) => text.slice(0, m.start) + m.replacement + text.slice(m.end);

test('mutants come from the syntax tree: operators, negations, booleans, list entries; never comments or strings', () => {
  const text = [
    '// a === b && c in a comment, true',
    "const s = 'x === y || !z';",
    "const EVENTS = ['push', 'schedule'];",
    'export function f(a: number, b: boolean): boolean {',
    '  return a === 1 && !b || a >= 2 ? true : false;',
    '}',
  ].join('\n');
  const got = (mutants(text) as Mutant[]).map((m) => apply(text, m).split('\n').slice(2).join('\n'));
  const lines = got.map((t) => t.replace(/\n/g, ' | '));
  expect(lines).toEqual([
    "const EVENTS = [ 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b || a >= 2 ? true : false; | }",
    "const EVENTS = ['push', ]; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b || a >= 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a !== 1 && !b || a >= 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 || !b || a >= 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && b || a >= 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b && a >= 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b || a > 2 ? true : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b || a >= 2 ? false : false; | }",
    "const EVENTS = ['push', 'schedule']; | export function f(a: number, b: boolean): boolean { |   return a === 1 && !b || a >= 2 ? true : true; | }",
  ]);
});

test('spread picks n items evenly, all when n is large', () => {
  const items = Array.from({ length: 10 }, (_, i) => i);
  expect(spread(items, 3)).toEqual([1, 5, 8]);
  expect(spread(items, 20)).toEqual(items);
});
