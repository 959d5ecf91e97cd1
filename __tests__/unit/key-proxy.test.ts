import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  apiKeyUpstream,
  auditNote,
  checkRequest,
  checkTarget,
  costUsd,
  createKeyProxy,
  downstreamResponseHeaders,
  newProxyToken,
  parseKeyProxySettings,
  presentsToken,
  priceFor,
  type AuditEntry,
  type KeyProxy,
  type KeyProxyConfig,
  type PriceTable,
} from '../../src/isolation/proxy/index.js';

const KEY = 'sk-ant-api03-REAL-KEY-never-leaves-the-proxy-0123456789';
const TOKEN = newProxyToken();
const PRICES: PriceTable = {
  opus: { input: 10, output: 50, cacheWrite: 20, cacheRead: 1 },
  haiku: { input: 1, output: 5, cacheWrite: 2, cacheRead: 0.1 },
};

describe('request decisions', () => {
  test.each([
    ['POST', '/v1/messages', true],
    ['POST', '/v1/messages?beta=true', true],
    ['POST', '/v1/messages?beta=false', false],
    ['POST', '/v1/messages?beta=true&x=1', false],
    ['POST', '/v1/messages/count_tokens', true],
    ['POST', '/v1/messages/count_tokens?beta=true', true],
    ['GET', '/v1/messages', false],
    ['PUT', '/v1/messages', false],
    ['GET', '/v1/models', false],
    ['POST', '/v1/complete', false],
    ['POST', '/v1/messages/batches', false],
    ['POST', '/v1/messages/', false],
    ['POST', '/v1/messagesX', false],
    ['POST', '/V1/messages', false],
    ['POST', '/v1/messages/../x', false],
    ['POST', '/v1/messages/%2e%2e/x', false],
    ['POST', '/v1/messages%2F..%2Fx', false],
    ['POST', '/v1/messages/count_tokens/../../files', false],
    ['POST', '//v1/messages', false],
    ['POST', 'http://evil/v1/messages', false],
    ['POST', '/v1/messages#frag', false],
    [undefined, '/v1/messages', false],
  ])('%s %s → forwarded: %s', (method, target, expected) => {
    expect(typeof checkTarget(method, target) === 'string').toBe(expected);
  });

  test.each<[string, IncomingHttpHeaders, boolean]>([
    ['no credentials', {}, false],
    ['wrong x-api-key', { 'x-api-key': 'nope' }, false],
    ['token prefix', { 'x-api-key': TOKEN.slice(0, -1) }, false],
    ['empty x-api-key', { 'x-api-key': '' }, false],
    ['wrong bearer', { authorization: 'Bearer nope' }, false],
    ['token without Bearer scheme', { authorization: TOKEN }, false],
    ['token in x-api-key', { 'x-api-key': TOKEN }, true],
    ['token as Bearer', { authorization: `Bearer ${TOKEN}` }, true],
    ['token as Bearer, dummy x-api-key', { 'x-api-key': 'dummy', authorization: `Bearer ${TOKEN}` }, true],
  ])('%s → accepted: %s', (_name, headers, expected) => {
    expect(presentsToken(headers, TOKEN)).toBe(expected);
  });

  test('forwarded headers: an allow-list, never a credential or a header the CLI does not send', () => {
    const decision = checkRequest({
      method: 'POST',
      target: '/v1/messages?beta=true',
      headers: {
        'x-api-key': TOKEN,
        authorization: `Bearer ${TOKEN}`,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219',
        'x-stainless-os': 'Linux',
        'x-claude-code-session-id': 's1',
        'x-app': 'cli',
        'user-agent': 'claude-cli/2.1.332',
        'content-type': 'application/json',
        'content-length': '12',
        accept: 'application/json',
        'accept-encoding': 'gzip, br, zstd',
        host: '127.0.0.1:1234',
        connection: 'keep-alive',
        cookie: 'a=b',
        'proxy-authorization': 'Basic eA==',
        'x-forwarded-for': '1.2.3.4',
        'anthropic-custom-thing': '1',
      },
      body: Buffer.from('{}'),
    });
    expect(decision).toEqual({
      allowed: true,
      kind: 'messages',
      headers: {
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'claude-code-20250219',
        'x-stainless-os': 'Linux',
        'x-claude-code-session-id': 's1',
        'x-app': 'cli',
        'user-agent': 'claude-cli/2.1.332',
        'content-type': 'application/json',
        accept: 'application/json',
      },
      dropped: ['anthropic-custom-thing', 'cookie', 'proxy-authorization', 'x-forwarded-for'],
    });
  });

  test('upstream (API key): base path kept, the real key, identity encoding, headers only from the checked set', async () => {
    const upstream = apiKeyUpstream('https://gw.example/anthropic/', KEY);
    const prepared = await upstream.prepare({
      path: '/v1/messages',
      query: '?beta=true',
      headers: { 'anthropic-version': '2023-06-01' },
      body: Buffer.from('{}'),
    });
    expect(prepared.url.href).toBe('https://gw.example/anthropic/v1/messages?beta=true');
    expect(prepared.headers).toEqual({
      'anthropic-version': '2023-06-01',
      'accept-encoding': 'identity',
      'x-api-key': KEY,
    });
    expect(upstream.secrets).toEqual([KEY]);
  });

  test.each<[Omit<AuditEntry, 'time'>, string | undefined]>([
    [{ event: 'forwarded', method: 'POST', path: '/v1/messages', status: 200 }, undefined],
    [
      {
        event: 'refused-request',
        method: 'POST',
        path: '/v1/messages?beta=true',
        status: 400,
        detail: "body field 'mcp_servers' is not forwarded",
      },
      "Key proxy refused POST /v1/messages?beta=true (HTTP 400): body field 'mcp_servers' is not forwarded.",
    ],
    [
      { event: 'refused-path', method: 'GET', path: '(unlisted path)', status: 403, detail: 'only …' },
      'Key proxy refused GET (unlisted path) (HTTP 403): only ….',
    ],
    [
      { event: 'unknown-model', model: 'mystery', detail: 'priced as opus' },
      'Key proxy: model mystery has no known price: priced as opus.',
    ],
    [
      { event: 'upstream-error', method: 'POST', path: '/v1/messages', detail: 'ECONNREFUSED' },
      'Key proxy could not reach the model API for POST /v1/messages: ECONNREFUSED.',
    ],
  ])('job-summary note for %j', (entry, note) => {
    expect(auditNote({ time: '', ...entry })).toBe(note);
  });

  test('response headers: hop-by-hop and Connection-named headers dropped', () => {
    expect(
      downstreamResponseHeaders({
        'content-type': 'text/event-stream',
        'request-id': 'req_1',
        connection: 'keep-alive, x-private',
        'x-private': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
      }),
    ).toEqual({ 'content-type': 'text/event-stream', 'request-id': 'req_1' });
  });

  test.each([
    ['claude-opus-4-1-20250805', 'opus', true],
    ['claude-3-5-haiku-20241022', 'haiku', true],
    ['Claude-Haiku-4-5', 'haiku', true],
    ['claude-sonnet-4-5', 'opus', false],
    ['', 'opus', false],
  ])('price of %s → %s (known: %s)', (model, family, known) => {
    expect(priceFor(model, PRICES)).toEqual({ family, prices: PRICES[family], known });
  });

  test('cost sums the four token kinds at their per-million prices', () => {
    const tokens = {
      inputTokens: 1e6,
      outputTokens: 2e6,
      cacheCreationInputTokens: 3e6,
      cacheReadInputTokens: 4e6,
    };
    expect(costUsd(tokens, PRICES.opus)).toBeCloseTo(10 + 100 + 60 + 4, 10);
  });

  const valid = { upstream: 'https://api.anthropic.com', apiKey: KEY, token: TOKEN, budgetUsd: 5 };
  test.each<[string, Record<string, unknown>]>([
    ['upstream', { upstream: `https://user:${KEY}@api.anthropic.com` }],
    ['upstream', { upstream: 'ftp://api.anthropic.com' }],
    ['upstream', { upstream: 'not a url' }],
    ['apiKey', { apiKey: '' }],
    ['token', { token: 'short' }],
    ['budgetUsd', { budgetUsd: 0 }],
    ['budgetUsd', { budgetUsd: '5' }],
    ['prices', { prices: { opus: { input: -1, output: 1, cacheWrite: 1, cacheRead: 1 } } }],
    ['prices', { prices: {} }],
    ['prices', { prices: { '': { input: 1, output: 1, cacheWrite: 1, cacheRead: 1 } } }],
    ['maxRequestBytes', { maxRequestBytes: -1 }],
  ])('settings: bad %s is named, its value is not', (field, change) => {
    const attempt = () => parseKeyProxySettings({ ...valid, ...change });
    expect(attempt).toThrow(`'${field}'`);
    expect(() => attempt()).not.toThrow(KEY);
  });

  test('settings: a valid object passes', () => {
    expect(parseKeyProxySettings(valid)).toEqual(valid);
  });
});

