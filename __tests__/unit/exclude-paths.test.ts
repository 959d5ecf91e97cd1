import { describe, expect, test } from '@jest/globals';
import { excludedBy, splitExcluded } from '../../src/policy/exclude-paths.js';

describe('exclude-paths', () => {
  test.each([
    [['dist/**'], 'dist/index.js', true],
    [['dist/**'], 'src/dist.ts', false],
    [['**/*.generated.ts'], 'src/api/client.generated.ts', true],
    [['**/*.generated.ts'], 'client.generated.ts', true],
    [['vendor/**'], 'vendor/.hidden/x.c', true],
    [['*.lock'], 'sub/yarn.lock', false],
    [['**/*.lock'], 'sub/yarn.lock', true],
    [[], 'anything', false],
  ])('%j excludes %s: %s', (globs, path, expected) => {
    expect(excludedBy(globs)(path)).toBe(expected);
  });

  test('splits items by path', () => {
    const { kept, excluded } = splitExcluded(
      [{ path: 'a.ts' }, { path: 'gen/b.ts' }, { path: 'c.ts' }],
      (f) => f.path,
      excludedBy(['gen/**']),
    );
    expect(kept.map((f) => f.path)).toEqual(['a.ts', 'c.ts']);
    expect(excluded.map((f) => f.path)).toEqual(['gen/b.ts']);
  });
});
