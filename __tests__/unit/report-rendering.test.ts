/**
 * What a reviewer sees: the summary comment, the review and the job summary of a clean, a findings
 * and a failed run, rendered with GitHub-flavoured markdown (marked, GFM) into HTML, then checked for
 * the defects reviewers reported: literal backticks in collapsible titles, a table of zero counts,
 * the agent's prose read as markdown (`__tests__` turned bold), internal words ("output gate",
 * "finding(s)"), an "inline" placement claimed without a pull request, a failure without a reason.
 * The findings go through the real output gate first, as in a run.
 *
 * The two states of on-demand and incremental reviews are checked too: the "reviewing…" progress note
 * (carrying the last review's hidden record) and the summary of an incremental run, which names the
 * reviewed commits and records the new head in a marker GitHub must not show.
 *
 * With CLAUDE_GUARD_RENDER_DIR set, the pages are also written there as HTML with GitHub-like CSS
 * (scripts/screenshot-reports.sh turns them into PNGs with headless Chromium, for a human to look at).
 */
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Marked } from 'marked';
import { gateFindings } from '../../src/findings/gate.js';
import { createRedactor } from '../../src/findings/redact.js';
import { parseUnifiedDiff } from '../../src/findings/diff.js';
import type { ReviewResult } from '../../src/findings/schema.js';
import { renderSummaryComment, type SummaryCommentInput } from '../../src/report/summary-comment.js';
import { renderJobSummary } from '../../src/report/job-summary.js';
import { buildReview } from '../../src/report/review.js';
import type { AgentRun, GateResult, ReportInput } from '../../src/report/types.js';
import { explainFailure } from '../../src/report/failure.js';
import { carryRecord, renderProgressComment } from '../../src/report/progress.js';

const marked = new Marked({ gfm: true });
const html = (md: string) => marked.parse(md, { async: false });

const DIFF = `diff --git a/src/auth.ts b/src/auth.ts
--- a/src/auth.ts
+++ b/src/auth.ts
@@ -1,3 +1,6 @@
 export function login(user: string) {
+  const q = "SELECT * FROM users WHERE name = '" + user + "'";
+  return db.query(q);
+  // TODO
 }
diff --git a/__tests__/auth.test.ts b/__tests__/auth.test.ts
--- a/__tests__/auth.test.ts
+++ b/__tests__/auth.test.ts
@@ -1,1 +1,2 @@
 test('x', () => {});
+test.skip('login', () => {});
`;

const agentRun = (over: Partial<AgentRun> = {}): AgentRun => ({
  turns: 6,
  costUsd: 0.0712,
  durationMs: 48_000,
  toolCalls: [
    { id: '1', name: 'Bash', input: 'git diff base...head', outcome: 'allowed' },
    { id: '2', name: 'Read', input: 'src/auth.ts', outcome: 'allowed' },
  ],
  deniedCount: 0,
  model: 'claude-sonnet-4-5',
  ...over,
});

const WITHHELD = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'GITHUB_TOKEN',
  ...Array.from({ length: 30 }, (_, i) => `INPUT_NAME_${i}`),
];

function gated(review: ReviewResult): GateResult {
  return gateFindings({
    review,
    diff: parseUnifiedDiff(DIFF),
    repoRoot: '/repo',
    redactor: createRedactor(['sk-ant-api03-secretsecretsecret']),
    maxComments: 1,
    maxBodyChars: 8000,
    githubHost: 'github.com',
    realpath: (p) => p,
  });
}

