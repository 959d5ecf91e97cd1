/**
 * End-to-end, where reviewers look: suggestion blocks, annotations, a SARIF file valid against the
 * official schema, a token without write permission (the fake answers 403) still yielding the summary,
 * annotations and SARIF, and the verified install refusing a tampered Claude Code tarball.
 */
import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';
import type { Turn } from './support/index.mjs';
import { leaks, ROOT, scenarios } from './support/scenario.js';
import { loadFixtureIndex, startLocalRegistry } from '../fixtures/registry/local-registry.js';

/** How many requests of each kind (operation id; a GraphQL query or mutation) went to GitHub. */
function tally(requests: { path: string; operationId?: string; body?: unknown }[]): Record<string, number> {
  const kinds = requests.map((r) =>
    r.path === '/graphql'
      ? `graphql ${/^\s*mutation/.test(String((r.body as { query?: unknown } | undefined)?.query)) ? 'mutation' : 'query'}`
      : (r.operationId ?? r.path),
  );
  return Object.fromEntries([...new Set(kinds)].sort().map((k) => [k, kinds.filter((x) => x === k).length]));
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
const go = scenarios();
const structured = (findings: object[], summary = 'Reviewed.'): Turn => ({
  structured: { summary, findings },
});
const divFinding = {
  path: 'src/app.js',
  line: 17,
  end_line: 19,
  severity: 'high',
  category: 'security',
  title: 'Division by zero',
  body: 'Guard against b === 0.',
  suggestion:
    'export function div(a, b) {\n  if (b === 0) throw new RangeError("b is 0");\n  return a / b;\n}',
};

function validateSarif(text: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const schema = JSON.parse(
    fs.readFileSync(path.join(ROOT, '__tests__/fixtures/sarif-schema-2.1.0.json'), 'utf8'),
  );
  const validate = ajv.compile(schema);
  const log = JSON.parse(text);
  expect(validate(log) ? [] : validate.errors).toEqual([]);
  return log;
}

describe('delivery', () => {
  test('a multi-line suggestion becomes a suggestion block; annotations and a valid SARIF file are written', async () => {
    const s = await go({ script: [structured([divFinding])] });
    expect(s.run.main.code).toBe(0);
    const [comment] = s.github.state.reviews[0].comments;
    expect(comment).toMatchObject({ path: 'src/app.js', start_line: 17, line: 19, side: 'RIGHT' });
    expect(comment.body).toMatch(/```suggestion\n[\s\S]*RangeError[\s\S]*\n```/);
    expect(s.run.errors.join('\n')).toContain('Guard against b === 0.');
    expect(s.run.main.stdout).toMatch(
      /::error .*title=\[high\] Division by zero.*file=src\/app\.js|::error .*file=src\/app\.js.*title=\[high\] Division by zero/,
    );
    const sarif = validateSarif(s.sarifFile);
    expect(sarif.runs[0].results).toHaveLength(1);
    expect(sarif.runs[0].results[0].partialFingerprints['claudeGuard/v1']).toMatch(/^[0-9a-f]{16}$/);
    expect(leaks(s)).toEqual([]);
  });

  test('a token without pull-requests: write: clear warning, and still summary, annotations and SARIF', async () => {
    const s = await go({
      githubPermissions: { 'pull-requests': 'read' },
      script: [structured([divFinding])],
    });
    expect(s.run.main.code).toBe(0);
    expect(s.run.outputs.conclusion).toBe('findings');
    expect(s.run.warnings.join('\n')).toMatch(/pull-requests: write/);
    expect(s.github.state.reviews).toHaveLength(0);
    expect(s.run.summary).toContain('Division by zero');
    expect(s.run.summary).toMatch(/Could not post the review/);
    expect(s.run.main.stdout).toMatch(/::error .*file=src\/app\.js/);
    validateSarif(s.sarifFile);
    expect(s.run.post.code).toBe(0);
  });

  test('fail-on-denial: a denied attempt in a read-only review fails the step', async () => {
    const s = await go({
      inputs: { 'fail-on-denial': 'true' },
      script: [
        { toolUse: { name: 'Bash', input: { command: 'curl -s http://127.0.0.1:9/', description: 'x' } } },
        structured([]),
      ],
    });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.errors.join('\n')).toMatch(/fail-on-denial/);
    expect(s.run.post.code).toBe(0);
  });
});