/** A model API stand-in on 127.0.0.1: records every complete request, replies with the current handler. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type Reply = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

let upstreamPort = 0;
const seen: Seen[] = [];
let reply: Reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 10, 20));
const upstream = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks),
    });
    void reply(req, res);
  });
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function messageBody(model: string, input: number, output: number, cacheWrite = 0, cacheRead = 0): object {
  return {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: 'the text mentions "usage": 999' }],
    usage: {
      input_tokens: input,
      output_tokens: output,
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: cacheRead,
    },
  };
}

function sse(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with agent: false, so the exact request target reaches the proxy unchanged. */
function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer[];
  } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/v1/messages?beta=true',
        headers: { 'content-type': 'application/json', ...(options.headers ?? { 'x-api-key': TOKEN }) },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    const body = options.body ?? '{"model":"claude-haiku-4-5","messages":[]}';
    if (typeof body === 'string') req.end(body);
    else {
      for (const part of body) req.write(part);
      req.end();
    }
  });
}

const proxies: KeyProxy[] = [];
const everyAudit: AuditEntry[] = [];

async function startProxy(
  overrides: Partial<KeyProxyConfig> = {},
): Promise<{ port: number; proxy: KeyProxy; audit: AuditEntry[] }> {
  const audit: AuditEntry[] = [];
  const proxy = createKeyProxy({
    upstream: `http://127.0.0.1:${upstreamPort}`,
    apiKey: KEY,
    token: TOKEN,
    budgetUsd: 100,
    prices: PRICES,
    onAudit: (e) => {
      audit.push(e);
      everyAudit.push(e);
    },
    ...overrides,
  });
  proxies.push(proxy);
  return { port: await proxy.listen(), proxy, audit };
}

