import { describe, expect, test } from '@jest/globals';
import { FakeGitHub } from '../support/fake-github.js';
import {
  checkActorPermission,
  classifyTrigger,
  decideTrigger,
  TriggerRefused,
  type Trigger,
  type TriggerDecisionInput,
} from '../../src/policy/trigger-guard.js';

const REPO = 'octo/app';
const pullRequest = (head: { full_name: string } | null, base = REPO) => ({
  pull_request: { number: 1, base: { sha: 'b', repo: { full_name: base } }, head: { sha: 'h', repo: head } },
});

describe('classifyTrigger', () => {
  test.each([
    [
      'same-repo pull_request',
      'pull_request',
      pullRequest({ full_name: REPO }),
      'alice',
      {},
      false,
      false,
      false,
    ],
    [
      'same repo, other letter case',
      'pull_request',
      pullRequest({ full_name: 'Octo/App' }),
      'alice',
      {},
      false,
      false,
      false,
    ],
    [
      'fork pull_request',
      'pull_request',
      pullRequest({ full_name: 'mallory/app' }),
      'mallory',
      {},
      true,
      true,
      false,
    ],
    ['deleted fork (head repo null)', 'pull_request', pullRequest(null), 'mallory', {}, true, true, false],
    [
      'pull_request_target, same repo',
      'pull_request_target',
      pullRequest({ full_name: REPO }),
      'alice',
      {},
      true,
      false,
      false,
    ],
    [
      'pull_request_target from a fork',
      'pull_request_target',
      pullRequest({ full_name: 'm/app' }),
      'm',
      {},
      true,
      true,
      false,
    ],
    [
      'workflow_run of the same repo',
      'workflow_run',
      { workflow_run: { repository: { full_name: REPO }, head_repository: { full_name: REPO } } },
      'alice',
      {},
      true,
      false,
      false,
    ],
    [
      'workflow_run of a fork',
      'workflow_run',
      { workflow_run: { repository: { full_name: REPO }, head_repository: { full_name: 'm/app' } } },
      'm',
      {},
      true,
      true,
      false,
    ],
    ['push', 'push', {}, 'alice', {}, false, false, false],
    [
      'bot by login suffix',
      'pull_request',
      pullRequest({ full_name: REPO }),
      'dependabot[bot]',
      {},
      false,
      false,
      true,
    ],
    ['bot by sender type', 'issue_comment', { sender: { type: 'Bot' } }, 'some-app', {}, false, false, true],
    ['bot by actorType', 'push', {}, 'some-app', { actorType: 'Bot' }, false, false, true],
    [
      'a person named like a bot, without the suffix',
      'push',
      { sender: { type: 'User' } },
      'botty',
      {},
      false,
      false,
      false,
    ],
    ['a payload that is not an object', 'push', null, 'alice', {}, false, false, false],
  ])('%s', (_name, eventName, payload, actor, extra, untrusted, fork, bot) => {
    const t = classifyTrigger({ eventName, payload, repository: REPO, actor, ...extra });
    expect({ untrusted: t.untrusted, fork: t.fork, bot: t.bot }).toEqual({ untrusted, fork, bot });
    expect(t.reasons.length > 0).toBe(untrusted);
    expect(t.actor).toBe(actor);
  });

  test('reasons name the event and the fork', () => {
    const t = classifyTrigger({
      eventName: 'pull_request_target',
      payload: pullRequest({ full_name: 'mallory/app' }),
      repository: REPO,
      actor: 'mallory',
    });
    expect(t.reasons.join('\n')).toContain("'pull_request_target'");
    expect(t.reasons.join('\n')).toContain('the fork mallory/app');
    expect(
      classifyTrigger({ eventName: 'pull_request', payload: pullRequest(null), repository: REPO, actor: 'm' })
        .reasons,
    ).toEqual([expect.stringContaining('deleted fork')]);
  });
});

const trigger = (over: Partial<Trigger> = {}): Trigger => ({
  untrusted: false,
  reasons: [],
  fork: false,
  bot: false,
  actor: 'alice',
  repository: REPO,
  ...over,
});
const fork = trigger({
  untrusted: true,
  fork: true,
  reasons: ['the pull request comes from the fork m/app'],
  actor: 'm',
});
const prTarget = trigger({ untrusted: true, reasons: ["the event 'pull_request_target' runs with secrets"] });
const bot = (actor: string, over: Partial<Trigger> = {}) => trigger({ bot: true, actor, ...over });

type Row = [
  string,
  Partial<TriggerDecisionInput> & { trigger: Trigger },
  { readOnly: boolean; requireIsolation?: 'strict' } | RegExp[],
];

