import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../support/fake-github.js';
import { COMMENT_MAX } from '../../src/report/markdown.js';
import { buildReview, postReview, REVIEW_MARKER } from '../../src/report/review.js';
import type { GateResult, GatedFinding } from '../../src/report/types.js';

const pr = { owner: 'o', repo: 'r', number: 1 };

function finding(over: Partial<GatedFinding> = {}): GatedFinding {
  return {
    path: 'src/a.ts',
    line: 10,
    severity: 'high',
    category: 'security',
    title: 'SQL built from input',
    body: 'The query concatenates `name`.',
    placement: { line: 10 },
    ...over,
  };
}

function gate(inline: GatedFinding[]): GateResult {
  return {
    summary: 's',
    inline,
    summaryOnly: [],
    dropped: [],
    redactions: 0,
    neutralised: { mentions: 0, links: 0, html: 0 },
  };
}

const FP = () => '0123456789abcdef';

describe('buildReview', () => {
  test('one COMMENT review at the given commit, one RIGHT-side comment per inline finding', () => {
    const review = buildReview(
      gate([
        finding(),
        finding({ path: 'b.ts', line: 3, end_line: 5, placement: { line: 5, startLine: 3 } }),
      ]),
      { commitId: 'abc123', fingerprint: FP },
    );
    expect(review.event).toBe('COMMENT');
    expect(review.commit_id).toBe('abc123');
    expect(review.body.startsWith(REVIEW_MARKER)).toBe(true);
    expect(review.body).toContain('2 inline comments');
    for (const c of review.comments)
      expect(c.body).toMatch(/<!-- claude-guard:finding fp=0123456789abcdef -->$/);
    expect(review.comments.map(({ body: _b, ...c }) => c)).toEqual([
      { path: 'src/a.ts', line: 10, side: 'RIGHT' },
      { path: 'b.ts', line: 5, side: 'RIGHT', start_line: 3, start_side: 'RIGHT' },
    ]);
  });

  test('a comment shows the severity badge, category, title and body', () => {
    const [c] = buildReview(gate([finding()]), { commitId: 'x', fingerprint: FP }).comments;
    expect(c.body).toContain('**🟠 High**');
    expect(c.body).toContain('`security`');
    expect(c.body).toContain('**SQL built from input**');
    expect(c.body).toContain('The query concatenates `name`.');
  });

  test('a finding the gate left without a placement gets no inline comment', () => {
    expect(
      buildReview(gate([finding({ placement: null })]), { commitId: 'x', fingerprint: FP }).comments,
    ).toEqual([]);
  });

  test.each([
    ['single line, placed on it', { line: 10 }, { line: 10 }, true],
    ['range, placed on exactly that range', { line: 3, end_line: 5 }, { line: 5, startLine: 3 }, true],
    ['range, placed on its last line only', { line: 3, end_line: 5 }, { line: 5 }, false],
    ['range, placement shrunk', { line: 3, end_line: 5 }, { line: 5, startLine: 4 }, false],
    ['single line, placed elsewhere', { line: 10 }, { line: 11 }, false],
  ])('suggestion block: %s → %s', (_name, lines, placement, expected) => {
    const [c] = buildReview(gate([finding({ ...lines, placement, suggestion: 'const q = sql`x`;' })]), {
      commitId: 'x',
      fingerprint: FP,
    }).comments;
    expect(c.body.includes('```suggestion\nconst q = sql`x`;\n```')).toBe(expected);
  });

  test('a suggestion containing a fence gets a longer fence; an unclosed fence in the body is closed first', () => {
    const [c] = buildReview(gate([finding({ body: 'see:\n```js\nfoo()', suggestion: 'a\n```\nb\n' })]), {
      commitId: 'x',
      fingerprint: FP,
    }).comments;
    expect(c.body).toContain('see:\n```js\nfoo()\n```');
    expect(
      c.body
        .replace(/\n\n<!-- claude-guard:finding fp=\w+ -->$/, '')
        .endsWith('````suggestion\na\n```\nb\n````'),
    ).toBe(true);
  });

  test('a huge body is cut under the comment limit and the suggestion survives', () => {
    const [c] = buildReview(gate([finding({ body: 'x\n'.repeat(COMMENT_MAX), suggestion: 'fixed' })]), {
      commitId: 'x',
      fingerprint: FP,
    }).comments;
    expect(c.body.length).toBeLessThanOrEqual(65_536); // GitHub's limit: the fingerprint marker fits in the margin
    expect(c.body).toContain('_(truncated)_');
    expect(c.body).toMatch(/```suggestion\nfixed\n```\n\n<!-- claude-guard:finding fp=\w+ -->$/);
  });
});

describe('postReview', () => {
  test('posts nothing when there is no inline comment', async () => {
    const gh = new FakeGitHub();
    expect(await postReview(gh, pr, buildReview(gate([]), { commitId: 'x', fingerprint: FP }))).toBeNull();
    expect(gh.calls).toEqual([]);
  });

  test('posts all inline comments in exactly one review call', async () => {
    const gh = new FakeGitHub();
    const review = buildReview(gate([finding(), finding({ line: 12, placement: { line: 12 } })]), {
      commitId: 'x',
      fingerprint: FP,
    });
    const posted = await postReview(gh, pr, review);
    expect(gh.calls).toEqual(['createReview']);
    expect(gh.reviews).toEqual([{ pr, review, id: posted?.id }]);
    expect(gh.reviews[0].review.comments).toHaveLength(2);
  });
});
