/**
 * The fork-safe pattern's trusted half: on workflow_run the pull request comes from GitHub's record and is
 * verified (open, into this repository, the triggering run's head repository and exact head commit), and
 * the checkout must be that commit. Table tests of the pure decisions, then the resolver on the stateful
 * GitHub fake, then the guard's wiring (a refusal is a "not allowed" TriggerRefused: skipped, not red).
 */
import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../../src/github/fake.js';
import type { PullDetails } from '../../src/github/client.js';
import {
  checkPull,
  choosePull,
  PullNotVerified,
  readTriggeringRun,
  resolveWorkflowRunPull,
  type TriggeringRun,
} from '../../src/github/workflow-run-pr.js';
import { withWorkflowRunPull } from '../../src/guard.js';
import { TriggerRefused } from '../../src/policy/trigger-guard.js';
import type { RunContext } from '../../src/context.js';

const REPO = 'octo/app';
const HEAD = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const BASE = 'c'.repeat(40);

const pull = (over: Partial<PullDetails> = {}): PullDetails => ({
  number: 7,
  state: 'open',
  baseSha: BASE,
  baseRepo: REPO,
  headSha: HEAD,
  headRef: 'feature',
  headRepo: 'mallory/app',
  title: 'Add div()',
  body: 'untrusted',
  changedFiles: 1,
  ...over,
});

const run = (over: Partial<TriggeringRun> = {}): TriggeringRun => ({
  event: 'pull_request',
  headSha: HEAD,
  headBranch: 'feature',
  headRepo: 'mallory/app',
  listed: [],
  ...over,
});

const payload = (over: Record<string, unknown> = {}) => ({
  workflow_run: {
    id: 99,
    event: 'pull_request',
    head_sha: HEAD,
    head_branch: 'feature',
    head_repository: { full_name: 'mallory/app' },
    repository: { full_name: REPO },
    pull_requests: [],
    ...over,
  },
});

describe('readTriggeringRun', () => {
  test('reads a fork run (no pull_requests) and a same-repository run (listed numbers)', () => {
    expect(readTriggeringRun(payload())).toEqual(run());
    expect(
      readTriggeringRun(
        payload({ head_repository: { full_name: REPO }, pull_requests: [{ number: 7 }, { number: 7 }] }),
      ),
    ).toEqual(run({ headRepo: REPO, listed: [7] }));
  });

  test.each([
    ['no workflow_run', {}, /no workflow_run object/],
    ['no head_sha', payload({ head_sha: undefined }), /workflow_run\.head_sha/],
    ['a head_sha that is not a SHA', payload({ head_sha: 'main' }), /malformed head_sha/],
    ['no event', payload({ event: '' }), /workflow_run\.event/],
  ])('%s is an error naming the field', (_name, p, message) => {
    expect(() => readTriggeringRun(p)).toThrow(message);
  });

  test('a deleted head repository reads as null; junk pull_requests entries are ignored', () => {
    const r = readTriggeringRun(
      payload({ head_repository: null, pull_requests: [{ number: '7' }, null, { number: -1 }] }),
    );
    expect(r.headRepo).toBeNull();
    expect(r.listed).toEqual([]);
  });
});

