/**
 * The main step's plan (src/orchestrator/plan.ts), pure: what the run will do, decided from the settings,
 * the event, what the machine can do and what the trigger guard said — before anything is set up.
 */
import { describe, expect, test } from '@jest/globals';
import { INPUT_DEFAULTS, readSettings, type Settings } from '../../src/inputs.js';
import type { RunContext } from '../../src/context.js';
import type { Capabilities } from '../../src/isolation/preflight.js';
import type { RunConstraints } from '../../src/guard.js';
import { plan, rulesWith, sandboxFor, type PlanInput } from '../../src/orchestrator/plan.js';

const STRICT: Capabilities = {
  isLinux: true,
  isRoot: true,
  sudoWorks: true,
  useraddWorks: true,
  aclWorks: true,
  iptablesWorks: true,
  ip6tablesWorks: true,
  bwrapWorks: true,
  worldWorks: true,
};
const SANDBOX_ONLY: Capabilities = { ...STRICT, useraddWorks: false, worldWorks: false };
const NOTHING: Capabilities = { ...SANDBOX_ONLY, bwrapWorks: false, bwrapReason: 'no bwrap' };

function settings(inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = { 'anthropic-api-key': 'sk-ant-x', 'github-token': 'ghs_x', ...inputs };
  return readSettings((n) => all[n] ?? INPUT_DEFAULTS[n] ?? '', {});
}

const PULL = {
  owner: 'o',
  repo: 'r',
  number: 7,
  baseSha: 'a'.repeat(40),
  headSha: 'b'.repeat(40),
  headRepo: 'o/r',
  headRef: 'f',
  title: 't',
  body: 'b',
};

function context(over: Partial<RunContext> = {}): RunContext {
  return {
    eventName: 'pull_request',
    repository: 'o/r',
    owner: 'o',
    repo: 'r',
    apiUrl: 'https://api.github.com',
    serverUrl: 'https://github.com',
    githubHost: 'github.com',
    workspace: '/work/repo',
    runnerTemp: '/runner/temp',
    actor: 'octocat',
    payload: {},
    pull: PULL,
    ...over,
  };
}

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    settings: settings(),
    context: context(),
    capabilities: STRICT,
    constraints: { readOnly: false } as RunConstraints,
    home: '/home/runner',
    github: true,
    ...over,
  };
}

describe('plan: the isolation level and when it is refused (thrown at stage 7)', () => {
  test.each<[string, Partial<PlanInput>, string, RegExp | undefined]>([
    ['auto on a full machine', {}, 'strict', undefined],
    ['auto without a user to make', { capabilities: SANDBOX_ONLY }, 'sandbox', undefined],
    [
      'require-isolation strict on a sandbox machine',
      { capabilities: SANDBOX_ONLY, settings: settings({ 'require-isolation': 'strict' }) },
      'sandbox',
      /Input 'require-isolation': this machine reached 'sandbox', below the required 'strict'/,
    ],
    [
      'an untrusted run that asked for less than the machine can do',
      {
        settings: settings({ isolation: 'sandbox' }),
        constraints: { readOnly: true, requireIsolation: 'strict' },
      },
      'sandbox',
      /untrusted trigger .* untrusted runs need the strongest level available/,
    ],
    ['rules-only when nothing else works', { capabilities: NOTHING }, 'rules-only', undefined],
  ])('%s', (_name, over, level, refusal) => {
    const p = plan(input(over));
    expect(p.isolation.decision.level).toBe(level);
    if (refusal) expect(p.isolation.refusal).toMatch(refusal);
    else expect(p.isolation.refusal).toBeUndefined();
    // Below strict the run says so, as a warning and in the notes.
    if (level === 'strict') expect(p.isolation.warning).toBeUndefined();
    else expect(p.isolation.warning).toMatch(new RegExp(`isolation level is '${level}', not 'strict'`));
    expect(p.isolation.notes.every((n) => n.startsWith('Isolation: '))).toBe(true);
  });
});

describe('plan: what is reviewed and where it goes', () => {
  test('a pull request: its base...head, the PR delivery, the backstop against head and base', () => {
    const p = plan(input());
    expect(p.diff).toEqual({
      kind: 'pull',
      base: PULL.baseSha,
      head: PULL.headSha,
      range: `${PULL.baseSha}...${PULL.headSha}`,
    });
    expect(p.deliveries.pullRequest).toEqual({ owner: 'o', repo: 'r', number: 7, headSha: PULL.headSha });
    expect(p.backstopRevs).toEqual([PULL.headSha, PULL.baseSha]);
    expect(p.untrusted).toEqual({ description: true, request: '' });
  });

  test.each<[string, Partial<PlanInput>]>([
    ['comment: false', { settings: settings({ comment: 'false' }) }],
    ['no GitHub client', { github: false }],
    ['no pull request', { context: context({ pull: undefined, eventName: 'workflow_dispatch' }) }],
  ])('no pull request delivery with %s', (_name, over) => {
    expect(plan(input(over)).deliveries.pullRequest).toBeUndefined();
  });

  test('another event without diff-range: a refusal naming the event, thrown at stage 4', () => {
    const p = plan(input({ context: context({ pull: undefined, eventName: 'schedule' }) }));
    expect(p.diff.kind).toBe('refuse');
    expect(p.backstopRevs).toEqual(['HEAD', 'HEAD~1']);
    expect(p.untrusted).toBeUndefined();
  });

  test('guidance is read from the base of the reviewed range, only when guidance-files names files', () => {
    expect(plan(input()).guidanceBase).toBeUndefined();
    expect(plan(input({ settings: settings({ 'guidance-files': 'REVIEW.md' }) })).guidanceBase).toBe(
      PULL.baseSha,
    );
    const dispatch = input({
      settings: settings({ 'guidance-files': 'REVIEW.md', 'diff-range': 'v1.0...HEAD' }),
      context: context({ pull: undefined, eventName: 'workflow_dispatch' }),
    });
    expect(plan(dispatch).guidanceBase).toBe('v1.0');
  });
});

describe('plan: the rules and the agent', () => {
  test('the sandbox settings only at sandbox; the live checkout hidden when the agent works in a copy', () => {
    const p = plan(input({ capabilities: SANDBOX_ONLY }));
    expect(sandboxFor(p, 'strict', '/work/repo')).toBeUndefined();
    const inPlace = JSON.stringify(sandboxFor(p, 'sandbox', '/work/repo'));
    const inCopy = JSON.stringify(sandboxFor(p, 'sandbox', '/tmp/agent/repo'));
    expect(inPlace).not.toContain('"/work/repo"');
    expect(inCopy).toContain('"/work/repo"');
    expect(p.rules.deny.some((r) => r.includes('/home/runner'))).toBe(true);
  });

  test('fix mode adds exactly its files to the allow rules, at stage 8', () => {
    const p = plan(input({ settings: settings({ mode: 'fix' }) }));
    expect(rulesWith(p, undefined)).toBe(p.rules);
    const fixed = rulesWith(p, ['src/app.js']);
    expect(fixed.deny).toEqual(p.rules.deny);
    expect(fixed.allow.slice(0, p.rules.allow.length)).toEqual(p.rules.allow);
    expect(fixed.allow.slice(p.rules.allow.length).join('\n')).toMatch(/src\/app\.js/);
  });

  test('the timeout in milliseconds', () => {
    expect(plan(input({ settings: settings({ 'timeout-minutes': '7' }) })).timeoutMs).toBe(7 * 60_000);
  });
});
