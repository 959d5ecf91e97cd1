import { describe, expect, test } from '@jest/globals';
import {
  GUIDANCE_FILE_MAX,
  GUIDANCE_TOTAL_MAX,
  guidanceBlock,
  readGuidance,
} from '../../src/agent/guidance.js';
import type { BaseVersion, GitPort } from '../../src/isolation/agent-instructions.js';
import { buildPrompt } from '../../src/agent/prompt.js';

/** A base commit as a map of path → version; records what was asked for. */
function baseCommit(files: Record<string, BaseVersion>): GitPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async show(sha, p) {
      asked.push(`${sha}:${p}`);
      return files[p] ?? { kind: 'absent' };
    },
  };
}
const file = (text: string | Buffer): BaseVersion => ({
  kind: 'file',
  executable: false,
  content: Buffer.isBuffer(text) ? text : Buffer.from(text),
});

describe('readGuidance', () => {
  test('reads each named file at the base commit; missing, symlinked and binary files are skipped', async () => {
    const git = baseCommit({
      'CLAUDE.md': file('Use tabs.\r\nPrefer early returns.\n'),
      'REVIEW.md': { kind: 'symlink', target: Buffer.from('/etc/passwd') },
      'bin.md': file(Buffer.from([0x41, 0, 0x42])),
    });
    const got = await readGuidance(git, 'base123', ['CLAUDE.md', 'REVIEW.md', 'bin.md', 'nope.md']);
    expect(got).toEqual([
      { path: 'CLAUDE.md', text: 'Use tabs.\nPrefer early returns.\n', truncated: false },
    ]);
    expect(git.asked).toEqual([
      'base123:CLAUDE.md',
      'base123:REVIEW.md',
      'base123:bin.md',
      'base123:nope.md',
    ]);
  });

  test('each file is capped, on a character boundary, and the total too', async () => {
    const big = 'é'.repeat(GUIDANCE_FILE_MAX); // 2 bytes each
    const git = baseCommit(Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [n, file(big)])));
    const got = await readGuidance(git, 'b', ['a', 'b', 'c', 'd', 'e']);
    for (const g of got) {
      expect(Buffer.byteLength(g.text)).toBeLessThanOrEqual(GUIDANCE_FILE_MAX);
      expect(g.text).not.toContain('\uFFFD');
      expect(g.truncated).toBe(true);
    }
    expect(got.reduce((n, g) => n + Buffer.byteLength(g.text), 0)).toBeLessThanOrEqual(GUIDANCE_TOTAL_MAX);
    expect(got.length).toBe(GUIDANCE_TOTAL_MAX / GUIDANCE_FILE_MAX);
  });
});

describe('guidanceBlock in the prompt', () => {
  test('marked as the maintainers’ guidance from the base commit, before the untrusted data', () => {
    const block = guidanceBlock([{ path: 'CLAUDE.md', text: 'Use tabs.', truncated: false }], 'a'.repeat(40));
    expect(block).toContain('base commit aaaaaaaaaaaa');
    expect(block).toContain(
      '===== guidance file "CLAUDE.md" (base commit aaaaaaaaaaaa) =====\nUse tabs.\n=====',
    );
    const prompt = buildPrompt({
      mode: 'review',
      instructions: '',
      files: [],
      range: 'x...y',
      untrusted: 'UNTRUSTED-BLOCK',
      guidance: block,
    });
    expect(prompt.indexOf('Use tabs.')).toBeGreaterThan(0);
    expect(prompt.indexOf('Use tabs.')).toBeLessThan(prompt.indexOf('UNTRUSTED-BLOCK'));
  });

  test('no files, no block', () => {
    expect(guidanceBlock([], 'x')).toBe('');
  });
});
