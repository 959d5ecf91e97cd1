import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOB_SUMMARY_MAX, renderJobSummary, writeJobSummary } from '../../src/report/job-summary.js';
import type { AgentRun, GateResult, GatedFinding, ReportInput, ToolCall } from '../../src/report/types.js';

function finding(over: Partial<GatedFinding> = {}): GatedFinding {
  return {
    path: 'src/a.ts',
    line: 10,
    severity: 'medium',
    category: 'bug',
    title: 'Off by one',
    body: 'b',
    placement: { line: 10 },
    ...over,
  };
}

function gate(over: Partial<GateResult> = {}): GateResult {
  return {
    summary: 'Overall fine.',
    inline: [],
    summaryOnly: [],
    dropped: [],
    redactions: 0,
    neutralised: { mentions: 0, links: 0, html: 0 },
    ...over,
  };
}

function run(toolCalls: ToolCall[] = [], over: Partial<AgentRun> = {}): AgentRun {
  return {
    turns: 4,
    costUsd: 0.5,
    durationMs: 125_000,
    toolCalls,
    deniedCount: toolCalls.filter((c) => c.outcome === 'denied').length,
    ...over,
  };
}

function input(over: Partial<ReportInput> = {}): ReportInput {
  return { conclusion: 'findings', isolation: 'strict', rejected: [], withheldEnv: [], notes: [], ...over };
}

/** Table rows of `md` whose text contains `needle`. */
const rowsWith = (md: string, needle: string) =>
  md.split('\n').filter((l) => l.startsWith('|') && l.includes(needle));
/** Cells of a table row, as GFM splits it (a backslash-escaped pipe is not a separator). */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);
/** The table under the heading/line containing `marker`. */
const section = (md: string, marker: string) => md.slice(md.indexOf(marker));

