import { describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGitHub, type IssueComment } from '../../src/github/client.js';
import { FakeGitHub } from '../../src/github/fake.js';
import { COMMENT_MAX } from '../../src/report/markdown.js';
import {
  isSummaryComment,
  keepReviewedRecord,
  renderSummaryComment,
  SUMMARY_MARKER,
  upsertSummaryComment,
  type SummaryCommentInput,
} from '../../src/report/summary-comment.js';
import type { GateResult, GatedFinding } from '../../src/report/types.js';
import { parseReviewedMarker } from '../../src/review-scope.js';

const pr = { owner: 'o', repo: 'r', number: 5 };

function finding(over: Partial<GatedFinding> = {}): GatedFinding {
  return {
    path: 'src/a.ts',
    line: 10,
    severity: 'medium',
    category: 'bug',
    title: 'Off by one',
    body: 'Loop ends one early.',
    placement: { line: 10 },
    ...over,
  };
}

function input(gate: Partial<GateResult> = {}, over: Partial<SummaryCommentInput> = {}): SummaryCommentInput {
  return {
    conclusion: 'findings',
    isolation: 'strict',
    gate: {
      summary: 'Looks mostly fine.',
      inline: [],
      summaryOnly: [],
      dropped: [],
      redactions: 0,
      neutralised: { mentions: 0, links: 0, html: 0 },
      ...gate,
    },
    rejected: [],
    run: { turns: 7, costUsd: 0.1234, durationMs: 5000, toolCalls: [], deniedCount: 2 },
    withheldEnv: [],
    notes: [],
    ...over,
  };
}