/** Waits for a condition that another party makes true; fails with `what` instead of hanging. */
async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  seen.length = 0;
  reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 10, 20));
});

afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

describe('key proxy server', () => {
  test.each<[string, Record<string, string>, number]>([
    ['no credentials', {}, 401],
    ['a wrong x-api-key', { 'x-api-key': 'sk-ant-guess' }, 401],
    ['a wrong Bearer', { authorization: 'Bearer sk-ant-guess' }, 401],
    ['the token in x-api-key', { 'x-api-key': TOKEN }, 200],
    ['the token as Bearer', { authorization: `Bearer ${TOKEN}` }, 200],
  ])('a request with %s → %s', async (_name, headers, status) => {
    const { port, audit } = await startProxy();
    const res = await send(port, { headers });
    expect(res.status).toBe(status);
    expect(seen).toHaveLength(status === 200 ? 1 : 0);
    if (status === 401) {
      expect(JSON.parse(res.body)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
      expect(audit).toEqual([expect.objectContaining({ event: 'bad-token', status: 401 })]);
    }
  });

  test.each([
    ['GET', '/v1/models'],
    ['GET', '/v1/messages'],
    ['POST', '/v1/complete'],
    ['POST', '/v1/messages/batches'],
    ['POST', '/v1/messages/../../v1/files'],
    ['POST', '/v1/messages/%2e%2e/%2e%2e/v1/files'],
    ['POST', '//v1/messages'],
    ['POST', 'http://evil.example/v1/messages'],
    ['HEAD', '/api/hello'],
  ])('%s %s with the token → 403, nothing forwarded', async (method, path) => {
    const { port, proxy, audit } = await startProxy();
    const res = await send(port, { method, path, body: method === 'POST' ? '{}' : '' });
    expect(res.status).toBe(403);
    expect(seen).toHaveLength(0);
    // The audit names a path only from the proxy's own vocabulary (the agent chose the rest).
    const shown = /^\/(v1\/(models|messages|complete|messages\/batches)|api\/hello)$/.test(path)
      ? path
      : '(unlisted path)';
    expect(audit).toEqual([
      expect.objectContaining({ event: 'refused-path', method, path: shown, status: 403 }),
    ]);
    expect(proxy.usage()).toMatchObject({ requests: 0, refused: 1 });
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'mcp_servers',
      {},
      '{"model":"m","messages":[],"mcp_servers":[{"type":"url","url":"http://127.0.0.1:9/"}]}',
    ],
    [
      'a web_fetch server tool',
      {},
      '{"model":"m","tools":[{"type":"web_fetch_20250910","name":"web_fetch"}]}',
    ],
    ['an mcp-client beta', { 'anthropic-beta': 'mcp-client-2025-04-04' }, '{"model":"m"}'],
  ])('a request with %s → 400 naming it, audited, nothing forwarded', async (_name, headers, body) => {
    const { port, proxy, audit } = await startProxy();
    const res = await send(port, { headers: { 'x-api-key': TOKEN, ...headers }, body });
    expect(res.status).toBe(400);
    expect(res.headers['x-should-retry']).toBe('false');
    const error = JSON.parse(res.body) as { type: string; error: { type: string; message: string } };
    expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(error.error.message).toMatch(/mcp_servers|web_fetch_\*|mcp-client-\*/);
    expect(seen).toHaveLength(0);
    expect(audit).toEqual([
      expect.objectContaining({ event: 'refused-request', status: 400, detail: expect.any(String) }),
    ]);
    expect(error.error.message).toContain(audit[0].detail);
    expect(proxy.usage()).toMatchObject({ requests: 0, refused: 1 });
  });

  test('upstream gets the real key, no authorization, never the token; path, query and body intact', async () => {
    const { port } = await startProxy();
    const body = JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    const res = await send(port, {
      path: '/v1/messages/count_tokens?beta=true',
      headers: {
        'x-api-key': TOKEN,
        authorization: `Bearer ${TOKEN}`,
        'anthropic-beta': 'claude-code-20250219',
        cookie: `t=${TOKEN}`,
        'accept-encoding': 'gzip, br',
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    const [got] = seen;
    expect(got.url).toBe('/v1/messages/count_tokens?beta=true');
    expect(got.headers['x-api-key']).toBe(KEY);
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['anthropic-beta']).toBe('claude-code-20250219');
    expect(got.headers['accept-encoding']).toBe('identity');
    expect(got.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    expect(JSON.stringify([got.url, got.headers])).not.toContain(TOKEN);
    expect(got.body.toString()).toBe(body);
  });

  test('an upstream base path is kept in front of the request path', async () => {
    const { port } = await startProxy({ upstream: `http://127.0.0.1:${upstreamPort}/gateway/anthropic/` });
    expect((await send(port)).status).toBe(200);
    expect(seen[0].url).toBe('/gateway/anthropic/v1/messages?beta=true');
  });

  test('SSE is streamed chunk by chunk (each event reaches the client before the next is written)', async () => {
    let clientEvents = 0;
    reply = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_9' });
      const events = [
        sse('message_start', {
          message: { model: 'claude-haiku-4-5', usage: { input_tokens: 100, output_tokens: 1 } },
        }),
        sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'he said "usage": 5' } }),
        sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 40 } }),
        sse('message_stop', {}),
      ];
      for (const [i, event] of events.entries()) {
        res.write(event);
        await until(
          `the client to see event ${i + 1} before event ${i + 2} is written`,
          () => clientEvents > i,
        );
      }
      res.end();
    };
    const { port, proxy } = await startProxy();
    const received = await new Promise<{ headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', headers: { 'x-api-key': TOKEN } },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => {
            body += c;
            clientEvents = body.split('\n\n').length - 1;
          });
          res.on('end', () => resolve({ headers: res.headers, body }));
        },
      );
      req.on('error', reject);
      req.end('{}');
    });
    expect(clientEvents).toBe(4);
    expect(received.headers['request-id']).toBe('req_9');
    const row = proxy.usage().byModel['claude-haiku-4-5'];
    expect(row).toMatchObject({ inputTokens: 100, outputTokens: 40, pricedAs: 'haiku', unknownModel: false });
    expect(row.costUsd).toBeCloseTo((100 * 1 + 40 * 5) / 1e6, 12);
  });

  test('SSE usage split across chunk boundaries and mid-stream is metered', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    reply = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const start = sse('message_start', {
        message: {
          model: 'claude-opus-4-1',
          usage: {
            input_tokens: 5,
            cache_creation_input_tokens: 1000,
            cache_read_input_tokens: 2000,
            output_tokens: 1,
          },
        },
      });
      for (let i = 0; i < start.length; i += 7) res.write(start.slice(i, i + 7));
      await held;
      res.end(sse('message_delta', { usage: { output_tokens: 10 } }) + sse('message_stop', {}));
    };
    const { port, proxy, audit } = await startProxy();
    const done = send(port);
    await until('message_start to be metered', () => proxy.usage().costUsd > 0);
    expect(proxy.usage().byModel['claude-opus-4-1']).toMatchObject({ inputTokens: 5, outputTokens: 1 });
    release();
    expect((await done).status).toBe(200);
    const expected = (5 * 10 + 10 * 50 + 1000 * 20 + 2000 * 1) / 1e6;
    expect(proxy.usage().costUsd).toBeCloseTo(expected, 12);
    expect(audit.at(-1)).toMatchObject({ event: 'forwarded', status: 200, model: 'claude-opus-4-1' });
    expect(audit.at(-1)?.costUsd).toBeCloseTo(expected, 12);
  });

  test('JSON usage is metered; an unknown model is priced as the most expensive family and audited', async () => {
    const { port, proxy, audit } = await startProxy();
    reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 1000, 100, 10, 20));
    await send(port);
    reply = (_req, res) => json(res, 200, messageBody('mystery-model-9', 1000, 0));
    await send(port);
    const usage = proxy.usage();
    expect(usage.byModel['claude-haiku-4-5']).toMatchObject({
      inputTokens: 1000,
      outputTokens: 100,
      cacheCreationInputTokens: 10,
      cacheReadInputTokens: 20,
    });
    expect(usage.byModel['mystery-model-9']).toMatchObject({ pricedAs: 'opus', unknownModel: true });
    expect(usage.costUsd).toBeCloseTo((1000 + 500 + 20 + 2) / 1e6 + (1000 * 10) / 1e6, 12);
    expect(usage).toMatchObject({ requests: 2, refused: 0, unmetered: 0 });
    expect(audit.map((e) => e.event)).toEqual(['forwarded', 'unknown-model', 'forwarded']);
  });

  test('error responses and count_tokens pass through unmetered without stopping the run', async () => {
    const { port, proxy } = await startProxy();
    reply = (_req, res) =>
      json(res, 529, { type: 'error', error: { type: 'overloaded_error', message: 'x' } });
    expect((await send(port)).status).toBe(529);
    reply = (_req, res) => json(res, 200, { input_tokens: 12 });
    expect((await send(port, { path: '/v1/messages/count_tokens' })).body).toBe('{"input_tokens":12}');
    reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 1, 1));
    expect((await send(port)).status).toBe(200);
    expect(proxy.usage()).toMatchObject({ requests: 3, refused: 0, unmetered: 0 });
  });

  test('the budget, once reached, refuses further requests with 402 and an Anthropic-style error', async () => {
    const { port, proxy, audit } = await startProxy({ budgetUsd: 0.01 });
    reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 5000, 1000)); // $0.01
    expect((await send(port)).status).toBe(200);
    const refused = await send(port);
    expect(refused.status).toBe(402);
    expect(JSON.parse(refused.body)).toEqual({
      type: 'error',
      error: { type: 'budget_exceeded', message: 'claude-guard budget of $0.01 reached' },
    });
    expect(seen).toHaveLength(1);
    expect(proxy.usage()).toMatchObject({ requests: 1, refused: 1 });
    expect(audit.at(-1)).toMatchObject({ event: 'budget-exceeded', status: 402 });
  });

  test('below the budget, requests keep flowing', async () => {
    const { port } = await startProxy({ budgetUsd: 0.0101 });
    reply = (_req, res) => json(res, 200, messageBody('claude-haiku-4-5', 5000, 1000)); // $0.01
    expect((await send(port)).status).toBe(200);
    expect((await send(port)).status).toBe(200);
    expect((await send(port)).status).toBe(402);
    expect(seen).toHaveLength(2);
  });

  test.each<[string, Reply]>([
    [
      'a compressed body (upstream ignored identity)',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify(messageBody('claude-haiku-4-5', 1, 1))));
      },
    ],
    ['no usage', (_req, res) => json(res, 200, { type: 'message', model: 'claude-haiku-4-5' })],
  ])('a model response with %s stops all later requests (fails closed)', async (_name, unreadable) => {
    const { port, proxy, audit } = await startProxy();
    reply = unreadable;
    expect((await send(port)).status).toBe(200);
    const refused = await send(port);
    expect(refused.status).toBe(402);
    expect(refused.body).toContain('could not be metered');
    expect(seen).toHaveLength(1);
    expect(proxy.usage()).toMatchObject({ unmetered: 1, refused: 1 });
    expect(audit.map((e) => e.event)).toEqual(['unmetered', 'forwarded', 'budget-exceeded']);
  });

  test('upstream refusing connections → 502 with an Anthropic-style error, no key', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { port, audit } = await startProxy({ upstream: `http://127.0.0.1:${deadPort}` });
    const res = await send(port);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(res.body).toContain('ECONNREFUSED');
    expect(JSON.stringify(res)).not.toContain(KEY);
    expect(audit).toEqual([expect.objectContaining({ event: 'upstream-error', detail: 'ECONNREFUSED' })]);
  });

  test('upstream silent past the idle timeout → 502', async () => {
    reply = () => undefined; // never answers
    const { port } = await startProxy({ upstreamIdleTimeoutMs: 200 });
    const res = await send(port);
    expect(res.status).toBe(502);
    expect(res.body).toContain('ETIMEDOUT');
  });

  test('a client that goes away mid-stream ends the upstream request', async () => {
    let upstreamClosed = false;
    reply = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse('message_start', { message: { model: 'claude-haiku-4-5', usage: { input_tokens: 1 } } }));
      res.on('close', () => (upstreamClosed = true));
    };
    const { port } = await startProxy();
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/messages',
        headers: { 'x-api-key': TOKEN },
      });
      req.on('response', (res) => res.once('data', () => (req.destroy(), resolve())));
      req.on('error', () => undefined);
      req.end('{}');
    });
    await until('the upstream response to be closed', () => upstreamClosed);
  });

  test.each<[string, string | Buffer[]]>([
    ['declared by content-length', 'x'.repeat(2000)],
    ['sent chunked', [Buffer.alloc(600, 'x'), Buffer.alloc(600, 'x'), Buffer.alloc(600, 'x')]],
  ])('a request body over the limit, %s → 413, not forwarded', async (_name, body) => {
    const { port, audit } = await startProxy({ maxRequestBytes: 1000 });
    const res = await send(port, { body });
    expect(res.status).toBe(413);
    expect(seen).toHaveLength(0);
    expect(audit.at(-1)).toMatchObject({ event: 'too-large', status: 413 });
  });

  test('a body over the limit announced with Expect: 100-continue → 413 before the body is sent', async () => {
    const { port, audit } = await startProxy({ maxRequestBytes: 1000 });
    const res = await new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/messages',
        headers: { 'x-api-key': TOKEN, 'content-length': 5000, expect: '100-continue' },
        agent: false,
      });
      req.on('continue', () => ((continued = true), req.end('x'.repeat(5000))));
      req.on('response', (r) => (r.resume(), resolve({ status: r.statusCode ?? 0, continued })));
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(res).toEqual({ status: 413, continued: false });
    expect(seen).toHaveLength(0);
    expect(audit.at(-1)).toMatchObject({ event: 'too-large', status: 413 });
  });

  test('a request with Expect: 100-continue inside the limit gets its 100 and is forwarded', async () => {
    const { port } = await startProxy();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/messages',
        headers: { 'x-api-key': TOKEN, expect: '100-continue', 'content-length': 2 },
        agent: false,
      });
      req.on('continue', () => req.end('{}'));
      req.on('response', (r) => (r.resume(), resolve(r.statusCode ?? 0)));
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  test('the audit never shows a target the agent chose: refused targets are named from a fixed list', async () => {
    const { port, audit } = await startProxy();
    await send(port, { path: `/v1/messages?t=${TOKEN}`, headers: { 'x-api-key': 'wrong' } });
    await send(port, { method: 'GET', path: `/v1/models?k=${KEY}&t=${TOKEN}` });
    await send(port, { path: `/v1/messages?t=${TOKEN}` });
    await send(port, { path: '/v1/canary-secret-value' });
    await send(port, { path: '/v1/messages?beta=true' });
    expect(audit.map((e) => [e.event, e.path])).toEqual([
      ['bad-token', '/v1/messages'],
      ['refused-path', '/v1/models'],
      ['refused-path', '/v1/messages'],
      ['refused-path', '(unlisted path)'],
      ['forwarded', '/v1/messages?beta=true'],
    ]);
  });

  test('no audit entry of this file holds the key or the token', () => {
    expect(everyAudit.length).toBeGreaterThan(30);
    const all = JSON.stringify(everyAudit);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain(TOKEN);
  });
});