describe('checkPull', () => {
  test.each<[string, Partial<PullDetails>, Partial<TriggeringRun>, RegExp | undefined]>([
    ['the same commit, open, from the run’s head repository', {}, {}, undefined],
    ['head repository names in another letter case', { headRepo: 'Mallory/App' }, {}, undefined],
    [
      'a newer push moved the head',
      { headSha: OTHER },
      {},
      /head of pull request #7 is now bbbbbbbbbbbb, not aaaaaaaaaaaa/,
    ],
    ['closed', { state: 'closed' }, {}, /#7 is closed, not open/],
    ['into another repository', { baseRepo: 'other/app' }, {}, /not a pull request into octo\/app/],
    ['head in another repository', { headRepo: 'eve/app' }, {}, /in eve\/app, not in mallory\/app/],
    ['head repository deleted', { headRepo: null }, {}, /no longer exists/],
    ['the run’s head repository deleted', {}, { headRepo: null }, /not in a deleted repository/],
  ])('%s', (_name, p, r, why) => {
    const result = checkPull(run(r), pull(p), REPO);
    if (why) expect(result).toMatch(why);
    else expect(result).toBeUndefined();
  });
});

describe('choosePull', () => {
  test.each<[string, PullDetails[], number | RegExp]>([
    ['one match', [pull()], 7],
    ['the same pull request twice', [pull(), pull()], 7],
    ['one of two matches', [pull({ number: 6, state: 'closed' }), pull()], 7],
    ['two matches (one head, two bases)', [pull(), pull({ number: 8 })], /more than one.*#7, #8/],
    [
      'none listed',
      [],
      /no open pull request into octo\/app has the head mallory\/app:feature at aaaaaaaaaaaa/,
    ],
    [
      'a stale one',
      [pull({ headSha: OTHER })],
      /no pull request matches the triggering run: the head of pull request #7 is now/,
    ],
  ])('%s', (_name, candidates, expected) => {
    const result = choosePull(run(), candidates, REPO);
    if (typeof expected === 'number')
      expect(result).toEqual({ pull: expect.objectContaining({ number: expected }) });
    else expect('refuse' in result && result.refuse).toMatch(expected);
  });
});

describe('resolveWorkflowRunPull on the GitHub fake', () => {
  const setup = (pulls: PullDetails[], checkedOut = HEAD) => {
    const github = new FakeGitHub();
    github.pulls.push(...pulls);
    return { github, ports: { github, headCommit: async () => `${checkedOut}\n` } };
  };

  test('a fork: found by its head branch, verified, returned with GitHub’s base and text', async () => {
    const { github, ports } = setup([pull()]);
    const ref = await resolveWorkflowRunPull(payload(), REPO, ports);
    expect(ref).toEqual({
      owner: 'octo',
      repo: 'app',
      number: 7,
      baseSha: BASE,
      headSha: HEAD,
      headRepo: 'mallory/app',
      headRef: 'feature',
      title: 'Add div()',
      body: 'untrusted',
      changedFiles: 1,
    });
    expect(github.calls).toEqual(['listOpenPullsByHead']);
  });

  test('same repository: the listed number is read and verified, no search', async () => {
    const { github, ports } = setup([pull({ headRepo: REPO })]);
    const ref = await resolveWorkflowRunPull(
      payload({ head_repository: { full_name: REPO }, pull_requests: [{ number: 7 }] }),
      REPO,
      ports,
    );
    expect(ref?.number).toBe(7);
    expect(github.calls).toEqual(['getPull']);
  });

  test('a listed number whose head moved is not taken; the search finds nothing else: refused', async () => {
    const { ports } = setup([pull({ headRepo: REPO, headSha: OTHER })]);
    await expect(
      resolveWorkflowRunPull(
        payload({ head_repository: { full_name: REPO }, pull_requests: [{ number: 7 }] }),
        REPO,
        ports,
      ),
    ).rejects.toThrow(PullNotVerified);
  });

  test('a mismatched head SHA is refused with the reason', async () => {
    const { ports } = setup([pull({ headSha: OTHER })]);
    await expect(resolveWorkflowRunPull(payload(), REPO, ports)).rejects.toThrow(
      /head of pull request #7 is now bbbbbbbbbbbb, not aaaaaaaaaaaa/,
    );
  });

  test('a checkout of another commit (the default branch) is an error that says how to check out', async () => {
    const { ports } = setup([pull()], BASE);
    const error = await resolveWorkflowRunPull(payload(), REPO, ports).catch((e: Error) => e);
    expect(error).not.toBeInstanceOf(PullNotVerified);
    expect((error as Error).message).toMatch(
      /workspace is at cccccccccccc, not at the head of pull request #7/,
    );
    expect((error as Error).message).toContain('github.event.workflow_run.head_sha');
  });

  test('a triggering run that was not a pull request’s: no pull request, nothing looked up', async () => {
    const { github, ports } = setup([pull()]);
    expect(await resolveWorkflowRunPull(payload({ event: 'push' }), REPO, ports)).toBeUndefined();
    expect(github.calls).toEqual([]);
  });
});

describe('withWorkflowRunPull (guard wiring)', () => {
  const ctx = (eventName: string, p: unknown): RunContext => ({
    eventName,
    repository: REPO,
    owner: 'octo',
    repo: 'app',
    apiUrl: 'https://api.github.com',
    serverUrl: 'https://github.com',
    githubHost: 'github.com',
    workspace: '/nonexistent',
    runnerTemp: '/tmp',
    actor: 'mallory',
    payload: p,
  });
  const head = async () => HEAD;

  test('workflow_run: the context gains the verified pull request', async () => {
    const github = new FakeGitHub();
    github.pulls.push(pull());
    const out = await withWorkflowRunPull(ctx('workflow_run', payload()), github, head);
    expect(out.pull?.number).toBe(7);
    expect(out.pull?.headSha).toBe(HEAD);
  });

  test('an unverifiable pull request is a not-allowed refusal (skipped by default), with the reason', async () => {
    const github = new FakeGitHub();
    github.pulls.push(pull({ headSha: OTHER }));
    const error = await withWorkflowRunPull(ctx('workflow_run', payload()), github, head).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(TriggerRefused);
    expect((error as TriggerRefused).notAllowed).toBe(true);
    expect((error as Error).message).toMatch(
      /refused to review: no pull request matches.*is now bbbbbbbbbbbb/,
    );
  });

  test('other events are left alone (no GitHub call)', async () => {
    const github = new FakeGitHub();
    const c = ctx('pull_request', payload());
    expect(await withWorkflowRunPull(c, github, head)).toBe(c);
    expect(github.calls).toEqual([]);
  });
});