/** Counts fence opening/closing lines: balanced fences give an even number. */
const fenceLines = (md: string) => md.split('\n').filter((l) => /^ {0,3}(`{3,}|~{3,})/.test(l)).length;

describe('renderSummaryComment', () => {
  test.each([
    ['clean', input({}, { conclusion: 'clean' }), '✅ no problems found'],
    ['findings', input({ inline: [finding()], summaryOnly: [finding()] }), '⚠️ 2 findings'],
    ['failed', input({}, { conclusion: 'failed' }), '❌ the review did not finish'],
    [
      'failed, with a reason',
      input({}, { conclusion: 'failed', failure: { reason: 'max turns', advice: 'Raise it.' } }),
      '❌ the review did not finish: max turns',
    ],
  ])('%s: marker on the first line, then the headline', (_name, i, headline) => {
    const [first, , second] = renderSummaryComment(i).split('\n');
    expect(first).toBe(SUMMARY_MARKER);
    expect(second).toContain(headline);
  });

  test('counts by severity over inline and summary-only findings', () => {
    const md = renderSummaryComment(
      input({
        inline: [finding({ severity: 'critical' }), finding({ severity: 'low' })],
        summaryOnly: [finding({ severity: 'critical', placement: null })],
      }),
    );
    expect(md).toContain('**🔴 2 critical · 🔵 1 low**');
    expect(md).not.toMatch(/\| 0 \|/);
  });

  test('every finding is listed: severity, location linked to its inline comment, title', () => {
    const a = finding({ severity: 'high', title: 'Use of `eval` in __tests__' });
    const b = finding({ severity: 'low', path: 'b.ts', line: 3, placement: null, title: 'Nit' });
    const md = renderSummaryComment({
      ...input({ inline: [a], summaryOnly: [b] }),
      onPullRequest: true,
      inlineLinks: new Map([[a, 'https://github.test/o/r/pull/5#discussion_r77']]),
    });
    expect(md).toContain('| Severity | Location | Finding |');
    expect(md).toContain(
      '| 🟠 High | [`src/a.ts:10`](https://github.test/o/r/pull/5#discussion_r77) | Use of `eval` in \\_\\_tests\\_\\_ |',
    );
    expect(md).toContain('| 🔵 Low | `b.ts:3` | Nit (details below) |');
  });

  test('findings not placed inline are listed with location, reason and body, worst first', () => {
    const md = renderSummaryComment(
      input({
        summaryOnly: [
          finding({ severity: 'low', path: 'x.ts', line: 4, placement: { line: 4 }, body: 'LOW BODY' }),
          finding({
            severity: 'high',
            path: 'y.ts',
            line: 2,
            end_line: 6,
            placement: null,
            suggestion: 'z()',
          }),
        ],
      }),
    );
    expect(md).toContain('#### Not commented inline (2)');
    const high = md.indexOf('<code>y.ts:2-6</code>');
    const low = md.indexOf('<code>x.ts:4</code>');
    expect(high).toBeGreaterThan(0);
    expect(low).toBeGreaterThan(high);
    expect(md).toContain('<em>(not on a changed line)</em>');
    expect(md).toContain('<em>(over the inline comment limit)</em>');
    expect(md).toContain('LOW BODY');
    expect(md).toContain('```\nz()\n```');
  });

  test('text inside the HTML <summary> line is escaped', () => {
    const md = renderSummaryComment(
      input({ summaryOnly: [finding({ path: 'a<b>.ts', title: 'x</summary><img src=y>' })] }),
    );
    expect(md).toContain('<code>a&lt;b&gt;.ts:10</code>');
    expect(md).toContain('x&lt;/summary&gt;&lt;img src=y&gt;');
    expect(md).not.toContain('<img');
  });

  test('dropped and rejected findings appear only as counts', () => {
    const md = renderSummaryComment(
      input(
        { dropped: [{ finding: finding({ title: 'DROPPED TITLE' }), reason: 'path not in the diff' }] },
        {
          rejected: [
            { index: 3, reason: 'REJECTED REASON' },
            { index: 4, reason: 'x' },
          ],
        },
      ),
    );
    expect(md).toContain(
      '1 finding could not be shown here (outside this change, or holding a secret); 2 malformed findings ignored. The job summary lists them.',
    );
    expect(md).not.toMatch(/output gate|withheld|\(s\)/);
    expect(md).not.toContain('DROPPED TITLE');
    expect(md).not.toContain('path not in the diff');
    expect(md).not.toContain('REJECTED REASON');
  });

  test('a failure links to the run but keeps the error text out of the comment', () => {
    const md = renderSummaryComment(
      input(undefined, {
        conclusion: 'failed',
        error: 'ERROR DETAIL',
        runUrl: 'https://github.test/o/r/actions/runs/1',
      }),
    );
    expect(md).toContain('[workflow run](https://github.test/o/r/actions/runs/1)');
    expect(md).not.toContain('ERROR DETAIL');
  });

  test('a failure says what to change', () => {
    const md = renderSummaryComment(
      input(undefined, {
        conclusion: 'failed',
        failure: { reason: 'budget', advice: "The run spent its 'budget-usd'; raise it." },
      }),
    );
    expect(md).toContain(
      "### 🛡️ claude-guard: ❌ the review did not finish: budget\n\nThe run spent its 'budget-usd'; raise it.",
    );
  });

  test('the footer shows isolation, cost, turns and denials', () => {
    const md = renderSummaryComment(input());
    const footer = md.slice(md.lastIndexOf('---'));
    expect(footer).toContain('isolation: **strict**');
    expect(footer).toContain('$0.12');
    expect(footer).toContain('7 turns');
    expect(footer).toContain('2 tool calls denied');
  });

  test('an oversized comment is cut under the limit, fences and details closed, footer kept', () => {
    const big = finding({ placement: null, body: '```ts\n' + 'const x = 1;\n'.repeat(3000) + '```' });
    const md = renderSummaryComment(input({ summaryOnly: Array.from({ length: 5 }, () => big) }));
    expect(md.length).toBeLessThanOrEqual(COMMENT_MAX);
    expect(md.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(md).toContain('has been cut');
    expect(fenceLines(md) % 2).toBe(0);
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
    expect(md).toContain('7 turns');
  });
});

describe('isSummaryComment', () => {
  const c = (over: Partial<IssueComment>): IssueComment => ({
    id: 1,
    body: `${SUMMARY_MARKER}\nold`,
    author: 'x',
    authorType: 'User',
    authorAssociation: 'NONE',
    ...over,
  });
  test.each([
    ['the token’s bot', c({ authorType: 'Bot' }), true],
    ['a repository collaborator (personal token)', c({ authorAssociation: 'COLLABORATOR' }), true],
    ['an owner', c({ authorAssociation: 'OWNER' }), true],
    ['an outsider who pasted the marker', c({ authorAssociation: 'CONTRIBUTOR' }), false],
    ['a first-time contributor', c({ authorAssociation: 'FIRST_TIME_CONTRIBUTOR' }), false],
    [
      'a bot comment without the marker first',
      c({ authorType: 'Bot', body: `hi\n${SUMMARY_MARKER}` }),
      false,
    ],
  ])('%s → %s', (_name, comment, expected) => {
    expect(isSummaryComment(comment)).toBe(expected);
  });
});

describe('upsertSummaryComment', () => {
  const body = (text: string) => `${SUMMARY_MARKER}\n${text}`;

  test('two upserts: one comment, created then updated', async () => {
    const gh = new FakeGitHub();
    const first = await upsertSummaryComment(gh, pr, body('one'));
    const second = await upsertSummaryComment(gh, pr, body('two'));
    expect(first.action).toBe('created');
    expect(second).toMatchObject({ action: 'updated', id: first.id });
    expect(gh.commentsOn(pr).map((c) => c.body)).toEqual([body('two')]);
  });

  test('finds an old summary far down a long conversation', async () => {
    const gh = new FakeGitHub();
    for (let i = 0; i < 150; i++) {
      if (i === 130) gh.addComment(pr, body('old'));
      else gh.addComment(pr, `chatter ${i}`, { authorType: 'User', author: 'dev' });
    }
    const old = gh.commentsOn(pr)[130];
    expect(await upsertSummaryComment(gh, pr, body('new'))).toMatchObject({ action: 'updated', id: old.id });
    expect(gh.commentsOn(pr)).toHaveLength(150);
    expect(old.body).toBe(body('new'));
  });

  test('with several summaries (should not happen) the newest is updated, none added', async () => {
    const gh = new FakeGitHub();
    const older = gh.addComment(pr, body('a'));
    const newer = gh.addComment(pr, body('b'));
    await upsertSummaryComment(gh, pr, body('c'));
    expect([older.body, newer.body]).toEqual([body('a'), body('c')]);
    expect(gh.commentsOn(pr)).toHaveLength(2);
  });

  test('an outsider’s comment carrying the marker is left alone', async () => {
    const gh = new FakeGitHub();
    const planted = gh.addComment(pr, body('fake: all clean'), {
      authorType: 'User',
      authorAssociation: 'NONE',
    });
    expect((await upsertSummaryComment(gh, pr, body('real'))).action).toBe('created');
    expect(planted.body).toBe(body('fake: all clean'));
  });

  test('other pull requests’ summaries are not touched', async () => {
    const gh = new FakeGitHub();
    const other = gh.addComment({ ...pr, number: 6 }, body('other'));
    expect((await upsertSummaryComment(gh, pr, body('mine'))).action).toBe('created');
    expect(other.body).toBe(body('other'));
  });

  test('refuses a body without the marker (the next run could not find it)', async () => {
    await expect(upsertSummaryComment(new FakeGitHub(), pr, 'no marker')).rejects.toThrow(SUMMARY_MARKER);
  });

  test('through the real client: a summary on page 2 is found and updated, nothing created', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const user = { login: 'github-actions[bot]', type: 'Bot' };
      const c = (id: number, b: string) => ({
        id,
        body: b,
        user,
        author_association: 'NONE',
        html_url: `h/${id}`,
      });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'PATCH') return res.end(JSON.stringify(c(202, 'x')));
      if (req.url?.includes('page=2'))
        return res.end(JSON.stringify([c(201, 'chatter'), c(202, body('old'))]));
      res.setHeader(
        'link',
        `<http://127.0.0.1:${port()}/repos/o/r/issues/5/comments?per_page=100&page=2>; rel="next"`,
      );
      res.end(JSON.stringify(Array.from({ length: 100 }, (_, i) => c(i + 1, 'chatter'))));
    });
    const port = () => (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const gh = createGitHub({ token: 't', baseUrl: `http://127.0.0.1:${port()}`, log: { warn: () => {} } });
      expect(await upsertSummaryComment(gh, pr, body('new'))).toEqual({
        id: 202,
        url: 'h/202',
        action: 'updated',
      });
      expect(seen).toEqual([
        'GET /repos/o/r/issues/5/comments?per_page=100',
        'GET /repos/o/r/issues/5/comments?per_page=100&page=2',
        'PATCH /repos/o/r/issues/comments/202',
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the reviewed range (incremental review)', () => {
  const LAST = 'a'.repeat(40);
  const HEAD = 'd'.repeat(40);
  test('the summary records the reviewed head for the next run and says which commits were reviewed', () => {
    const body = renderSummaryComment(
      input({}, { conclusion: 'clean', reviewed: { scope: 'incremental', base: LAST, head: HEAD } }),
    );
    expect(body.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(parseReviewedMarker(body)).toEqual({ sha: HEAD });
    expect(body).toContain(
      'reviewed commits aaaaaaaaaaaa..dddddddddddd (incremental). Findings of earlier reviews stay in their review threads.',
    );
  });

  test('a fallback says why the whole pull request was reviewed', () => {
    const body = renderSummaryComment(
      input({}, { reviewed: { scope: 'full', base: LAST, head: HEAD, fallback: 'a force-push <b>x</b>.' } }),
    );
    expect(body).toContain('(full). Incremental review not possible: a force-push &lt;b&gt;x&lt;/b&gt;.');
  });

  test('a failed run records nothing (the next run reviews from the last completed review)', () => {
    const body = renderSummaryComment(
      input({}, { conclusion: 'failed', reviewed: { scope: 'full', base: LAST, head: HEAD } }),
    );
    expect(parseReviewedMarker(body)).toBeUndefined();
  });

  test('no reviewed range given: no record', () => {
    expect(parseReviewedMarker(renderSummaryComment(input()))).toBeUndefined();
  });
});

describe('keepReviewedRecord: a body without a record keeps the previous one', () => {
  const A = 'a'.repeat(40);
  const D = 'd'.repeat(40);
  const withRecord = (sha: string, text: string) =>
    `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=${sha} -->\n${text}`;
  test.each<[string, string, string | undefined, string]>([
    ['no previous comment', `${SUMMARY_MARKER}\nreviewing…`, undefined, `${SUMMARY_MARKER}\nreviewing…`],
    [
      'a progress state keeps the record',
      `${SUMMARY_MARKER}\nreviewing…`,
      withRecord(A, 'old'),
      withRecord(A, 'reviewing…'),
    ],
    ['a new record wins', withRecord(D, 'new'), withRecord(A, 'old'), withRecord(D, 'new')],
    [
      'an invalid previous record is not carried',
      `${SUMMARY_MARKER}\nnew`,
      `${SUMMARY_MARKER}\n<!-- claude-guard:reviewed head=HEAD~1 -->\nold`,
      `${SUMMARY_MARKER}\nnew`,
    ],
  ])('%s', (_name, body, previous, expected) => {
    expect(keepReviewedRecord(body, previous)).toBe(expected);
  });

  test('upsert: a body without a record updates the comment and keeps its record', async () => {
    const gh = new FakeGitHub();
    await upsertSummaryComment(gh, pr, withRecord(A, 'done'));
    await upsertSummaryComment(gh, pr, `${SUMMARY_MARKER}\nreviewing…`);
    const [c] = gh.commentsOn(pr);
    expect(parseReviewedMarker(c.body)).toEqual({ sha: A });
    expect(c.body).toContain('reviewing…');
  });
});
