/**
 * guardTrigger asks for the strongest isolation level the machine can reach (a probe of every level) only
 * when the run is untrusted and must use it; a trusted run never pays for that probe.
 */
import { describe, expect, test } from '@jest/globals';
import { guardTrigger } from '../../src/guard.js';
import type { RunContext } from '../../src/context.js';
import type { GitHubPort, RepoPermission } from '../../src/github/client.js';
import type { IsolationLevel, Settings } from '../../src/inputs.js';

const settings = {
  allowUntrustedPr: true,
  allowedBots: [],
  mode: 'review',
  allowedTools: [],
} as unknown as Settings;

function context(headRepo: string): RunContext {
  return {
    eventName: 'pull_request',
    repository: 'acme/widgets',
    owner: 'acme',
    repo: 'widgets',
    apiUrl: 'http://127.0.0.1:9',
    serverUrl: 'https://github.com',
    githubHost: 'github.com',
    workspace: '/w',
    runnerTemp: '/t',
    actor: 'octocat',
    payload: {
      sender: { login: 'octocat', type: 'User' },
      pull_request: {
        number: 7,
        head: { repo: { full_name: headRepo } },
        base: { repo: { full_name: 'acme/widgets' } },
      },
      repository: { full_name: 'acme/widgets' },
    },
  };
}

const github = (permission: RepoPermission) =>
  ({ getCollaboratorPermission: async () => permission }) as unknown as GitHubPort;

function strongest(level: IsolationLevel) {
  const calls = { n: 0 };
  return { calls, ask: async () => (calls.n++, level) };
}

describe('guardTrigger and the strongest level', () => {
  test('a collaborator with write access on a same-repository PR: never asked', async () => {
    const s = strongest('strict');
    expect(await guardTrigger(settings, context('acme/widgets'), github('write'), s.ask)).toEqual({
      readOnly: false,
    });
    expect(s.calls.n).toBe(0);
  });

  test('an untrusted run (fork, read access): asked once, and strict becomes required', async () => {
    const s = strongest('strict');
    expect(await guardTrigger(settings, context('stranger/widgets'), github('read'), s.ask)).toEqual({
      readOnly: true,
      requireIsolation: 'strict',
    });
    expect(s.calls.n).toBe(1);
  });

  test('an untrusted run on a machine that cannot reach strict: read-only, nothing more to require', async () => {
    const s = strongest('sandbox');
    expect(await guardTrigger(settings, context('stranger/widgets'), github('read'), s.ask)).toEqual({
      readOnly: true,
    });
    expect(s.calls.n).toBe(1);
  });
});
