/**
 * Tests written for mutations that once survived the whole suite (issue 11): each would loosen a
 * security decision without any test noticing. `npm run mutate` (scripts/mutate.mjs) keeps checking
 * that mutations like these are caught.
 */
import { describe, expect, test } from '@jest/globals';
import type { RunContext } from '../../src/context.js';
import { InputError } from '../../src/core.js';
import { neutralise } from '../../src/findings/gate.js';
import { createRedactor } from '../../src/findings/redact.js';
import { FakeGitHub } from '../../src/github/fake.js';
import { guardTrigger } from '../../src/guard.js';
import { readSettings, type Settings } from '../../src/inputs.js';
import { validateClaudeArgs } from '../../src/policy/claude-args.js';
import { validateUserRule } from '../../src/policy/permissions.js';

describe('fix mode refuses user write rules (the action writes exactly the PR files itself)', () => {
  test.each(['Edit(**)', 'Write(**)', 'Edit(src/a.ts)', 'MultiEdit', 'NotebookEdit(x.ipynb)', 'Write'])(
    '%s',
    (rule) => {
      expect(() => validateUserRule(rule, 'allow', 'fix')).toThrow(/fix mode edits exactly/);
      // The same rule is fine as a deny rule, and as an allow rule in custom mode.
      expect(validateUserRule(rule, 'deny', 'fix')).toBe(rule);
      expect(validateUserRule(rule, 'allow', 'custom')).toBe(rule);
    },
  );
});

describe('claude-args: a value that starts with a dash is never taken as a value', () => {
  test.each([
    [['--effort', '-x']],
    [['--effort', '-p']],
    [['--append-system-prompt', '-d']],
    [['--fallback-model', '-c']],
    [['--betas', 'a-beta', '-r']],
    [['--max-budget-usd', '-1']],
  ])('%j', (args) => {
    expect(() => validateClaudeArgs(args)).toThrow(InputError);
  });

  test('written as --flag=value the value is unambiguous and accepted when valid', () => {
    expect(validateClaudeArgs(['--append-system-prompt=-be brief'])).toEqual([
      '--append-system-prompt=-be brief',
    ]);
    expect(validateClaudeArgs(['--betas', 'a-beta', 'b-beta'])).toEqual(['--betas', 'a-beta', 'b-beta']);
  });
});

describe('the link allow-list matches the GitHub host exactly, never a look-alike', () => {
  const redactor = createRedactor([]);
  const linked = (text: string, githubHost = 'github.com') =>
    neutralise(text, { githubHost, redactor, block: true }).counts.links;

  test.each([
    'https://evilgithub.com/o/r',
    'https://github.com.evil.example/o/r',
    'https://evil.example/github.com',
    'https://notgithub.com',
    'https://github.co/o/r',
    'https://user@github.com/o/r',
    '[docs](https://evilgithub.com/login)',
    '<https://xgithub.com/a>',
  ])('%s is made inert', (text) => {
    expect(linked(text)).toBe(1);
  });

  test.each([
    'https://github.com/o/r/pull/1',
    'https://GitHub.com/o/r',
    '[pr](https://github.com/o/r/pull/2)',
  ])('%s stays a link', (text) => {
    expect(linked(text)).toBe(0);
  });

  test('on GHES, the enterprise host is allowed and github.com is not', () => {
    expect(linked('https://ghe.corp.example/o/r', 'ghe.corp.example')).toBe(0);
    expect(linked('https://evilghe.corp.example/o/r', 'ghe.corp.example')).toBe(1);
    expect(linked('https://github.com/o/r', 'ghe.corp.example')).toBe(1);
  });
});

describe('guardTrigger: a pull request’s actor must have write access (the permission is looked up)', () => {
  const settings = (extra: Record<string, string> = {}): Settings =>
    readSettings(
      (name) => ({ 'anthropic-api-key': 'sk-ant-test', 'github-token': 'ghs_test', ...extra })[name] ?? '',
    );
  const context = (eventName: string, actor = 'reader'): RunContext =>
    ({
      eventName,
      repository: 'acme/widgets',
      owner: 'acme',
      repo: 'widgets',
      apiUrl: 'https://api.github.com',
      serverUrl: 'https://github.com',
      githubHost: 'github.com',
      workspace: '/nonexistent',
      runnerTemp: '/nonexistent',
      actor,
      payload: {
        pull_request: {
          number: 7,
          head: { sha: 'b'.repeat(40), ref: 'feature', repo: { full_name: 'acme/widgets' } },
          base: { sha: 'a'.repeat(40), ref: 'main', repo: { full_name: 'acme/widgets' } },
        },
        repository: { full_name: 'acme/widgets' },
        sender: { login: actor, type: 'User' },
      },
    }) as RunContext;

  /** A comment event as GitHub sends it (a new `/review` comment), and the API agreeing with it. */
  const asComment = (ctx: RunContext, github: FakeGitHub): RunContext => {
    const at = new Date(Date.now() - 1000).toISOString();
    const comment = {
      id: 99,
      body: '/review',
      user: { login: ctx.actor, type: 'User' },
      created_at: at,
      updated_at: at,
    };
    github.snapshots.set(99, {
      id: 99,
      body: '/review',
      author: ctx.actor,
      authorType: 'User',
      createdAt: at,
      updatedAt: at,
    });
    github.addPull({
      number: 7,
      headSha: 'b'.repeat(40),
      headRepo: 'acme/widgets',
      baseRepo: 'acme/widgets',
    });
    const payload = ctx.payload as Record<string, unknown>;
    return {
      ...ctx,
      payload: { ...payload, action: 'created', comment, issue: { number: 7, pull_request: {} } },
    };
  };

  test.each(['pull_request', 'pull_request_review_comment', 'issue_comment'])(
    '%s by a collaborator with read access is refused after asking GitHub',
    async (event) => {
      const github = new FakeGitHub();
      github.permissions.reader = 'read';
      const ctx = event === 'pull_request' ? context(event) : asComment(context(event), github);
      await expect(guardTrigger(settings(), ctx, github, async () => 'rules-only' as const)).rejects.toThrow(
        /'read' permission/,
      );
      expect(github.calls).toContain('getCollaboratorPermission');
    },
  );

  test('pull_request by a writer goes ahead, with write scope', async () => {
    const github = new FakeGitHub();
    github.permissions.writer = 'write';
    await expect(
      guardTrigger(settings(), context('pull_request', 'writer'), github, async () => 'rules-only' as const),
    ).resolves.toEqual({
      readOnly: false,
    });
    expect(github.calls).toEqual(['getCollaboratorPermission']);
  });

  test('push needed write access to happen: no lookup', async () => {
    const github = new FakeGitHub();
    await expect(
      guardTrigger(settings(), context('push'), github, async () => 'rules-only' as const),
    ).resolves.toEqual({
      readOnly: false,
    });
    expect(github.calls).toEqual([]);
  });
});