describe('renderJobSummary', () => {
  test.each([
    ['clean', '✅ clean'],
    ['findings', '⚠️ findings'],
    ['failed', '❌ failed'],
  ] as const)('%s: header, then isolation, cost, duration and turns', (conclusion, headline) => {
    const md = renderJobSummary(input({ conclusion, run: run([], { model: 'claude-x' }) }));
    const lines = md.split('\n');
    expect(lines[0]).toBe(`## 🛡️ claude-guard: ${headline}`);
    expect(md).toContain('| Isolation | Cost | Duration | Turns | Tool calls | Denied | Model |');
    expect(md).toContain('| strict | $0.50 | 2m 05s | 4 | 0 | 0 | `claude-x` |');
  });

  test('a skipped run: the headline and the reason, no table of dashes', () => {
    const md = renderJobSummary(
      input({ conclusion: 'skipped', isolation: 'none', notes: ['claude-guard refused to run: a bot'] }),
    );
    expect(md.split('\n')[0]).toBe('## 🛡️ claude-guard: ⏭️ skipped');
    expect(md).toContain('- claude-guard refused to run: a bot');
    expect(md).not.toContain('| Isolation |');
  });

  test('a failed run says why in a word and what to change, before the error', () => {
    const md = renderJobSummary(
      input({
        conclusion: 'failed',
        error: 'The agent did not finish within timeout-minutes (15)',
        failure: { reason: 'timeout', advice: "The agent ran out of time; raise 'timeout-minutes'." },
      }),
    );
    expect(md).toContain("**Why it failed: timeout.** The agent ran out of time; raise 'timeout-minutes'.");
    expect(md.indexOf('Why it failed')).toBeLessThan(md.indexOf('**Error**'));
  });

  test('without an agent run the numbers are dashes and the error is shown in a code block', () => {
    const md = renderJobSummary(
      input({ conclusion: 'failed', isolation: 'rules-only', error: 'proxy did not start\nsee log' }),
    );
    expect(md).toContain('| rules-only | – | – | – | – | – | – |');
    expect(md).toContain('```\nproxy did not start\nsee log\n```');
  });

  test('findings table: worst first, with where each finding was posted', () => {
    const md = renderJobSummary(
      input({
        gate: gate({
          inline: [finding({ severity: 'low', title: 'LOW' })],
          summaryOnly: [
            finding({ severity: 'critical', title: 'CRIT', placement: null }),
            finding({ severity: 'high', title: 'HIGH' }),
          ],
        }),
        onPullRequest: true,
      }),
    );
    expect(md).toContain('### Findings (3)');
    const rows = md.split('\n').filter((l) => /^\| (🔴|🟠|🔵)/.test(l));
    expect(rows.map((r) => cells(r)[3].trim())).toEqual(['CRIT', 'HIGH', 'LOW']);
    expect(rows.map((r) => cells(r)[4].trim())).toEqual([
      'summary comment (not on a changed line)',
      'summary comment (over the limit)',
      'inline comment',
    ]);
  });

  test('without a pull request nothing claims to be posted, and every finding body is readable', () => {
    const md = renderJobSummary(
      input({
        gate: gate({
          inline: [finding({ title: 'Use of `eval`', body: 'BODY ONE' })],
          summaryOnly: [
            finding({ severity: 'high', placement: null, body: 'BODY TWO', suggestion: 'fix()' }),
          ],
        }),
      }),
    );
    expect(md).not.toMatch(/inline/i);
    expect(md).not.toContain('Posted');
    expect(md).toContain('| Severity | Location | Category | Title |\n');
    expect(md).toContain(
      '<details><summary>🟡 Medium · <code>src/a.ts:10</code> · Use of <code>eval</code></summary>\n\nBODY ONE',
    );
    expect(md).toContain('BODY TWO\n\nSuggested replacement:\n\n```\nfix()\n```');
    expect(md.indexOf('BODY TWO')).toBeLessThan(md.indexOf('BODY ONE'));
  });

  test.each([
    ['pipes', 'cat a | nc evil 1 | x'],
    ['newlines', 'echo 1\n| fake | row |\necho 2'],
    ['backticks', 'echo `id` ``x``'],
    ['html', '<img src=x onerror=alert(1)>'],
  ])('agent text with %s stays inside its cell', (_name, text) => {
    const calls: ToolCall[] = [
      { id: '1', name: 'Bash', input: text, outcome: 'denied', reason: `rule ${text}` },
    ];
    const md = renderJobSummary(
      input({
        run: run(calls),
        gate: gate({ summaryOnly: [finding({ title: text, category: text })] }),
        onPullRequest: true,
      }),
    );
    for (const row of [...rowsWith(md, 'Bash'), ...rowsWith(md, '🟡')]) {
      expect(row.includes('\n')).toBe(false);
      expect(cells(row)).toHaveLength(5);
    }
    expect(rowsWith(md, 'Bash')).toHaveLength(2); // denied table + audit
    // Inside a code span `<img` is literal text; anywhere else it must be escaped.
    expect(md.replace(/(`+).*?\1/g, '')).not.toMatch(/<img/);
  });

  test('a tool input is a code span whose delimiter outruns the backticks inside', () => {
    const md = renderJobSummary(
      input({ run: run([{ id: '1', name: 'Bash', input: 'echo `id` ``x``', outcome: 'allowed' }]) }),
    );
    expect(md).toContain('| ``` echo `id` ``x`` ``` |');
  });

  test('every tool call is in the collapsible audit; denials get their own table', () => {
    const calls: ToolCall[] = [
      { id: '1', name: 'Read', input: 'src/a.ts', outcome: 'allowed' },
      { id: '2', name: 'Bash', input: 'curl http://x', outcome: 'denied', reason: 'Bash(curl*) denied' },
      { id: '3', name: 'Grep', input: 'TODO', outcome: 'error', reason: 'timeout' },
    ];
    const md = renderJobSummary(input({ run: run(calls) }));
    const audit = section(md, '<details><summary>Tool-call audit (3)</summary>');
    expect(audit).toContain('| 1 | `Read` | `src/a.ts` | ✅ allowed |  |');
    expect(audit).toContain('| 2 | `Bash` | `curl http://x` | ⛔ denied | Bash(curl*) denied |');
    expect(audit).toContain('| 3 | `Grep` | `TODO` | ⚠️ error | timeout |');
    const denied = section(md, '### Denied tool calls (1)');
    expect(denied.slice(0, denied.indexOf('<details>'))).toContain('`curl http://x`');
    expect(denied.slice(0, denied.indexOf('<details>'))).not.toContain('`src/a.ts`');
  });

  test('long tool inputs are clipped', () => {
    const md = renderJobSummary(
      input({ run: run([{ id: '1', name: 'Bash', input: 'y'.repeat(5000), outcome: 'allowed' }]) }),
    );
    expect(md).toContain(`\`${'y'.repeat(300)}…\``);
    expect(md).not.toContain('y'.repeat(301));
  });

  test('withheld environment variables: a count, names only behind a toggle, sorted', () => {
    const md = renderJobSummary(
      input({ withheldEnv: ['GITHUB_TOKEN', 'INPUT_MODE', 'ACTIONS_RUNTIME_TOKEN', 'INPUT_PROMPT'] }),
    );
    expect(md).toContain(
      '<details><summary>4 environment variables withheld from the agent (2 action inputs among them)</summary>\n\n`ACTIONS_RUNTIME_TOKEN`, `GITHUB_TOKEN`, `INPUT_MODE`, `INPUT_PROMPT`\n\n</details>',
    );
    expect(md.split('\n').filter((l) => l.includes('INPUT_MODE'))).toHaveLength(1);
  });

  test('dropped and rejected findings are listed with their reasons', () => {
    const md = renderJobSummary(
      input({
        gate: gate({
          dropped: [
            { finding: finding({ path: 'x.ts', line: 3, severity: 'high' }), reason: 'not in the diff' },
          ],
        }),
        rejected: [{ index: 4, reason: 'findings[4] must have required property | "path"' }],
      }),
    );
    expect(md).toContain('### Findings not posted (2)');
    expect(md).toContain('| 🟠 High | `x.ts:3` | not in the diff |');
    expect(md).toContain('| 4 | findings[4] must have required property \\| "path" |');
  });

  test('gate statistics and notes are shown', () => {
    const md = renderJobSummary(
      input({
        gate: gate({ redactions: 2, neutralised: { mentions: 3, links: 1, html: 0 } }),
        notes: ['bubblewrap unavailable: isolation is rules-only'],
      }),
    );
    expect(md).toContain(
      "Before showing the agent's text: 2 secrets redacted; 3 mentions, 1 link in the agent's text made inert.",
    );
    expect(md).not.toContain('(s)');
    expect(md).toContain('- bubblewrap unavailable: isolation is rules-only');
    expect(md).toContain('### Summary\n\nOverall fine.');
  });

  test('a huge audit is cut under the limit with its <details> closed', () => {
    const calls = Array.from({ length: 3000 }, (_, i) => ({
      id: String(i),
      name: 'Bash',
      input: 'z'.repeat(290),
      outcome: 'allowed' as const,
    }));
    const md = renderJobSummary(input({ run: run(calls) }));
    expect(md.length).toBeLessThanOrEqual(JOB_SUMMARY_MAX);
    expect(md).toContain('has been cut');
    expect(md.split('<details>').length).toBe(md.split('</details>').length);
  });
});

describe('writeJobSummary', () => {
  const saved = process.env.GITHUB_STEP_SUMMARY;
  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
  });

  test('appends the markdown to the step summary file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'job-summary-')), 'summary.md');
    writeFileSync(file, 'earlier step\n');
    process.env.GITHUB_STEP_SUMMARY = file;
    await writeJobSummary('## hello | world');
    expect(readFileSync(file, 'utf8')).toBe('earlier step\n## hello | world\n');
  });

  test('outside Actions (no summary file) it does nothing and does not throw', async () => {
    delete process.env.GITHUB_STEP_SUMMARY;
    await expect(writeJobSummary('x')).resolves.toBeUndefined();
  });
});

describe('the reviewed range', () => {
  test('says which commits were reviewed, and why not incrementally', () => {
    const md = renderJobSummary(
      input({
        reviewed: { scope: 'full', base: 'b'.repeat(40), head: 'd'.repeat(40), fallback: 'a force-push.' },
      }),
    );
    expect(md).toContain(
      'This run reviewed commits bbbbbbbbbbbb..dddddddddddd (full). Incremental review not possible: a force-push.',
    );
  });
});
