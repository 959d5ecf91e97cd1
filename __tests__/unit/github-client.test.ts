import { afterEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGitHub,
  GitHubApiError,
  GitHubPermissionError,
  RATE_LIMIT_MAX_WAIT_S,
  RATE_LIMIT_RETRIES,
  SERVER_ERROR_RETRIES,
  type GitHubPort,
} from '../../src/github/client.js';

interface Seen {
  method: string;
  path: string;
  auth: string;
  body: string;
}
interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A GitHub stand-in on 127.0.0.1: `route` answers each request; every request is recorded. */
async function serve(route: (req: Seen, n: number) => Reply) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = {
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization ?? '',
        body,
      };
      seen.push(s);
      const r = route(s, seen.length);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(JSON.stringify(r.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { origin, seen };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const pr = { owner: 'o', repo: 'r', number: 7 };
const comment = (id: number) => ({
  id,
  body: `c${id}`,
  user: { login: 'u', type: 'User' },
  author_association: 'NONE',
});

/** Every rate-limit wait the client asked for, in ms; the injected sleep returns at once. */
let slept: number[] = [];
const NOW_MS = Date.UTC(2026, 0, 1);
function client(baseUrl: string, warnings: string[] = []): GitHubPort {
  slept = [];
  return createGitHub({
    token: 'test-token',
    baseUrl,
    retryBaseMs: 5,
    log: { warn: (m) => warnings.push(m) },
    sleep: async (ms) => {
      slept.push(ms);
    },
    now: () => NOW_MS,
  });
}

describe('createGitHub', () => {
  test('follows pagination across two pages and maps comments to plain objects', async () => {
    const { origin, seen } = await serve((req) =>
      req.path.includes('page=2')
        ? { status: 200, body: [comment(3)] }
        : {
            status: 200,
            headers: {
              link: `<${origin}/repos/o/r/issues/7/comments?per_page=100&page=2>; rel="next"`,
            },
            body: [comment(1), comment(2)],
          },
    );
    const comments = await client(origin).listIssueComments(pr);
    expect(comments.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(comments[0]).toEqual({
      id: 1,
      body: 'c1',
      author: 'u',
      authorType: 'User',
      authorAssociation: 'NONE',
    });
    expect(seen.map((s) => s.path)).toEqual([
      '/repos/o/r/issues/7/comments?per_page=100',
      '/repos/o/r/issues/7/comments?per_page=100&page=2',
    ]);
    expect(seen[0].auth).toBe('token test-token');
  });

  test('lists pull request files, leaving patch out when GitHub has none', async () => {
    const { origin } = await serve(() => ({
      status: 200,
      body: [
        {
          filename: 'a.ts',
          status: 'modified',
          additions: 1,
          deletions: 0,
          patch: '@@ -1 +1 @@\n-x\n+y',
          sha: 's',
        },
        { filename: 'b.png', status: 'added', additions: 0, deletions: 0, sha: 's' },
      ],
    }));
    expect(await client(origin).listPullFiles(pr)).toEqual([
      { filename: 'a.ts', status: 'modified', additions: 1, deletions: 0, patch: '@@ -1 +1 @@\n-x\n+y' },
      { filename: 'b.png', status: 'added', additions: 0, deletions: 0 },
    ]);
  });

  test.each([502, 503, 429])('retries a %i and then succeeds, logging the failed attempt', async (status) => {
    const { origin, seen } = await serve((_req, n) =>
      n === 1 ? { status, body: { message: 'busy' } } : { status: 200, body: [] },
    );
    const warnings: string[] = [];
    expect(await client(origin, warnings).listPullFiles(pr)).toEqual([]);
    expect(seen).toHaveLength(2);
    if (status >= 500) expect(warnings.join('\n')).toContain(`HTTP ${status}`);
  });

  test('gives up on a persistent 5xx after a bounded number of retries', async () => {
    const { origin, seen } = await serve(() => ({ status: 502, body: { message: 'Bad gateway' } }));
    await expect(client(origin).listPullFiles(pr)).rejects.toThrow(GitHubApiError);
    expect(seen).toHaveLength(1 + SERVER_ERROR_RETRIES);
  });

  test('retries a secondary rate limit (403) after the time retry-after names, and only then', async () => {
    const { origin, seen } = await serve((_req, n) =>
      n === 1
        ? {
            status: 403,
            headers: { 'retry-after': '7' },
            body: { message: 'You have exceeded a secondary rate limit' },
          }
        : { status: 200, body: [] },
    );
    const warnings: string[] = [];
    expect(await client(origin, warnings).listIssueComments(pr)).toEqual([]);
    expect(seen).toHaveLength(2);
    expect(slept).toEqual([7000]);
    expect(warnings.join('\n')).toMatch(/secondary rate limit on GET .* retrying in 7s/);
  });

  test('a 429 without headers waits the minute GitHub asks for; a primary limit waits until the reset', async () => {
    const resetS = NOW_MS / 1000 + 30;
    const { origin, seen } = await serve((_req, n) =>
      n === 1
        ? { status: 429, body: { message: 'Too many requests' } }
        : n === 2
          ? {
              status: 403,
              headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetS) },
              body: { message: 'API rate limit exceeded for installation' },
            }
          : { status: 200, body: [] },
    );
    const warnings: string[] = [];
    expect(await client(origin, warnings).listPullFiles(pr)).toEqual([]);
    expect(seen).toHaveLength(3);
    expect(slept).toEqual([60_000, 31_000]);
    expect(warnings.join('\n')).toMatch(/primary rate limit .* retrying in 31s/);
  });

  test('gives up, without waiting, on a limit longer than it accepts or after its retries', async () => {
    const { origin, seen } = await serve(() => ({
      status: 403,
      headers: { 'retry-after': String(RATE_LIMIT_MAX_WAIT_S + 1) },
      body: { message: 'You have exceeded a secondary rate limit' },
    }));
    const warnings: string[] = [];
    await expect(client(origin, warnings).listIssueComments(pr)).rejects.toThrow(GitHubApiError);
    expect(seen).toHaveLength(1);
    expect(slept).toEqual([]);
    expect(warnings.join('\n')).toContain('giving up');

    const again = await serve(() => ({
      status: 403,
      headers: { 'retry-after': '2' },
      body: { message: 'You have exceeded a secondary rate limit' },
    }));
    await expect(client(again.origin).listIssueComments(pr)).rejects.toThrow('(HTTP 403)');
    expect(again.seen).toHaveLength(1 + RATE_LIMIT_RETRIES);
    expect(slept).toEqual(Array(RATE_LIMIT_RETRIES).fill(2000));
  });

  test('a GraphQL answer with a RATE_LIMITED error is retried after the reset', async () => {
    const { origin, seen } = await serve((_req, n) =>
      n === 1
        ? {
            status: 200,
            headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_MS / 1000 + 4) },
            body: { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }] },
          }
        : { status: 200, body: { data: { resolveReviewThread: { thread: { id: 'T', isResolved: true } } } } },
    );
    await client(origin).resolveReviewThread('T');
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /graphql', 'POST /graphql']);
    expect(slept).toEqual([5000]);
  });

  test('writes, notification POSTs and GraphQL mutations go out back to back, with no spacing', async () => {
    const arrivals: number[] = [];
    const { origin, seen } = await serve((req) => {
      arrivals.push(performance.now());
      return req.path === '/graphql'
        ? { status: 200, body: { data: { resolveReviewThread: { thread: { id: 'T', isResolved: true } } } } }
        : { status: 201, body: { id: 1, html_url: 'https://github.test/1' } };
    });
    const gh = client(origin);
    await gh.createIssueComment(pr, 'one');
    await gh.createReview(pr, { body: 'b', event: 'COMMENT', commit_id: 'abc', comments: [] });
    await gh.resolveReviewThread('T');
    await gh.updateIssueComment(pr, 1, 'two');
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST', 'POST', 'PATCH']);
    expect(slept).toEqual([]);
    // plugin-throttling held writes (GraphQL included) ≥ 1 s apart and notification POSTs (comment, review)
    // ≥ 3 s apart: 5 s for these four. Without spacing each gap is one loopback round trip.
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    expect(Math.max(...gaps)).toBeLessThan(1000);
  });

  test.each([404, 422])('does not retry a %i and names the operation in the error', async (status) => {
    const { origin, seen } = await serve(() => ({ status, body: { message: 'Nope' } }));
    const err = await client(origin)
      .listIssueComments(pr)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubApiError);
    expect(String(err)).toContain(`could not list comments (HTTP ${status})`);
    expect(seen).toHaveLength(1);
  });

  test('a 403 "Resource not accessible by integration" says which permission to add, without retrying', async () => {
    const { origin, seen } = await serve(() => ({
      status: 403,
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com',
      },
    }));
    const err = await client(origin)
      .createReview(pr, { body: 'b', event: 'COMMENT', commit_id: 'abc', comments: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubPermissionError);
    const message = (err as Error).message;
    expect(message).toContain('create a review');
    expect(message).toContain('`pull-requests: write`');
    expect(message).toContain('permissions:\n    contents: read\n    pull-requests: write');
    expect(message).not.toContain('test-token');
    expect(seen).toHaveLength(1);
  });

  test('honours a GHES base URL with a path prefix, and sends writes as GitHub expects', async () => {
    const stored = {
      body: 'new body',
      user: { login: 'github-actions[bot]', type: 'Bot' },
      author_association: 'NONE',
      created_at: '2026-12-03T00:00:00Z',
    };
    const { origin, seen } = await serve((req) => ({
      status: req.method === 'POST' ? 201 : 200,
      body: { id: 42, html_url: 'https://ghes.test/c/42', ...stored },
    }));
    const gh = client(`${origin}/api/v3/`);
    // The answer carries the comment as stored, for the run's memo of the conversation (comment-memo.ts).
    expect(await gh.updateIssueComment(pr, 42, 'new body')).toEqual({
      id: 42,
      url: 'https://ghes.test/c/42',
      comment: {
        id: 42,
        body: 'new body',
        author: 'github-actions[bot]',
        authorType: 'Bot',
        authorAssociation: 'NONE',
        createdAt: '2026-12-03T00:00:00Z',
      },
    });
    expect(
      await gh.createReview(pr, {
        body: 'b',
        event: 'COMMENT',
        commit_id: 'abc',
        comments: [{ path: 'a.ts', line: 3, side: 'RIGHT', start_line: 2, start_side: 'RIGHT', body: 'x' }],
      }),
    ).toEqual({ id: 42, url: 'https://ghes.test/c/42' });
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'PATCH /api/v3/repos/o/r/issues/comments/42',
      'POST /api/v3/repos/o/r/pulls/7/reviews',
    ]);
    expect(JSON.parse(seen[0].body)).toEqual({ body: 'new body' });
    expect(JSON.parse(seen[1].body)).toEqual({
      body: 'b',
      event: 'COMMENT',
      commit_id: 'abc',
      comments: [{ path: 'a.ts', line: 3, side: 'RIGHT', start_line: 2, start_side: 'RIGHT', body: 'x' }],
    });
  });
});

