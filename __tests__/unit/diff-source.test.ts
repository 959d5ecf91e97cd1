/** What each event reviews, and where the file list comes from (git first, the API as a fallback). */
import { describe, expect, test } from '@jest/globals';
import { loadDiffFor, parseRange, planDiff } from '../../src/diff-source.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const PATCH = '@@ -1,1 +1,2 @@\n x\n+y';
const GIT_DIFF = `diff --git a/f.txt b/f.txt\nindex 1..2 100644\n--- a/f.txt\n+++ b/f.txt\n${PATCH}\n`;

describe('planDiff', () => {
  test.each([
    ['pull_request', { pull: { baseSha: A, headSha: B } }, { kind: 'pull', range: `${A}...${B}` }],
    ['push', { payload: { before: A, after: B } }, { kind: 'range', range: `${A}..${B}` }],
    ['push', { payload: { before: '0'.repeat(40), after: B } }, { kind: 'refuse' }],
    ['push', { payload: {} }, { kind: 'refuse' }],
    ['workflow_dispatch', {}, { kind: 'refuse' }],
    ['schedule', {}, { kind: 'refuse' }],
    ['issue_comment', { payload: { issue: { pull_request: {} } } }, { kind: 'refuse' }],
    ['pull_request', { payload: {} }, { kind: 'refuse' }],
    ['schedule', { diffRange: 'origin/main...HEAD' }, { kind: 'range', range: 'origin/main...HEAD' }],
    [
      'push',
      { diffRange: 'HEAD~3..HEAD', payload: { before: A, after: B } },
      { kind: 'range', range: 'HEAD~3..HEAD' },
    ],
  ])('%s %j → %j', (eventName, rest, expected) => {
    expect(planDiff({ eventName, payload: {}, ...rest })).toMatchObject(expected);
  });

  test('a refusal names the event and the input that would make it run; never HEAD~1', () => {
    const plan = planDiff({ eventName: 'schedule', payload: {} });
    expect(plan).toMatchObject({ reason: expect.stringMatching(/'schedule'.*'diff-range'/) });
    expect(JSON.stringify(plan)).not.toContain('HEAD~1');
  });

  test('parseRange refuses options and odd forms', () => {
    expect(parseRange('main...HEAD')).toEqual({ base: 'main', head: 'HEAD', range: 'main...HEAD' });
    for (const bad of ['--output=x..HEAD', 'main', 'a....b', 'a..b..c', 'a b..c', 'HEAD..-x', ''])
      expect(parseRange(bad)).toBeUndefined();
  });
});

describe('loadDiffFor', () => {
  const plan = { kind: 'pull' as const, base: A, head: B, range: `${A}...${B}` };

  test('git first: the API is not asked', async () => {
    let asked = false;
    const r = await loadDiffFor(plan, {
      git: async (args) => (expect(args).toContain(`${A}...${B}`), GIT_DIFF),
      listPullFiles: async () => ((asked = true), []),
    });
    expect(asked).toBe(false);
    expect(r.files.map((f) => f.path)).toEqual(['f.txt']);
    expect(r.notes).toEqual([]);
  });

  test('the API as a fallback; a truncated list says how many files were not reviewed', async () => {
    const files = Array.from({ length: 3000 }, (_, i) => ({
      filename: `f${i}.txt`,
      status: 'modified',
      additions: 1,
      deletions: 0,
      patch: PATCH,
    }));
    const r = await loadDiffFor(plan, {
      git: async () => {
        throw new Error('git diff failed: fatal: bad object');
      },
      listPullFiles: async () => files,
      changedFiles: 3500,
    });
    expect(r.files).toHaveLength(3000);
    expect(r.notes.join('\n')).toMatch(/GitHub's API/);
    expect(r.notes.join('\n')).toMatch(/500 file\(s\) were not reviewed/);
  });

  test('a range git cannot diff is an error naming the range and the fix', async () => {
    await expect(
      loadDiffFor(
        { kind: 'range', base: A, head: B, range: `${A}..${B}`, notice: '' },
        {
          git: async () => {
            throw new Error('git diff failed: fatal: bad object');
          },
        },
      ),
    ).rejects.toThrow(/could not diff a+\.\.b+ .*fetch-depth: 0/);
  });
});