describe('decideTrigger', () => {
  const base = { allowUntrustedPr: false, allowedBots: [] as string[], actorPermission: 'write' as const };
  test.each<Row>([
    ['trusted, write access', { trigger: trigger() }, { readOnly: false }],
    ['trusted, admin', { trigger: trigger(), actorPermission: 'admin' }, { readOnly: false }],
    ['trusted, maintain', { trigger: trigger(), actorPermission: 'maintain' }, { readOnly: false }],
    [
      'trusted, strict available: no extra constraint',
      { trigger: trigger(), isolationAvailable: 'strict' },
      { readOnly: false },
    ],
    [
      'fork without allow-untrusted-pr',
      { trigger: fork },
      [/allow-untrusted-pr/, /fork m\/app/, /workflow_run/, /unprivileged `pull_request` job/],
    ],
    [
      'pull_request_target without allow-untrusted-pr',
      { trigger: prTarget },
      [/'pull_request_target'/, /allow-untrusted-pr: true/],
    ],
    [
      'fork with allow-untrusted-pr, strict available',
      { trigger: fork, allowUntrustedPr: true, actorPermission: 'read', isolationAvailable: 'strict' },
      { readOnly: true, requireIsolation: 'strict' },
    ],
    [
      'fork with allow-untrusted-pr, only sandbox',
      { trigger: fork, allowUntrustedPr: true, actorPermission: 'none', isolationAvailable: 'sandbox' },
      { readOnly: true },
    ],
    [
      'fork with allow-untrusted-pr, author has write',
      { trigger: fork, allowUntrustedPr: true, isolationAvailable: 'rules-only' },
      { readOnly: true },
    ],
    [
      'read permission',
      { trigger: trigger(), actorPermission: 'read' },
      [
        /@alice has 'read' permission on octo\/app; claude-guard runs only for collaborators with write access/,
      ],
    ],
    ['triage permission', { trigger: trigger(), actorPermission: 'triage' }, [/'triage' permission/]],
    ['no permission', { trigger: trigger(), actorPermission: 'none' }, [/'none' permission/]],
    [
      'permission unknown',
      { trigger: trigger(), actorPermission: undefined },
      [/permission of @alice on octo\/app is unknown/],
    ],
    [
      'read permission with allow-untrusted-pr: read-only',
      { trigger: trigger(), actorPermission: 'read', allowUntrustedPr: true, isolationAvailable: 'strict' },
      { readOnly: true, requireIsolation: 'strict' },
    ],
    [
      'bot not listed',
      { trigger: bot('renovate[bot]') },
      [/@renovate\[bot\] is a bot that is not listed in the input 'allowed-bots'/],
    ],
    [
      'bot listed (case-insensitive), no permission lookup',
      { trigger: bot('Dependabot[bot]'), allowedBots: ['dependabot[bot]'], actorPermission: undefined },
      { readOnly: false },
    ],
    [
      'bot listed under a different name',
      { trigger: bot('dependabot[bot]'), allowedBots: ['dependabot'] },
      [/not listed/],
    ],
    [
      'wildcard is refused with a reason',
      { trigger: bot('dependabot[bot]'), allowedBots: ['*'] },
      [/not listed/, /wildcard '\*' is not supported/],
    ],
    [
      'listed bot on an untrusted trigger without allow-untrusted-pr',
      { trigger: bot('x[bot]', { untrusted: true, reasons: ['r'] }), allowedBots: ['x[bot]'] },
      [/untrusted: r/],
    ],
    [
      'listed bot on an untrusted trigger with allow-untrusted-pr',
      {
        trigger: bot('x[bot]', { untrusted: true, reasons: ['r'] }),
        allowedBots: ['x[bot]'],
        allowUntrustedPr: true,
        isolationAvailable: 'strict',
      },
      { readOnly: true, requireIsolation: 'strict' },
    ],
    [
      'unlisted bot is refused even with allow-untrusted-pr',
      { trigger: bot('x[bot]'), allowUntrustedPr: true },
      [/not listed/],
    ],
  ])('%s', (_name, row, expected) => {
    const decision = decideTrigger({ ...base, ...row });
    if (Array.isArray(expected)) {
      expect(decision.allowed).toBe(false);
      const message = decision.allowed ? '' : decision.message;
      expect(message).toMatch(/^claude-guard refused to run: /);
      for (const re of expected) expect(message).toMatch(re);
    } else {
      expect(decision).toEqual({ allowed: true, constraints: expected });
    }
  });
});

describe('checkActorPermission and TriggerRefused', () => {
  test('asks GitHub for the actor on the repository', async () => {
    const gh = new FakeGitHub();
    gh.permissions['Alice'] = 'maintain';
    expect(await checkActorPermission(gh, { owner: 'octo', repo: 'app' }, 'alice')).toBe('maintain');
    expect(await checkActorPermission(gh, { owner: 'octo', repo: 'app' }, 'mallory')).toBe('none');
    expect(gh.calls).toEqual(['getCollaboratorPermission', 'getCollaboratorPermission']);
  });

  test('a refusal carries the user-facing message as is', () => {
    const decision = decideTrigger({
      trigger: fork,
      allowUntrustedPr: false,
      allowedBots: [],
      actorPermission: 'write',
    });
    if (decision.allowed) throw new Error('expected a refusal');
    const error = new TriggerRefused(decision.message);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TriggerRefused');
    expect(error.message).toBe(decision.message);
  });
});
