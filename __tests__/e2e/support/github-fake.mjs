/**
 * A stateful fake of the GitHub REST API for one pull request, on 127.0.0.1, strict where GitHub is
 * strict and stricter where GitHub is silently lenient. Every request is checked against GitHub's
 * published OpenAPI description (the trimmed fixture from scripts/trim-openapi.mjs): the operation must
 * exist, path/query parameters and the JSON body must match their schemas. Review comments must anchor
 * to lines the PR's patch shows (threat-model row X2: the action may only comment inside the diff);
 * a read-only token gets GitHub's 403. Anything the action got wrong is listed in `failures`.
 * GraphQL answers the review-thread operations from the same state (each review comment starts one
 * thread); a read-only token gets GitHub's FORBIDDEN error for `resolveReviewThread`.
 */
import fs from 'node:fs';
import http from 'node:http';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parseHunks } from './diff-lines.mjs';

/** ajv-formats is CommonJS: under native ESM its default export may be the module object. */
const addFormats = /** @type {import('ajv-formats').FormatsPlugin} */ (
  /** @type {any} */ (addFormatsModule).default ?? addFormatsModule
);

const DEFAULT_SPEC = new URL('../../fixtures/github-openapi.json', import.meta.url);
const DOCS = 'https://docs.github.com/rest';

/**
 * @typedef {{ filename: string, status: string, patch?: string, previous_filename?: string,
 *   additions?: number, deletions?: number, changes?: number, sha?: string }} PullFile
 * @typedef {{ number: number, headSha: string, baseSha: string, files: PullFile[], title?: string,
 *   body?: string, author?: string, headRef?: string, baseRef?: string, headRepo?: string,
 *   state?: 'open' | 'closed' }} PullSpec
 * @typedef {{ login: string, id: number, type: string }} User
 * @typedef {{ id: number, node_id: string, body: string, user: User, created_at: string, updated_at: string,
 *   html_url: string }} IssueComment
 * @typedef {{ id: number, node_id: string, pull_request_review_id: number, path: string, line: number | null,
 *   side: string, start_line: number | null, start_side: string | null, body: string, commit_id: string,
 *   user: User, author_association: string, created_at: string, updated_at: string, html_url: string,
 *   in_reply_to_id?: number }} ReviewComment
 * @typedef {{ id: string, comment_id: number, isResolved: boolean }} ReviewThread
 * @typedef {{ id: number, node_id: string, user: User, body: string, state: string, commit_id: string,
 *   submitted_at: string, html_url: string, comments: ReviewComment[] }} Review
 * @typedef {{ method: string, url: string, path: string, headers: http.IncomingHttpHeaders, body: unknown,
 *   operationId?: string, status: number }} GitHubRequest
 * @typedef {{ method: string, url: string, status: number, message: string }} Failure
 * @typedef {{ owner: string, repo: string, pull: PullSpec, token?: string, spec?: string | object,
 *   permissions?: { 'pull-requests'?: 'write' | 'read' }, collaborators?: Record<string, string>,
 *   issueComments?: { body: string, user?: string }[],
 *   reviewComments?: { path: string, line: number | null, body: string, user?: string, resolved?: boolean }[],
 *   botLogin?: string, rejectUnknownFields?: boolean, port?: number, latencyMs?: number,
 *   faults?: { operationId: string, status: number, body?: unknown, headers?: Record<string, string>, times?: number }[] }} GitHubFakeOptions
 */

/**
 * Start the fake. `rejectUnknownFields` (default true): a body field the schema does not name is a 422
 * here although GitHub ignores it — a misspelt `start_line` would otherwise pass silently.
 * @param {GitHubFakeOptions} options
 */