const findingsGate = gated({
  summary:
    'The change adds string-built SQL in `login` and skips a test in __tests__/auth.test.ts.\n\n' +
    '* the query is injectable\n* __init__ and **kwargs are words here, not markup',
  findings: [
    {
      path: 'src/auth.ts',
      line: 2,
      severity: 'high',
      category: 'security',
      title: 'SQL built from `user` input',
      body: 'The query concatenates `user`; use a parameterised query.',
      suggestion: '  const q = "SELECT * FROM users WHERE name = $1";',
    },
    {
      path: '__tests__/auth.test.ts',
      line: 2,
      severity: 'low',
      category: 'tests',
      title: 'Skipped test in __tests__',
      body: 'A skipped test hides a regression.',
    },
    {
      path: 'src/auth.ts',
      line: 40,
      severity: 'medium',
      category: 'correctness',
      title: 'Result of `db.query` not awaited',
      body: 'The promise is returned unawaited.',
    },
    { path: '../etc/passwd', line: 1, severity: 'high', category: 'x', title: 'outside', body: 'x' },
  ],
});

const base = (over: Partial<ReportInput>): ReportInput => ({
  conclusion: 'clean',
  isolation: 'strict',
  rejected: [],
  withheldEnv: WITHHELD,
  notes: [],
  ...over,
});

const failError = 'The agent hit max-turns (30) before answering.';
const cases: Record<'clean' | 'findings' | 'failed', ReportInput> = {
  clean: base({
    gate: gated({ summary: 'Nothing wrong in __tests__/x.ts or *.ts files.', findings: [] }),
    run: agentRun(),
  }),
  findings: base({
    conclusion: 'findings',
    gate: findingsGate,
    run: agentRun({ deniedCount: 1 }),
    onPullRequest: true,
    rejected: [{ index: 5, reason: 'missing path' }],
  }),
  failed: base({
    conclusion: 'failed',
    error: failError,
    failure: explainFailure({ message: failError }),
    run: agentRun({ turns: 30, error: failError }),
  }),
};

const comment = (name: keyof typeof cases): string => {
  const input: SummaryCommentInput = {
    ...cases[name],
    runUrl: 'https://github.com/o/r/actions/runs/1',
    ...(name === 'findings'
      ? { inlineLinks: new Map([[findingsGate.inline[0], 'https://github.com/o/r/pull/5#discussion_r1']]) }
      : {}),
  };
  return renderSummaryComment(input);
};

const reviewMarkdown = (gate: GateResult): string => {
  const review = buildReview(gate, { commitId: 'a'.repeat(40), fingerprint: () => '0'.repeat(16) });
  return [review.body, ...review.comments.map((c) => `---\n**${c.path}:${c.line}**\n\n${c.body}`)].join(
    '\n\n',
  );
};

/** Text of every <summary> element. */
const summaries = (h: string) => [...h.matchAll(/<summary>([\s\S]*?)<\/summary>/g)].map((m) => m[1]);
/** Rows of every rendered table, as arrays of cell texts. */
const tableRows = (h: string) =>
  [...h.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => c[1].trim()),
  );
const visibleText = (h: string) =>
  h
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const pages = (['clean', 'findings', 'failed'] as const).flatMap((name) => [
  { name, what: 'summary comment', md: comment(name), onPr: true },
  { name, what: 'job summary', md: renderJobSummary(cases[name]), onPr: cases[name].onPullRequest === true },
  ...(name === 'findings' ? [{ name, what: 'review', md: reviewMarkdown(findingsGate), onPr: true }] : []),
]);

