import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromPullFiles } from '../../src/findings/diff.js';
import { gateFindings, neutralise, normalisePath, type GateInput } from '../../src/findings/gate.js';
import { createRedactor } from '../../src/findings/redact.js';
import { TITLE_MAX, type Finding } from '../../src/findings/schema.js';

const CANARY = 'CANARY-7f3a9c1e2b-do-not-leak';
const redactor = createRedactor([CANARY]);
// src/app.ts: lines 1-20 added; lib/util.ts: one hunk at 40-46.
const diff = fromPullFiles([
  { filename: 'src/app.ts', status: 'added', patch: '@@ -0,0 +1,20 @@\n' + '+x\n'.repeat(20) },
  { filename: 'lib/util.ts', status: 'modified', patch: '@@ -40,6 +40,7 @@\n a\n b\n c\n+d\n e\n f\n g' },
]);

let repo: string;
beforeAll(() => {
  repo = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
  fs.mkdirSync(path.join(repo, 'src'));
  fs.writeFileSync(path.join(repo, 'src/app.ts'), 'x\n');
  fs.symlinkSync('/etc', path.join(repo, 'etc-link'));
  fs.symlinkSync('/etc/passwd', path.join(repo, 'src/passwd.ts'));
  fs.symlinkSync(path.join(repo, 'src'), path.join(repo, 'src-alias'));
  fs.symlinkSync(path.join(repo, 'nowhere'), path.join(repo, 'dangling.ts'));
});
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

const finding = (over: Partial<Finding> = {}): Finding => ({
  path: 'src/app.ts',
  line: 3,
  severity: 'medium',
  category: 'bug',
  title: 'A title',
  body: 'A body.',
  ...over,
});

function gate(findings: Finding[], over: Partial<GateInput> = {}) {
  return gateFindings({
    review: { summary: 'Summary.', findings },
    diff,
    repoRoot: repo,
    redactor,
    maxComments: 3,
    maxBodyChars: 400,
    githubHost: 'github.com',
    ...over,
  });
}

describe('paths', () => {
  test.each([
    ['../../etc/passwd', 'path contains a ".." segment'],
    ['src/../../etc/passwd', 'path contains a ".." segment'],
    ['/etc/passwd', 'path is absolute'],
    ['C:/Windows/win.ini', 'path is absolute'],
    ['src\\app.ts', 'path contains a backslash'],
    ['src/app.ts\u0000.png', 'path contains control characters'],
    ['src/app.ts\nother', 'path contains control characters'],
    ['./', 'path is empty'],
  ])('%j is refused: %s', (p, reason) => {
    const r = gate([finding({ path: p })]);
    expect(r.dropped).toEqual([{ finding: expect.objectContaining({ line: 3 }), reason }]);
    expect(r.inline).toEqual([]);
    expect(r.summaryOnly).toEqual([]);
  });

  test.each([
    ['./src/app.ts', 'src/app.ts'],
    ['src/./app.ts', 'src/app.ts'],
    ['src//app.ts', 'src/app.ts'],
    ['././src/app.ts', 'src/app.ts'],
  ])('%j is normalised to %j and placed', (p, normal) => {
    expect(normalisePath(p)).toEqual({ ok: true, path: normal });
    const r = gate([finding({ path: p })]);
    expect(r.inline.map((f) => f.path)).toEqual([normal]);
  });

  test.each([
    ['etc-link/passwd', 'path resolves outside the repository (symlink)'],
    ['src/passwd.ts', 'path resolves outside the repository (symlink)'],
    ['etc-link/does-not-exist', 'path resolves outside the repository (symlink)'],
  ])('symlink escape %j is refused (real symlinks, default realpath)', (p, reason) => {
    expect(gate([finding({ path: p })]).dropped.map((d) => d.reason)).toEqual([reason]);
  });

  test('a dangling symlink is refused', () => {
    expect(gate([finding({ path: 'dangling.ts' })]).dropped[0].reason).toMatch(
      /^path cannot be resolved: .*symlink to nothing/,
    );
  });

  test('a symlink that stays inside the repository is fine; a file that does not exist yet too', () => {
    const r = gate([finding({ path: 'src-alias/app.ts' }), finding({ path: 'src/new-file.ts' })]);
    expect(r.dropped).toEqual([]);
    expect(r.summaryOnly.map((f) => f.notInline)).toEqual([
      'src-alias/app.ts is not in the diff',
      'src/new-file.ts is not in the diff',
    ]);
  });

  test('an injected realpath decides confinement', () => {
    const realpath = (p: string) => (p.endsWith('src/app.ts') ? '/elsewhere/app.ts' : p);
    expect(gate([finding()], { realpath }).dropped[0].reason).toBe(
      'path resolves outside the repository (symlink)',
    );
  });
});