export async function startGitHubFake(options) {
  const { owner, repo, pull } = options;
  const token = options.token ?? 'ghs_e2eFakeToken000000000000000000000000';
  const bot = user(options.botLogin ?? 'github-actions[bot]', 'Bot');
  const readOnly = options.permissions?.['pull-requests'] === 'read';
  const routes = compileSpec(loadSpec(options.spec), options.rejectUnknownFields ?? true);
  /** @type {GitHubRequest[]} */
  const requests = [];
  /** @type {Failure[]} */
  const failures = [];
  /** @type {unknown[]} */
  const graphql = [];
  const state = {
    /** @type {Review[]} */ reviews: [],
    /** @type {IssueComment[]} */ issueComments: [],
    /** @type {ReviewComment[]} */ reviewComments: [],
    /** @type {ReviewThread[]} */ reviewThreads: [],
  };
  let nextId = 1000;
  let baseUrl = '';
  // Every commit that was the pull request's head while the fake ran is a commit of the pull request:
  // GitHub takes a review on an earlier commit of the PR (its lines are then checked against the diff).
  const heads = new Set([pull.headSha]);
  const now = () => new Date().toISOString();
  const htmlBase = `https://github.com/${owner}/${repo}/pull/${pull.number}`;
  for (const c of options.issueComments ?? []) {
    const login = c.user ?? 'octocat';
    state.issueComments.push(issueComment(c.body, user(login, login.endsWith('[bot]') ? 'Bot' : 'User')));
  }
  for (const c of options.reviewComments ?? []) {
    const login = c.user ?? 'octocat';
    addReview(user(login, login.endsWith('[bot]') ? 'Bot' : 'User'), '', 'COMMENTED', [c]);
    const thread = state.reviewThreads[state.reviewThreads.length - 1];
    thread.isResolved = c.resolved === true;
  }

  /** @param {string} body @param {User} author @returns {IssueComment} */
  function issueComment(body, author) {
    const id = nextId++;
    const t = now();
    return {
      id,
      node_id: `IC_${id}`,
      body,
      user: author,
      created_at: t,
      updated_at: t,
      html_url: `${htmlBase}#issuecomment-${id}`,
    };
  }

  /**
   * Store a review and its comments, each comment starting a thread of its own.
   * @param {User} author @param {string} body @param {string} reviewState
   * @param {{ path: string, line?: number | null, side?: string, start_line?: number, start_side?: string, body: string }[]} comments
   * @returns {Review}
   */
  function addReview(author, body, reviewState, comments) {
    const id = nextId++;
    /** @type {Review} */
    const review = {
      id,
      node_id: `PRR_${id}`,
      user: author,
      body,
      state: reviewState,
      commit_id: pull.headSha,
      submitted_at: now(),
      html_url: `${htmlBase}#pullrequestreview-${id}`,
      comments: comments.map((c) => {
        const cid = nextId++;
        return {
          id: cid,
          node_id: `PRRC_${cid}`,
          pull_request_review_id: id,
          path: c.path,
          line: c.line ?? null,
          side: c.side ?? 'RIGHT',
          start_line: c.start_line ?? null,
          start_side: c.start_line === undefined ? null : (c.start_side ?? c.side ?? 'RIGHT'),
          body: c.body,
          commit_id: pull.headSha,
          user: author,
          author_association: 'NONE',
          created_at: now(),
          updated_at: now(),
          html_url: `${htmlBase}#discussion_r${cid}`,
        };
      }),
    };
    state.reviews.push(review);
    state.reviewComments.push(...review.comments);
    state.reviewThreads.push(
      ...review.comments.map((c) => ({ id: `PRRT_${c.id}`, comment_id: c.id, isResolved: false })),
    );
    return review;
  }

  /**
   * The review-thread operations (a listing query and the resolve mutation); any other query gets
   * `{ data: {} }`. Fields the query does not name are left out, as GitHub would.
   * @param {any} body @returns {{ data: unknown, errors?: GraphqlError[] }}
   */
  function answerGraphql(body) {
    const query = String(body?.query ?? '');
    const vars = body?.variables ?? {};
    const arg = (/** @type {string} */ field, /** @type {string} */ name) =>
      argument(query, field, name, vars);
    /** @param {string} type @param {string} message @param {string[]} path @param {unknown} data */
    const error = (type, message, path, data) => ({ data, errors: [{ type, path, message }] });
    if (/\bresolveReviewThread\b/.test(query)) {
      const unanswered = { resolveReviewThread: null };
      if (readOnly) {
        return error(
          'FORBIDDEN',
          'Resource not accessible by integration',
          ['resolveReviewThread'],
          unanswered,
        );
      }
      const threadId = arg('resolveReviewThread', 'threadId');
      const thread = state.reviewThreads.find((t) => t.id === threadId);
      if (!thread) {
        const message = `Could not resolve to a node with the global id of '${threadId}'`;
        return error('NOT_FOUND', message, ['resolveReviewThread'], unanswered);
      }
      thread.isResolved = true;
      return select(
        { data: { resolveReviewThread: { thread: { id: thread.id, isResolved: true } } } },
        query,
      );
    }
    if (/\breviewThreads\b/.test(query)) {
      const name = `${arg('repository', 'owner')}/${arg('repository', 'name')}`;
      if (name.toLowerCase() !== `${owner}/${repo}`.toLowerCase()) {
        const message = `Could not resolve to a Repository with the name '${name}'.`;
        return error('NOT_FOUND', message, ['repository'], { repository: null });
      }
      const number = Number(arg('pullRequest', 'number'));
      if (number !== pull.number) {
        const message = `Could not resolve to a PullRequest with the number of ${number}.`;
        return error('NOT_FOUND', message, ['repository', 'pullRequest'], {
          repository: { pullRequest: null },
        });
      }
      const first = Number(arg('reviewThreads', 'first'));
      if (!(first >= 1 && first <= 100)) {
        const message = `The \`reviewThreads\` connection needs \`first\` between 1 and 100 (got ${first}).`;
        return error('EXCESSIVE_PAGINATION', message, ['repository', 'pullRequest', 'reviewThreads'], null);
      }
      const after = arg('reviewThreads', 'after');
      const start =
        typeof after === 'string' ? Number(Buffer.from(after, 'base64').toString().slice(7)) + 1 : 0;
      const slice = state.reviewThreads.slice(start, start + first);
      const nodes = slice.map((t) => {
        const c = state.reviewComments.find((x) => x.id === t.comment_id);
        const comment = c && { databaseId: c.id, body: c.body, author: { login: c.user.login } };
        return { id: t.id, isResolved: t.isResolved, comments: { nodes: comment ? [comment] : [] } };
      });
      const end = start + slice.length;
      const pageInfo = {
        hasNextPage: end < state.reviewThreads.length,
        endCursor: slice.length ? Buffer.from(`cursor:${end - 1}`).toString('base64') : null,
      };
      return select({ data: { repository: { pullRequest: { reviewThreads: { nodes, pageInfo } } } } }, query);
    }
    return { data: {} };
  }

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', baseUrl);
      /** @type {GitHubRequest} */
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        headers: req.headers,
        body: undefined,
        status: 0,
      };
      requests.push(record);
      /** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
      const reply = (status, body, headers = {}) => {
        record.status = status;
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        const type = typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8';
        const send = () =>
          res
            .writeHead(status, {
              'content-type': type,
              'x-github-request-id': `FAKE:${requests.length}`,
              ...headers,
            })
            .end(text);
        // A round trip to the real API takes 100–300 ms; `latencyMs` lets a bench count them in time.
        if (options.latencyMs) setTimeout(send, options.latencyMs);
        else send();
      };
      /** @param {number} status @param {string} message @param {Record<string, unknown>} [extra] */
      const fail = (status, message, extra = {}) => {
        failures.push({
          method: record.method,
          url: record.url,
          status,
          message: [message, .../** @type {string[]} */ (extra.errors ?? [])].join(': '),
        });
        reply(status, { message, ...extra, documentation_url: DOCS, status: String(status) });
      };

      const raw = Buffer.concat(chunks).toString('utf8');
      if (raw) {
        try {
          record.body = JSON.parse(raw);
        } catch {
          fail(400, 'Problems parsing JSON');
          return;
        }
      }
      const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '');
      if (auth?.[1] !== token) {
        fail(401, 'Bad credentials');
        return;
      }
      if (record.method === 'POST' && url.pathname === '/graphql') {
        graphql.push(record.body);
        const answer = answerGraphql(record.body);
        const misuse = answer.errors?.find((e) => e.type !== 'FORBIDDEN');
        if (misuse) failures.push({ method: 'POST', url: record.url, status: 200, message: misuse.message });
        reply(200, answer);
        return;
      }
      const match = route(routes, record.method, url.pathname);
      if (!match) {
        fail(404, 'Not Found', {
          errors: [`no operation ${record.method} ${url.pathname} in the OpenAPI description`],
        });
        return;
      }
      record.operationId = match.op.operationId;
      const problems = match.op.check(match.params, url.searchParams, record.body);
      if (problems.length > 0) {
        fail(422, `Invalid request.\n\n${problems.join('\n')}`);
        return;
      }
      if (
        match.params.owner.toLowerCase() !== owner.toLowerCase() ||
        match.params.repo.toLowerCase() !== repo.toLowerCase()
      ) {
        fail(404, 'Not Found', { errors: [`the fake serves ${owner}/${repo} only`] });
        return;
      }
      const number = Number(match.params.pull_number ?? match.params.issue_number ?? pull.number);
      if (number !== pull.number) {
        fail(404, 'Not Found', { errors: [`the fake serves pull request #${pull.number} only`] });
        return;
      }
      const fault = (options.faults ?? []).find(
        (f) => f.operationId === match.op.operationId && (f.times === undefined || f.times > 0),
      );
      if (fault) {
        if (fault.times !== undefined) fault.times--;
        reply(
          fault.status,
          fault.body ?? {
            message: `injected ${fault.status}`,
            documentation_url: DOCS,
            status: String(fault.status),
          },
          fault.headers,
        );
        return;
      }
      if (readOnly && record.method !== 'GET') {
        reply(403, {
          message: 'Resource not accessible by integration',
          documentation_url: DOCS,
          status: '403',
        });
        return;
      }
      handle(
        match.op.operationId,
        match.params,
        url,
        /** @type {any} */ (record.body) ?? {},
        req.headers,
        reply,
        fail,
      );
    });
  });

  /**
   * @param {string} operationId @param {Record<string, string>} params @param {URL} url @param {any} body
   * @param {http.IncomingHttpHeaders} headers
   * @param {(status: number, body: unknown, headers?: Record<string, string>) => void} reply
   * @param {(status: number, message: string, extra?: Record<string, unknown>) => void} fail
   */
  function handle(operationId, params, url, body, headers, reply, fail) {
    heads.add(pull.headSha);
    const page = (/** @type {unknown[]} */ items) => {
      const { slice, link } = paginate(items, url);
      reply(200, slice, link ? { link } : {});
    };
    switch (operationId) {
      case 'pulls/get':
        if (/diff/.test(String(headers.accept))) return reply(200, unifiedDiff(pull.files));
        return reply(200, pullObject(owner, repo, pull));
      case 'pulls/list': {
        // The one pull request, when it matches the filters the action sends (state, head owner:branch).
        const object = pullObject(owner, repo, pull);
        const state = url.searchParams.get('state') ?? 'open';
        const head = url.searchParams.get('head');
        const matches =
          (state === 'all' || state === object.state) &&
          (head === null ||
            head.toLowerCase() === `${object.head.repo.owner.login}:${object.head.ref}`.toLowerCase());
        return page(matches ? [object] : []);
      }
      case 'pulls/list-files':
        return page(pull.files.map(fileObject));
      case 'pulls/list-reviews':
        return page(state.reviews.map(({ comments: _c, ...r }) => r));
      case 'pulls/list-review-comments':
        return page(state.reviewComments);
      case 'pulls/create-review': {
        if (body.commit_id !== undefined && !heads.has(body.commit_id)) {
          return fail(422, 'Unprocessable Entity', {
            errors: [`No commit found for SHA: ${body.commit_id}`],
          });
        }
        const errors = (body.comments ?? []).flatMap((/** @type {any} */ c) => anchorErrors(c, pull.files));
        if (errors.length > 0) return fail(422, 'Unprocessable Entity', { errors });
        const review = addReview(
          bot,
          body.body ?? '',
          { COMMENT: 'COMMENTED', APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED' }[
            String(body.event)
          ] ?? 'PENDING',
          body.comments ?? [],
        );
        const { comments: _c, ...response } = review;
        return reply(200, response);
      }
      case 'issues/list-comments':
        return page(state.issueComments);
      case 'issues/create-comment': {
        const comment = issueComment(body.body, bot);
        state.issueComments.push(comment);
        return reply(201, comment);
      }
      case 'issues/update-comment': {
        const comment = state.issueComments.find((c) => c.id === Number(params.comment_id));
        if (!comment) return fail(404, 'Not Found', { errors: [`no issue comment ${params.comment_id}`] });
        comment.body = body.body;
        comment.updated_at = now();
        return reply(200, comment);
      }
      case 'issues/get-comment': {
        const comment = state.issueComments.find((c) => c.id === Number(params.comment_id));
        // A deleted comment is an ordinary answer, not a mistake of the action's.
        if (!comment) return reply(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
        return reply(200, comment);
      }
      case 'pulls/get-review-comment': {
        const comment = state.reviewComments.find((c) => c.id === Number(params.comment_id));
        if (!comment) return reply(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
        return reply(200, comment);
      }
      case 'pulls/create-reply-for-review-comment': {
        const original = state.reviewComments.find((c) => c.id === Number(params.comment_id));
        if (!original) return fail(404, 'Not Found', { errors: [`no review comment ${params.comment_id}`] });
        if (original.in_reply_to_id !== undefined)
          return fail(422, 'Unprocessable Entity', { errors: ['replies to replies are not supported'] });
        const id = nextId++;
        /** @type {ReviewComment} */
        const comment = {
          ...original,
          id,
          node_id: `PRRC_${id}`,
          body: body.body,
          user: bot,
          author_association: 'NONE',
          created_at: now(),
          updated_at: now(),
          html_url: `${htmlBase}#discussion_r${id}`,
          in_reply_to_id: original.id,
        };
        state.reviewComments.push(comment);
        return reply(201, comment);
      }
      case 'repos/get-collaborator-permission-level': {
        const permission = options.collaborators?.[params.username] ?? 'none';
        return reply(200, { permission, role_name: permission, user: user(params.username, 'User') });
      }
      default:
        return fail(501, 'Not Implemented', { errors: [`the fake has no handler for ${operationId}`] });
    }
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  baseUrl = `http://127.0.0.1:${address.port}`;
  return {
    url: baseUrl,
    token,
    requests,
    failures,
    graphql,
    state,
    /** @returns {Promise<void>} */
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * @typedef {{ type: string, path: string[], message: string }} GraphqlError
 */

/**
 * The value of argument `name` of `field(...)` in a GraphQL document: a `$variable`, a "string" or a number.
 * @param {string} query @param {string} field @param {string} name @param {Record<string, unknown>} vars
 * @returns {unknown}
 */
function argument(query, field, name, vars) {
  const args = new RegExp(`\\b${field}\\s*\\(([^)]*)\\)`).exec(query)?.[1] ?? '';
  const m = new RegExp(`\\b${name}\\s*:\\s*(\\$\\w+|"(?:[^"\\\\]|\\\\.)*"|-?\\d+)`).exec(args);
  if (!m) return undefined;
  return m[1].startsWith('$') ? vars[m[1].slice(1)] : JSON.parse(m[1]);
}

/**
 * `value` with only the object fields whose names the query spells (a rough stand-in for a selection set).
 * @param {unknown} value @param {string} query @returns {any}
 */
function select(value, query) {
  if (Array.isArray(value)) return value.map((v) => select(v, query));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k === 'data' || new RegExp(`\\b${k}\\b`).test(query))
      .map(([k, v]) => [k, select(v, query)]),
  );
}

/** @param {string} login @param {string} type @returns {User} */
function user(login, type) {
  let id = 0;
  for (const ch of login) id = (id * 31 + ch.charCodeAt(0)) % 1e8;
  return { login, id, type };
}

/**
 * Why GitHub would refuse this review comment's anchor (empty when it is fine).
 * @param {{ path: string, line?: number, side?: string, start_line?: number, start_side?: string, position?: number }} c
 * @param {PullFile[]} files
 * @returns {string[]}
 */
export function anchorErrors(c, files) {
  const file = files.find((f) => f.filename === c.path);
  if (!file) return ['Path could not be resolved'];
  if (c.position !== undefined) return ['The fake accepts line/side anchors only (position is closing down)'];
  if (c.line === undefined) return ['Pull request review thread line must be part of the diff'];
  const hunks = parseHunks(file.patch);
  const side = c.side ?? 'RIGHT';
  const hunkOf = (/** @type {number} */ line, /** @type {string} */ s) =>
    hunks.findIndex((h) => (s === 'LEFT' ? h.left : h.right).has(line));
  const end = hunkOf(c.line, side);
  if (end < 0) return ['Pull request review thread line must be part of the diff'];
  if (c.start_line === undefined) return [];
  const startSide = c.start_side ?? side;
  const start = hunkOf(c.start_line, startSide);
  if (start < 0) return ['Pull request review thread start line must be part of the diff'];
  if (start !== end)
    return ['Pull request review thread start line must be part of the same hunk as the line.'];
  if (startSide === side && c.start_line >= c.line)
    return ['Pull request review thread start line must precede the end line.'];
  return [];
}

/** @param {PullFile} f */
function fileObject(f) {
  const lines = (f.patch ?? '').split('\n');
  const additions = f.additions ?? lines.filter((l) => l.startsWith('+')).length;
  const deletions = f.deletions ?? lines.filter((l) => l.startsWith('-')).length;
  return { sha: f.sha ?? '0'.repeat(40), changes: additions + deletions, ...f, additions, deletions };
}

/** The `application/vnd.github.diff` form of the pull request. @param {PullFile[]} files */
function unifiedDiff(files) {
  return files
    .map((f) => {
      const from = f.status === 'added' ? '/dev/null' : `a/${f.previous_filename ?? f.filename}`;
      const to = f.status === 'removed' ? '/dev/null' : `b/${f.filename}`;
      return `diff --git a/${f.previous_filename ?? f.filename} b/${f.filename}\n--- ${from}\n+++ ${to}\n${f.patch ?? ''}\n`;
    })
    .join('');
}

/** @param {string} owner @param {string} repo @param {PullSpec} pull */
function pullObject(owner, repo, pull) {
  const base = { full_name: `${owner}/${repo}`, name: repo, owner: user(owner, 'User'), fork: false };
  const headRepo = pull.headRepo ?? `${owner}/${repo}`;
  const [headOwner, headName] = headRepo.split('/');
  return {
    number: pull.number,
    state: pull.state ?? 'open',
    title: pull.title ?? 'A pull request',
    body: pull.body ?? '',
    user: user(pull.author ?? 'octocat', 'User'),
    html_url: `https://github.com/${owner}/${repo}/pull/${pull.number}`,
    draft: false,
    head: {
      sha: pull.headSha,
      ref: pull.headRef ?? 'feature',
      repo: {
        ...base,
        full_name: headRepo,
        name: headName,
        owner: user(headOwner, 'User'),
        fork: headRepo !== base.full_name,
      },
    },
    base: { sha: pull.baseSha, ref: pull.baseRef ?? 'main', repo: base },
    changed_files: pull.files.length,
  };
}

/**
 * GitHub-style pagination: per_page (default 30, at most 100), page (from 1), and a Link header.
 * @param {unknown[]} items @param {URL} url
 */
function paginate(items, url) {
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
  const pageNo = Number(url.searchParams.get('page') ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (/** @type {number} */ p) => {
    const u = new URL(url);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return `<${u}>`;
  };
  const rels = [];
  if (pageNo < last) rels.push(`${at(pageNo + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (pageNo > 1) rels.push(`${at(pageNo - 1)}; rel="prev"`, `${at(1)}; rel="first"`);
  return { slice: items.slice((pageNo - 1) * perPage, pageNo * perPage), link: rels.join(', ') };
}

/** @param {string | object | undefined} spec */
function loadSpec(spec) {
  if (spec && typeof spec === 'object') return spec;
  return JSON.parse(fs.readFileSync(spec ?? DEFAULT_SPEC, 'utf8'));
}

/**
 * @typedef {{ operationId: string, check: (params: Record<string, string>, query: URLSearchParams, body: unknown) => string[] }} Operation
 * @typedef {{ method: string, pattern: RegExp, names: string[], op: Operation }} Route
 */

/** @param {any} spec @param {boolean} rejectUnknownFields @returns {Route[]} */
function compileSpec(spec, rejectUnknownFields) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  /** @type {Route[]} */
  const routes = [];
  for (const [template, methods] of Object.entries(spec.paths ?? {})) {
    /** @type {string[]} */
    const names = [];
    const pattern = new RegExp(
      '^' +
        template
          .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
          .replace(/\{([^}]+)\}/g, (_m, n) => (names.push(n), '([^/]+)')) +
        '$',
    );
    for (const [method, op] of Object.entries(/** @type {Record<string, any>} */ (methods))) {
      const params = /** @type {{ name: string, in: string, required: boolean, schema: any }[]} */ (
        op.parameters ?? []
      );
      const paramSchema = {
        type: 'object',
        additionalProperties: false,
        required: params.filter((p) => p.required).map((p) => p.name),
        properties: Object.fromEntries(params.map((p) => [p.name, openApiToJsonSchema(p.schema, false)])),
      };
      const validateParams = ajv.compile(paramSchema);
      const body = op.requestBody;
      const validateBody = body
        ? ajv.compile(openApiToJsonSchema(body.schema, rejectUnknownFields))
        : undefined;
      const types = Object.fromEntries(params.map((p) => [p.name, p.schema?.type]));
      routes.push({
        method: method.toUpperCase(),
        pattern,
        names,
        op: {
          operationId: op.operationId,
          check(pathParams, query, data) {
            /** @type {Record<string, unknown>} */
            const values = {};
            for (const [k, v] of [...Object.entries(pathParams), ...query.entries()])
              values[k] = coerce(v, types[k]);
            const problems = validateParams(values) ? [] : describe(validateParams.errors, 'parameters');
            if (data === undefined) {
              if (body?.required) problems.push('A request body is required.');
            } else if (!validateBody) {
              problems.push('This operation takes no request body.');
            } else if (!validateBody(data)) {
              problems.push(...describe(validateBody.errors, 'body'));
            }
            return problems;
          },
        },
      });
    }
  }
  return routes;
}

/** @param {Route[]} routes @param {string} method @param {string} path */
function route(routes, method, path) {
  for (const r of routes) {
    const m = r.method === method ? r.pattern.exec(path) : null;
    if (m)
      return {
        op: r.op,
        params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])])),
      };
  }
  return undefined;
}

/** Query and path values are strings; give them the parameter's declared type when they spell one. */
function coerce(/** @type {string} */ v, /** @type {string | undefined} */ type) {
  if (
    (type === 'integer' && /^-?\d+$/.test(v)) ||
    (type === 'number' && v.trim() !== '' && !isNaN(Number(v)))
  )
    return Number(v);
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

/** GitHub-like wording: "For 'body/comments/0/line', must be integer." @param {import('ajv').ErrorObject[] | null | undefined} errors @param {string} what */
function describe(errors, what) {
  return (errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? `: '${e.params.additionalProperty}'` : '';
    return `For '${what}${e.instancePath}', ${e.message}${extra}.`;
  });
}

/**
 * OpenAPI 3.0 schema → JSON Schema for Ajv: `nullable: true` becomes a 'null' type; optionally every
 * object that lists its properties refuses others.
 * @param {any} schema @param {boolean} closeObjects @returns {any}
 */
function openApiToJsonSchema(schema, closeObjects) {
  if (Array.isArray(schema)) return schema.map((s) => openApiToJsonSchema(s, closeObjects));
  if (schema === null || typeof schema !== 'object') return schema;
  /** @type {Record<string, any>} */
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable') continue;
    if (k === 'properties')
      out[k] = Object.fromEntries(
        Object.entries(v).map(([n, s]) => [n, openApiToJsonSchema(s, closeObjects)]),
      );
    else if (k === 'enum' || k === 'required' || k === 'default') out[k] = v;
    else out[k] = openApiToJsonSchema(v, closeObjects);
  }
  if (closeObjects && out.properties && out.additionalProperties === undefined)
    out.additionalProperties = false;
  if (schema.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}