describe('verified install', () => {
  test('without claude-path, a registry that serves a tampered tarball for the pinned version is refused', async () => {
    const index = loadFixtureIndex();
    // A lying registry: the pinned version's documents point at other bytes and vouch for them.
    const registry = await startLocalRegistry({
      index: {
        ...index,
        '@anthropic-ai/claude-code@2.1.332': {
          ...index['@anthropic-ai/claude-code@9.9.1'],
          version: '2.1.332',
          optionalDependencies: { '@anthropic-ai/claude-code-linux-x64': '2.1.332' },
        },
        '@anthropic-ai/claude-code-linux-x64@2.1.332': {
          ...index['@anthropic-ai/claude-code-linux-x64@9.9.1'],
          version: '2.1.332',
        },
      },
      lie: true,
    });
    try {
      const s = await go({
        inputs: { 'claude-path': '' },
        env: { npm_config_registry: registry.url },
        script: [structured([])],
      });
      expect(s.run.main.code).not.toBe(0);
      expect(s.run.errors.join('\n')).toMatch(/integrity/i);
      expect(s.run.errors.join('\n')).toMatch(/@anthropic-ai\/claude-code/);
      expect(s.model.requests).toHaveLength(0);
      expect(registry.requests.length).toBeGreaterThan(0);
      expect(s.run.post.code).toBe(0);
    } finally {
      await registry.close();
    }
  });
});

describe('later pushes', () => {
  test('a second push fixes one finding and adds another: one new inline comment, one thread resolved, one summary', async () => {
    const divByZero = {
      path: 'src/app.js',
      line: 18,
      severity: 'high',
      category: 'correctness',
      title: 'Division by zero',
      body: 'Guard b.',
    };
    const nan = {
      path: 'src/app.js',
      line: 14,
      severity: 'medium',
      category: 'correctness',
      title: 'add() ignores NaN',
      body: 'Check inputs.',
    };
    const first = await go({ script: [structured([divByZero])] });
    const afterFirst = first.github.requests.length;
    expect(first.github.state.reviewComments).toHaveLength(1);
    // The second push guards div() and adds a NaN problem to add(); the model reports only the new one.
    first.repo.push({
      'src/app.js': fs
        .readFileSync(path.join(first.repo.dir, 'src/app.js'), 'utf8')
        .replace('  return a / b;', '  if (b === 0) return NaN;\n  return a / b;')
        .replace('  return a + b;', '  return a + b; // NaN in, NaN out'),
    });
    const again = (findings: object[]) =>
      go({ github: first.github, repo: first.repo, script: [structured(findings)] });
    const second = await again([nan]);
    const afterSecond = first.github.requests.length;
    expect(second.run.main.code).toBe(0);
    const state = first.github.state;
    expect(state.issueComments).toHaveLength(1);
    expect(state.reviewComments).toHaveLength(2);
    expect(state.reviewComments[1].body).toContain('add() ignores NaN');
    expect(state.reviewThreads.filter((t) => t.isResolved)).toHaveLength(1);
    expect(state.issueComments[0].body).toMatch(/no longer occurs?; its review thread was resolved/);
    // A third identical run posts nothing new.
    const third = await again([nan]);
    expect(third.run.main.code).toBe(0);
    expect(state.reviewComments).toHaveLength(2);
    expect(state.issueComments).toHaveLength(1);
    expect(first.github.failures).toEqual([]);
    // Issue 12: every read once per run (the conversation, the review comments, the threads), and after the
    // review only the review comments again, for the summary's links (before: 11 reads a run, 6 of them
    // the conversation). Unit twin: __tests__/unit/github-round-trips.test.ts.
    const requests = first.github.requests;
    const reads = {
      'repos/get-collaborator-permission-level': 1,
      'issues/list-comments': 1,
      'graphql query': 1,
    };
    expect(tally(requests.slice(0, afterFirst))).toEqual({
      ...reads,
      'pulls/list-review-comments': 2,
      'issues/create-comment': 1,
      'pulls/create-review': 1,
      'issues/update-comment': 1,
    });
    expect(tally(requests.slice(afterFirst, afterSecond))).toEqual({
      ...reads,
      'pulls/list-review-comments': 2,
      'pulls/create-review': 1,
      'graphql mutation': 1,
      'issues/update-comment': 2,
    });
    expect(tally(requests.slice(afterSecond))).toEqual({
      ...reads,
      'pulls/list-review-comments': 1,
      'issues/update-comment': 2,
    });
  });
});