describe.each(pages)('$name run, $what, as GitHub renders it', ({ name, what, md, onPr }) => {
  const h = html(md);

  test('no literal backticks or markdown syntax inside <summary> titles', () => {
    for (const s of summaries(h)) {
      expect(s).not.toContain('`');
      expect(s).not.toMatch(/\*\*|\\[_*`]/);
    }
  });

  test('no table row of zero counts', () => {
    for (const row of tableRows(h)) {
      expect(row.length > 1 && row.every((c) => c === '0')).toBe(false);
    }
  });

  test('plain words: no "(s)", no internal terms', () => {
    const text = visibleText(h);
    expect(text).not.toMatch(/\w\(s\)/);
    if (what !== 'job summary') expect(text).not.toMatch(/output gate|withheld by/i);
  });

  test('the agent prose is text: __tests__ and **kwargs are not emphasis', () => {
    expect(h).not.toMatch(/<strong>tests<\/strong>|<strong>init<\/strong>|<em>\.ts files/);
    if (name !== 'failed' && what !== 'review') expect(visibleText(h)).toContain('__tests__');
  });

  test('"inline" is claimed only for a run that posted on a pull request', () => {
    if (!onPr) expect(visibleText(h)).not.toMatch(/\binline\b/i);
  });

  if (name === 'failed' && what !== 'review') {
    test('a failed run says why in a word and what to change', () => {
      expect(visibleText(h)).toContain('max turns');
      expect(visibleText(h)).toContain("raise 'max-turns'");
    });
  }

  if (name === 'findings' && what === 'summary comment') {
    test('every reported finding is listed, the inline one linked to its comment', () => {
      const text = visibleText(h);
      expect(text).toContain('SQL built from user input');
      expect(text).toContain('Skipped test in __tests__');
      expect(text).toContain('Result of db.query not awaited');
      expect(h).toContain(
        '<a href="https://github.com/o/r/pull/5#discussion_r1"><code>src/auth.ts:2</code></a>',
      );
      expect(text).toContain('🟠 1 high · 🟡 1 medium · 🔵 1 low');
    });
  }

  if (what === 'job summary') {
    test('withheld variables are a count, names behind a toggle', () => {
      const toggle = summaries(h).find((s) => s.includes('withheld'));
      expect(toggle).toBe('33 environment variables withheld from the agent (30 action inputs among them)');
      const outside = h.replace(/<details>[\s\S]*?<\/details>/g, '');
      expect(outside).not.toContain('INPUT_NAME_1');
    });
  }

  test('written for a human to look at (when asked)', () => {
    const dir = process.env.CLAUDE_GUARD_RENDER_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}-${what.replace(/ /g, '-')}.html`), page(`${name} run: ${what}`, h));
  });
});

const LAST = '3bf9545b5acc3580241858f3d21598069b8ac245';
const HEAD = 'ad761f0f547ce4de9f4384f645916b0ab50cb245';
const short = (sha: string) => sha.slice(0, 12);

/** The summary of an incremental run: the commits since LAST reviewed, HEAD recorded for the next run. */
const incrementalSummary = renderSummaryComment({
  ...cases.findings,
  runUrl: 'https://github.com/o/r/actions/runs/2',
  headSha: HEAD,
  reviewed: { scope: 'incremental', base: LAST, head: HEAD },
  inlineLinks: new Map([[findingsGate.inline[0], 'https://github.com/o/r/pull/5#discussion_r1']]),
  prNotes: ['1 finding already posted was not repeated.'],
});
/** The next run's progress note, asked for in a comment, carrying the record of the incremental run. */
const progressAfterIncremental = carryRecord(
  incrementalSummary,
  renderProgressComment({
    headSha: HEAD,
    runUrl: 'https://github.com/o/r/actions/runs/3',
    onDemand: {
      kind: 'comment',
      source: 'issue_comment',
      commentId: 1,
      replyTo: 1,
      author: 'alice',
      authorType: 'User',
      command: { scope: 'incremental', request: '', via: 'command' },
    },
  }),
);

const onDemandPages = [
  { what: 'progress note, asked for in a comment', md: progressAfterIncremental, record: true },
  {
    what: 'progress note, asked for with a label',
    // A label name may hold backticks: they must not break the code span.
    md: renderProgressComment({ headSha: HEAD, onDemand: { kind: 'label', label: 'ai-`review`' } }),
    record: false,
  },
  { what: 'progress note of a push', md: renderProgressComment({ headSha: HEAD }), record: false },
  { what: 'summary comment of an incremental run', md: incrementalSummary, record: true },
];

describe.each(onDemandPages)('$what, as GitHub renders it', ({ what, md, record }) => {
  const h = html(md);
  const text = visibleText(h);
  const progress = what.startsWith('progress');

  test('titles are text: no literal backticks or markdown syntax in headings and <summary>', () => {
    const headings = [...h.matchAll(/<h[1-6][^>]*>([\s\S]*?)<\/h[1-6]>/g)].map((m) => m[1]);
    for (const t of [...headings, ...summaries(h)]) {
      expect(t).not.toContain('`');
      expect(t).not.toMatch(/\*\*|\\[_*`]/);
    }
    expect(visibleText(headings[0])).toBe(
      progress ? '🛡️ claude-guard: ⏳ reviewing…' : '🛡️ claude-guard: ⚠️ 3 findings',
    );
  });

  test('no raw markdown or HTML shows as text', () => {
    // The agent's prose is text on purpose (its "**kwargs" is a word); everything else is ours.
    const ours = text.replace('__init__ and **kwargs are words here', '');
    expect(ours).not.toContain('`');
    expect(ours).not.toMatch(/\*\*|^#+ |\]\(|<\/?(sub|details|summary|code)>|&[a-z]+;|&#\d+;/m);
    expect(text).not.toMatch(/\w\(s\)/);
  });

  test('the commit is shown', () => {
    if (progress) {
      // The full SHA, in a code span.
      expect(h).toContain(`<code>${HEAD}</code>`);
      expect(text).toMatch(new RegExp(`Reviewing commit ${HEAD} \\((an incremental review|a review)`));
    } else {
      expect(text).toContain(`This run reviewed commits ${short(LAST)}..${short(HEAD)} (incremental).`);
      expect(h).toContain(`<code>${short(HEAD)}</code>`);
    }
  });

  test('the hidden record is kept as an HTML comment on the second line, never visible as text', () => {
    const marker = `<!-- claude-guard:reviewed head=${HEAD} -->`;
    if (record) {
      expect(md.split('\n')[1]).toBe(marker);
      // Passed through as a comment (GitHub hides it), not escaped into the page.
      expect(h).toContain(marker);
    } else {
      expect(md).not.toContain('claude-guard:reviewed');
    }
    expect(h).not.toMatch(/&lt;!--/);
    // visibleText drops real comments; an escaped one would show here as "<!-- …".
    expect(text).not.toMatch(/<!--|claude-guard:(reviewed|summary)|head=/);
  });

  if (what.includes('comment')) {
    test('who asked, and for what', () => {
      if (progress) expect(text).toContain('an incremental review, asked for in a comment by @alice');
      else expect(text).toContain('Findings of earlier reviews stay in their review threads.');
    });
  }
  if (what.includes('label')) {
    test('the label is named in a code span, its backticks gone', () => {
      expect(h).toContain('asked for with the label <code>ai-review</code>');
    });
  }

  test('written for a human to look at (when asked)', () => {
    const dir = process.env.CLAUDE_GUARD_RENDER_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${what.replace(/[ ,]+/g, '-')}.html`), page(what, h));
  });
});

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>
body{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","Noto Sans",Helvetica,Arial,sans-serif,"Noto Color Emoji";
font-size:14px;line-height:1.5;color:#1f2328;background:#fff;margin:0;padding:24px;width:820px}
.box{border:1px solid #d1d9e0;border-radius:6px;padding:16px 24px}
.cap{color:#59636e;font-size:12px;margin-bottom:8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:85%;background:#818b981f;border-radius:6px;padding:.2em .4em}
pre{background:#f6f8fa;border-radius:6px;padding:16px;overflow:auto}pre code{background:none;padding:0}
table{border-collapse:collapse;display:block;overflow:auto}th,td{border:1px solid #d1d9e0;padding:6px 13px}
tr:nth-child(2n){background:#f6f8fa}th{font-weight:600}
h2,h3{border-bottom:1px solid #d1d9e0;padding-bottom:.3em}a{color:#0969da;text-decoration:none}
hr{height:.25em;background:#d1d9e0;border:0}summary{cursor:pointer}details{margin:8px 0}
</style></head><body><div class="cap">${title}</div><div class="box">${body}</div></body></html>`;
}