describe('placement and caps', () => {
  test('inline only where the diff allows; otherwise summary with the reason', () => {
    const r = gate([
      finding({ line: 5 }),
      finding({ path: 'lib/util.ts', line: 41, end_line: 46 }),
      finding({ path: 'lib/util.ts', line: 39 }),
      finding({ path: 'lib/util.ts', line: 44, end_line: 47 }),
      finding({ path: 'README.md', line: 1 }),
    ]);
    expect(r.inline.map((f) => f.placement)).toEqual([{ line: 5 }, { line: 46, startLine: 41 }]);
    expect(r.summaryOnly.map((f) => [f.placement, f.notInline])).toEqual([
      [null, 'line 39 of lib/util.ts is not in a diff hunk'],
      [null, 'line 47 of lib/util.ts is not in a diff hunk'],
      [null, 'README.md is not in the diff'],
    ]);
  });

  test('inline comments are capped; the worst findings keep the slots, the rest go to the summary', () => {
    const severities = ['low', 'critical', 'info', 'high', 'medium'] as const;
    const r = gate(severities.map((severity, i) => finding({ severity, line: i + 1 })));
    expect(r.inline.map((f) => f.severity)).toEqual(['critical', 'high', 'medium']);
    expect(r.summaryOnly.map((f) => [f.severity, f.placement, f.notInline])).toEqual([
      ['low', { line: 1 }, 'over the limit of 3 inline comments'],
      ['info', { line: 3 }, 'over the limit of 3 inline comments'],
    ]);
  });

  test('bodies, titles and the summary are capped, with a note', () => {
    const r = gateFindings({
      review: {
        summary: 'S'.repeat(5000),
        findings: [finding({ body: 'word '.repeat(2000), title: 'T'.repeat(500) })],
      },
      diff,
      repoRoot: repo,
      redactor,
      maxComments: 3,
      maxBodyChars: 400,
      githubHost: 'github.com',
    });
    const [f] = r.inline;
    expect(f.body.length).toBeLessThanOrEqual(400);
    expect(f.body).toMatch(/^word word .*\n\n… _\(truncated to 400 characters\)_$/s);
    expect(f.title.length).toBeLessThanOrEqual(TITLE_MAX);
    expect(f.title.endsWith('…')).toBe(true);
    expect(r.summary.length).toBeLessThanOrEqual(400);
  });

  test('cutting a long body never leaves a code span open around a mention', () => {
    const body = '`' + '@everyone '.repeat(100) + '`';
    const f = gate([finding({ body })]).inline[0];
    expect(f.body.length).toBeLessThanOrEqual(400);
    // The span lost its closer, so it is prose now: its backtick is escaped and mentions are wrapped.
    expect(f.body.startsWith('\\`')).toBe(true);
    expect(f.body).toMatch(/^\\` *``@everyone`` ``@everyone``/);
  });
});

describe('redaction of every field', () => {
  const b64 = Buffer.from(CANARY).toString('base64');
  test.each([
    ['plain', CANARY],
    ['base64', b64],
    ['URL-encoded', encodeURIComponent(CANARY)],
    ['URL credentials', `https://user:${CANARY}@evil.example/`],
  ])('canary (%s) is gone from summary, title, body, suggestion, category', (_name, form) => {
    const r = gateFindings({
      review: {
        summary: `summary ${form}`,
        findings: [
          finding({ title: `t ${form}`, body: `b ${form}`, suggestion: `s ${form}`, category: `c ${form}` }),
        ],
      },
      diff,
      repoRoot: repo,
      redactor,
      maxComments: 3,
      maxBodyChars: 4000,
      githubHost: 'github.com',
    });
    const all = JSON.stringify(r);
    expect(all).not.toContain(CANARY);
    expect(all).not.toContain(b64.slice(0, 20));
    expect(all).not.toContain(CANARY.slice(9));
    expect(r.redactions).toBe(5);
  });

  test('a canary split by HTML tags is redacted once the tags are gone (suggestions show tags as code)', () => {
    const split = `${CANARY.slice(0, 9)}<b></b>${CANARY.slice(9)}`;
    const r = gate([finding({ title: split, body: `a ${split} b`, category: split })]);
    expect(JSON.stringify(r)).not.toContain(CANARY.slice(9));
    expect(r.redactions).toBe(3);
  });

  test.each([0, 4, 8, 12])('a secret across the body cap (at %i past 350) leaves no prefix', (k) => {
    const body = 'x'.repeat(350 + k) + CANARY + ' tail '.repeat(40);
    const f = gate([finding({ body })]).inline[0];
    expect(f.body).toMatch(/truncated/);
    expect(f.body).not.toContain(CANARY.slice(0, 6));
  });

  test('dropped findings are redacted too', () => {
    const r = gate([finding({ path: '/etc/passwd', body: CANARY })]);
    expect(r.dropped[0].finding.body).toBe('[REDACTED]');
  });

  test('a path holding a secret is dropped, and the secret is not kept', () => {
    const r = gate([finding({ path: `src/${CANARY}.ts` })]);
    expect(r.dropped.map((d) => d.reason)).toEqual(['path contains a secret']);
    expect(JSON.stringify(r)).not.toContain(CANARY);
  });

  test('a suggestion is redacted but otherwise left as code', () => {
    const code = 'if (a < b) { notify("@octocat", "https://evil.example/<b>"); } // ' + CANARY;
    const r = gate([finding({ suggestion: code })]);
    expect(r.inline[0].suggestion).toBe(code.replace(CANARY, '[REDACTED]'));
  });
});

describe('neutralising markdown', () => {
  const n = (text: string, githubHost = 'github.com') =>
    neutralise(text, { githubHost, redactor, block: true });
  test.each([
    // mentions
    ['@octocat please', '`@octocat` please'],
    ['cc @org/team-a now', 'cc `@org/team-a` now'],
    ['mail a@b.com or <a@b.com>', 'mail a@b.com or a@b.com'],
    ['already code `@x` here', 'already code `@x` here'],
    ['\\@user', '\\ `@user`'],
    // links
    ['[click](https://evil.example/login "t")', 'click (`hxxps://evil[.]example/login`)'],
    ['<https://evil.example>', '`hxxps://evil[.]example`'],
    ['see https://evil.example/x', 'see `hxxps://evil[.]example/x`'],
    ['www.evil.example', '`www[.]evil[.]example`'],
    ['https://github.com@evil.example/', '`hxxps://github[.]com@evil[.]example/`'],
    ['https\\://evil.example', '`hxxps\\://evil[.]example`'],
    ['[x](https&#58;//evil.example)', 'x (`hxxps&amp;#58;//evil[.]example`)'],
    ['[ref]: https://evil.example\n[click][ref]', '\\[ref]: `hxxps://evil[.]example`\n[click][ref]'],
    [
      '[pr](https://github.com/o/r/pull/1) https://github.com/o/r',
      '[pr](https://github.com/o/r/pull/1) https://github.com/o/r',
    ],
    // HTML and images
    ['<img src=x onerror=alert(1)>ok', 'ok'],
    ['a<!-- hidden\ninstructions -->b', 'ab'],
    ['a <!-- never closed', 'a '],
    ['<details><summary>x</summary>y</details>', 'xy'],
    ['![alt](https://evil.example/p.png) and ![ref][img]', ' and '],
    ['a < b &lt; `Vec<T>`', 'a &lt; b &amp;lt; `Vec<T>`'],
    // code is left alone
    [
      '```\n@u <b> https://evil.example\n```\nafter @v',
      '```\n@u <b> https://evil.example\n```\nafter ````@v````',
    ],
    ['~~~js\n@a\n~~~\n ~~~ @b', '~~~js\n@a\n~~~\n \\~~~ `@b`'],
    // attempts to make prose look like code to us but not to GitHub
    ['`start\nend` https://evil.example `', '\\`start\nend` https://evil.example `'],
    ['\\<b>`@everyone`', '\\ `@everyone`'],
    ['``<b>`@everyone`', '\\`\\` `@everyone`'],
    ['| `x | @everyone | y` |', '| \\`x | ``@everyone`` | y\\` |'],
    [' ```\nx\n```\n@everyone', ' \\`\\`\\`\nx\n```\n@everyone'],
    [
      '- item\n  ```\n  @everyone https://evil.example\n  ```',
      '- item\n  \\`\\`\\`\n  ````@everyone```` ````hxxps://evil[.]example````\n  \\`\\`\\`',
    ],
  ])('%j', (input, expected) => {
    expect(n(input).text).toBe(expected);
  });

  test('a GHES host is the one allowed host', () => {
    expect(n('https://ghe.corp.example/o/r https://github.com/o/r', 'ghe.corp.example').text).toBe(
      'https://ghe.corp.example/o/r `hxxps://github[.]com/o/r`',
    );
  });

  test('counts what it neutralised', () => {
    const r = n('@a @b/c [x](https://evil.example) https://evil.example <b>x</b> <!-- y --> ![i](u)');
    expect(r.counts).toEqual({ mentions: 2, links: 2, html: 4 });
  });

  test('a title is one line: no fenced block can start there', () => {
    const [f] = gate([finding({ title: '```\n@everyone' })]).inline;
    expect(f.title).toBe('\\`\\`\\` ````@everyone````');
  });

  test.each([
    ['['],
    ['[a]('],
    ['<'],
    ['<a '],
    ['<!--'],
    ['`'],
    ['@a'],
    ['https://'],
    ['![a]('],
    ['&#1'],
    ['www.'],
  ])('64 KB of %j completes', (unit) => {
    const text = unit.repeat(Math.ceil(65536 / unit.length));
    expect(typeof n(text).text).toBe('string');
  });

  test('64 KB of backtick runs of every length completes', () => {
    let text = '';
    for (let k = 1; text.length < 65536; k++) text += '`'.repeat(k) + ' ';
    expect(n(text).text).not.toMatch(/(?<!\\)`/);
  });
});