describe('getCollaboratorPermission', () => {
  test.each([
    [
      'a built-in role_name wins over the legacy permission',
      { role_name: 'maintain', permission: 'write' },
      'maintain',
    ],
    [
      'triage is reported as triage, not its legacy read',
      { role_name: 'triage', permission: 'read' },
      'triage',
    ],
    [
      'a custom role falls back to its legacy base permission',
      { role_name: 'auditor', permission: 'read' },
      'read',
    ],
    ['without role_name the legacy permission is used', { permission: 'admin' }, 'admin'],
    ['an unrecognised answer counts as no access', { role_name: 'x', permission: 'y' }, 'none'],
  ])('%s', async (_name, body, expected) => {
    const { origin, seen } = await serve(() => ({
      status: 200,
      body: { ...body, user: { login: 'dependabot[bot]' } },
    }));
    expect(await client(origin).getCollaboratorPermission(pr, 'dependabot[bot]')).toBe(expected);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /repos/o/r/collaborators/dependabot%5Bbot%5D/permission',
    ]);
  });

  test('a 404 (not a collaborator, or no such user) is "none", without retrying', async () => {
    const { origin, seen } = await serve(() => ({ status: 404, body: { message: 'Not Found' } }));
    expect(await client(origin).getCollaboratorPermission(pr, 'stranger')).toBe('none');
    expect(seen).toHaveLength(1);
  });

  test('any other failure is an error naming the operation', async () => {
    const { origin } = await serve(() => ({ status: 401, body: { message: 'Bad credentials' } }));
    await expect(client(origin).getCollaboratorPermission(pr, 'u')).rejects.toThrow(
      "could not read the actor's repository permission (HTTP 401)",
    );
  });
});

describe('getFileContent', () => {
  const central = { owner: 'acme', repo: '.github' };
  const fileBody = (text: string) => ({
    type: 'file',
    encoding: 'base64',
    // GitHub wraps base64 content at 60 characters.
    content: Buffer.from(text)
      .toString('base64')
      .replace(/(.{60})/g, '$1\n'),
    path: 'policies/claude.yml',
  });

  test('reads a file at a ref and decodes its base64 content', async () => {
    const text = `version: 1\n# ${'é'.repeat(80)}\nbudget-usd: 3\n`;
    const { origin, seen } = await serve(() => ({ status: 200, body: fileBody(text) }));
    expect(await client(origin).getFileContent(central, 'policies/claude.yml', 'v1.2.0')).toBe(text);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /repos/acme/.github/contents/policies/claude.yml?ref=v1.2.0',
    ]);
  });

  test('without a ref asks for the default branch; each path segment is encoded', async () => {
    const { origin, seen } = await serve(() => ({ status: 200, body: fileBody('version: 1\n') }));
    expect(await client(origin).getFileContent(central, 'ci/a#b?c.yml')).toBe('version: 1\n');
    expect(seen.map((s) => s.path)).toEqual(['/repos/acme/.github/contents/ci/a%23b%3Fc.yml']);
  });

  test('a 404 names repository, path and ref, without retrying', async () => {
    const { origin, seen } = await serve(() => ({ status: 404, body: { message: 'Not Found' } }));
    const err = await client(origin)
      .getFileContent(central, 'claude.yml', 'main')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubApiError);
    expect((err as Error).message).toBe(
      'GitHub API: could not read the policy file (HTTP 404): acme/.github/claude.yml was not found at ref main: ' +
        'check the path and ref, and that github-token can read acme/.github (GitHub answers 404 for a private ' +
        'repository the token cannot see)',
    );
    expect(seen).toHaveLength(1);
  });

  test('a 403 "Resource not accessible" asks for contents: read', async () => {
    const { origin } = await serve(() => ({
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    }));
    const err = await client(origin)
      .getFileContent(central, 'claude.yml', 'main')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitHubPermissionError);
    expect((err as Error).message).toContain('GitHub refused to read the policy file');
    expect((err as Error).message).toContain('`contents: read`');
  });

  test.each([
    ['a directory', [{ type: 'file', name: 'a.yml' }], 'acme/.github/claude.yml@main is not a file'],
    ['a symbolic link', { type: 'symlink', target: '../x' }, 'acme/.github/claude.yml@main is not a file'],
    [
      'a file over 1 MB (no content)',
      { type: 'file', encoding: 'none', content: '' },
      'acme/.github/claude.yml@main is too large for the contents API',
    ],
  ])('refuses %s', async (_name, body, expected) => {
    const { origin } = await serve(() => ({ status: 200, body }));
    await expect(client(origin).getFileContent(central, 'claude.yml', 'main')).rejects.toThrow(expected);
  });
});
