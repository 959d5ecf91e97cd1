/**
 * The key proxy: threat-model defence 3 (rows S1, X5, X6). The agent gets ANTHROPIC_BASE_URL pointing at
 * this loopback server and a per-run token in place of the API key, so the real key is never in its
 * process, environment or reach (S1). The server:
 * - accepts a request only when it presents the token (`x-api-key` or `Authorization: Bearer`),
 *   compared in constant time (401 otherwise);
 * - forwards only `POST /v1/messages` and `POST /v1/messages/count_tokens` (any query string), so the
 *   key opens nothing else of the account (403 otherwise) and the model API is the only way out (X5);
 * - swaps in the real key, forwards an allow-list of request headers (never `authorization`), and streams
 *   bodies both ways chunk by chunk;
 * - meters token usage from every model response as it streams by, and once the spend reaches the budget
 *   refuses further requests with 402 (X6). 402 because Claude Code 2.1.332 does not retry it (observed:
 *   one request, exit 1, "API Error: 402 …"), while it retries 400 and 429.
 * The audit it emits never holds the key or the token, nor any header or body.
 *
 * Upstream is asked for `accept-encoding: identity`. The CLI offers gzip/br/zstd; passing that through
 * would let the client pick an encoding the meter must decode, and a body the meter cannot read is spend
 * it cannot count. If a model response still carries no readable usage (an upstream that compresses
 * anyway, a stream cut before its first event), the proxy fails closed: it refuses every later request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { EventStreamReader, EVENTSTREAM_TYPE } from '../providers/eventstream.js';
import { TOKEN_HEADER } from '../providers/provider.js';
import { createProviderUpstream, type ProviderRoute, type ProviderUpstream } from '../providers/upstream.js';
import { parseUpstreamAuthConfig, type UpstreamAuthConfig } from '../providers/upstream-auth.js';

/** USD per million tokens. */
export interface Prices {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** Model family (a substring of the model id, lower case, first match wins) → prices. */
export type PriceTable = Record<string, Prices>;

/**
 * Standard-context list prices, the highest in each family (Opus 4/4.1; Opus 4.5 and later list at
 * $5/$25), cache writes at the 5-minute rate (1.25× input), cache reads at 0.1× input. A budget is a
 * ceiling, so pricing high errs on the side of stopping early.
 */
export const DEFAULT_PRICES: PriceTable = {
  opus: { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  sonnet: { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  haiku: { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
};

export interface KeyProxySettings {
  /** Model API origin (plus an optional base path), e.g. https://api.anthropic.com. */
  upstream: string;
  /** The real key; sent upstream only. '' when `upstreamAuth` carries the credential instead. */
  apiKey: string;
  /** Another provider's credential (src/providers): then `route` says which targets it accepts. */
  upstreamAuth?: UpstreamAuthConfig;
  route?: ProviderRoute;
  /** The per-run token the agent presents (see newProxyToken). */
  token: string;
  budgetUsd: number;
  prices?: PriceTable;
  /** Larger request bodies get 413. Default 32 MiB. */
  maxRequestBytes?: number;
  /** Upstream socket silence that ends a request with 502. Default 10 minutes (the CLI's own API timeout). */
  upstreamIdleTimeoutMs?: number;
}

export interface KeyProxyConfig extends KeyProxySettings {
  onAudit?(entry: AuditEntry): void;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

export interface ModelUsage extends TokenCounts {
  costUsd: number;
  /** The price-table family used. */
  pricedAs: string;
  /** No family matched the model id, so it was priced as the most expensive family. */
  unknownModel: boolean;
}

export interface Usage {
  byModel: Record<string, ModelUsage>;
  costUsd: number;
  /** Requests forwarded upstream. */
  requests: number;
  /** Requests refused: bad token, path, budget, size. */
  refused: number;
  /** Model responses without readable usage (each one stops all later requests). */
  unmetered: number;
}

export type AuditEvent =
  | 'forwarded'
  | 'bad-token'
  | 'refused-path'
  | 'budget-exceeded'
  | 'too-large'
  | 'upstream-error'
  | 'unmetered'
  | 'unknown-model';

export interface AuditEntry {
  time: string;
  event: AuditEvent;
  method?: string;
  /** Request target, scrubbed of the key and token, control characters removed, truncated. */
  path?: string;
  status?: number;
  model?: string;
  /** Cost of this request. */
  costUsd?: number;
  ms?: number;
  detail?: string;
}

export interface KeyProxy {
  listen(): Promise<number>;
  close(): Promise<void>;
  usage(): Usage;
}

const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;
const AUDIT_PATH_CHARS = 120;

/** A fresh per-run token: 32 random bytes, base64url. */
export function newProxyToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Validates settings read from an untyped source. Errors name the field, never its value. */
export function parseKeyProxySettings(value: unknown): KeyProxySettings {
  const fail = (field: string, what: string): never => {
    throw new Error(`key proxy config: '${field}' ${what}`);
  };
  if (!isRecord(value)) return fail('(root)', 'must be a JSON object');
  const { upstream, apiKey, token, budgetUsd, prices, maxRequestBytes, upstreamIdleTimeoutMs } = value;
  if (value.upstreamAuth !== undefined) parseUpstreamAuthConfig(value.upstreamAuth);
  let url: URL | undefined;
  try {
    url = new URL(String(upstream));
  } catch {
    fail('upstream', 'must be an http(s) URL');
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    fail('upstream', 'must be an http(s) URL without credentials, query or fragment');
  }
  if (typeof apiKey !== 'string' || (apiKey === '' && value.upstreamAuth === undefined))
    fail('apiKey', 'must be a non-empty string');
  if (typeof token !== 'string' || token.length < 32)
    fail('token', 'must be a string of at least 32 characters');
  if (!isPositive(budgetUsd)) fail('budgetUsd', 'must be a number > 0');
  if (prices !== undefined && !isPriceTable(prices))
    fail('prices', 'must map families to non-negative prices');
  if (maxRequestBytes !== undefined && !isPositive(maxRequestBytes)) fail('maxRequestBytes', 'must be > 0');
  if (upstreamIdleTimeoutMs !== undefined && !isPositive(upstreamIdleTimeoutMs)) {
    fail('upstreamIdleTimeoutMs', 'must be > 0');
  }
  return value as unknown as KeyProxySettings;
}

/** The only request targets forwarded: the Messages API and its token counter, POST, any query string. */
export function isModelApiTarget(method: string | undefined, target: string | undefined): boolean {
  return method === 'POST' && /^\/v1\/messages(?:\/count_tokens)?(?:\?[^#]*)?$/.test(target ?? '');
}

/**
 * True when `x-api-key`, `Authorization: Bearer` or (Bedrock and Vertex mode, through
 * ANTHROPIC_CUSTOM_HEADERS) `x-claude-guard-token` carries the token (constant-time comparison).
 */
export function presentsToken(headers: IncomingHttpHeaders, token: string): boolean {
  const wanted = sha256(token);
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
  return [headers['x-api-key'], bearer, headers[TOKEN_HEADER]].some(
    (offered) => typeof offered === 'string' && offered !== '' && timingSafeEqual(sha256(offered), wanted),
  );
}

const FORWARDED_HEADERS = new Set(['accept', 'content-type', 'content-length', 'user-agent', 'x-app']);
const FORWARDED_PREFIXES = ['anthropic-', 'x-stainless-', 'x-claude-code-'];

/** Request headers sent upstream: an allow-list, identity encoding, and the real key. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, apiKey: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (
      value !== undefined &&
      (FORWARDED_HEADERS.has(name) || FORWARDED_PREFIXES.some((p) => name.startsWith(p)))
    ) {
      headers[name] = value;
    }
  }
  headers['accept-encoding'] = 'identity';
  headers['x-api-key'] = apiKey;
  return headers;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Response headers passed back: all but hop-by-hop ones (including those the Connection header names). */
export function downstreamResponseHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(upstream.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim()),
  );
  return Object.fromEntries(
    Object.entries(upstream).filter(
      ([name, value]) => value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name),
    ),
  );
}

/** Prices for a model id: its family's, or for an unknown model the most expensive family's. */
export function priceFor(
  model: string,
  table: PriceTable,
): { family: string; prices: Prices; known: boolean } {
  const id = model.toLowerCase();
  const family = Object.keys(table).find((f) => id.includes(f.toLowerCase()));
  if (family !== undefined) return { family, prices: table[family], known: true };
  const [dearest, prices] = Object.entries(table).reduce((a, b) =>
    b[1].input + b[1].output > a[1].input + a[1].output ? b : a,
  );
  return { family: dearest, prices, known: false };
}

export function costUsd(tokens: TokenCounts, p: Prices): number {
  return (
    (tokens.inputTokens * p.input +
      tokens.outputTokens * p.output +
      tokens.cacheCreationInputTokens * p.cacheWrite +
      tokens.cacheReadInputTokens * p.cacheRead) /
    1e6
  );
}

export function emptyUsage(): Usage {
  return { byModel: {}, costUsd: 0, requests: 0, refused: 0, unmetered: 0 };
}

export function createKeyProxy(config: KeyProxyConfig): KeyProxy {
  const settings = parseKeyProxySettings(config);
  const { apiKey, token, budgetUsd } = settings;
  const prices = settings.prices ?? DEFAULT_PRICES;
  const maxRequestBytes = settings.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const idleTimeoutMs = settings.upstreamIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const upstream = new URL(settings.upstream);
  const provider: ProviderUpstream | undefined = settings.upstreamAuth
    ? createProviderUpstream(
        settings.upstream,
        settings.route ?? { provider: 'anthropic' },
        settings.upstreamAuth,
      )
    : undefined;
  const basePath = upstream.pathname.replace(/\/+$/, '');
  const client = upstream.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const usage = emptyUsage();
  let unmeteredStop = false;

  const audit = (entry: Omit<AuditEntry, 'time'>): void =>
    config.onAudit?.({ time: new Date().toISOString(), ...entry });

  const scrub = (target: string): string =>
    [apiKey, ...(provider?.secrets() ?? [])]
      .filter((secret) => secret !== '')
      .reduce((text, secret) => text.split(secret).join('[key]'), target)
      .split(token)
      .join('[token]')
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .slice(0, AUDIT_PATH_CHARS);

  /** Adds a token delta to the totals; returns its cost. */
  const charge = (model: string, delta: TokenCounts): number => {
    const { family, prices: p, known } = priceFor(model, prices);
    let row = usage.byModel[model];
    if (!row) {
      row = { ...zeroTokens(), costUsd: 0, pricedAs: family, unknownModel: !known };
      usage.byModel[model] = row;
      if (!known) audit({ event: 'unknown-model', model: scrub(model), detail: `priced as ${family}` });
    }
    const cost = costUsd(delta, p);
    for (const k of TOKEN_KEYS) row[k] += delta[k];
    row.costUsd += cost;
    usage.costUsd += cost;
    return cost;
  };

  const spendStop = (): string | undefined => {
    if (unmeteredStop) return 'claude-guard stopped spending: a model response could not be metered';
    if (usage.costUsd >= budgetUsd) return `claude-guard budget of $${budgetUsd} reached`;
    return undefined;
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    entry: Omit<AuditEntry, 'time'>,
  ): void => {
    usage.refused++;
    audit({ ...entry, status });
    sendError(res, status, type, message, { 'x-should-retry': 'false' });
  };

  const tooLarge = (res: ServerResponse, where: AuditWhere): void => {
    res.shouldKeepAlive = false; // the rest of the body is not read
    const message = `claude-guard proxy: request body over ${maxRequestBytes} bytes`;
    refuse(res, 413, 'request_too_large', message, { event: 'too-large', ...where });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? '';
    const target = req.url ?? '';
    const where = { method, path: scrub(target) };
    if (!presentsToken(req.headers, token)) {
      refuse(res, 401, 'authentication_error', 'claude-guard proxy: missing or wrong token', {
        event: 'bad-token',
        ...where,
      });
      return;
    }
    if (provider ? !provider.allows(method, target) : !isModelApiTarget(method, target)) {
      const message = provider
        ? "claude-guard proxy forwards only the provider's model invocations"
        : 'claude-guard proxy forwards only POST /v1/messages and POST /v1/messages/count_tokens';
      refuse(res, 403, 'permission_error', message, { event: 'refused-path', ...where });
      return;
    }
    const stop = spendStop();
    if (stop) {
      refuse(res, 402, 'budget_exceeded', stop, { event: 'budget-exceeded', ...where, detail: stop });
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxRequestBytes) {
      tooLarge(res, where);
      return;
    }
    if (provider) forwardToProvider(provider, req, res, target, where);
    else forward(req, res, target, where);
  };

  /** Reads the whole body (bounded), lets the provider sign it, then forwards like `forward`. */
  const forwardToProvider = (
    provider: ProviderUpstream,
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    where: AuditWhere,
  ): void => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) over = true;
      else parts.push(chunk);
    });
    req.on('end', () => {
      if (over) {
        tooLarge(res, where);
        return;
      }
      const body = Buffer.concat(parts);
      provider.prepare({ method: 'POST', target, headers: req.headers, body }).then(
        ({ url, headers }) => send(req, res, target, where, { url, headers, body }),
        (err: Error) => {
          usage.refused++;
          audit({ event: 'upstream-error', ...where, status: 502, detail: 'signing failed' });
          sendError(
            res,
            502,
            'api_error',
            `claude-guard proxy could not sign the request: ${scrub(err.message)}`,
          );
        },
      );
    });
  };

  const forward = (req: IncomingMessage, res: ServerResponse, target: string, where: AuditWhere): void =>
    send(req, res, target, where);

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    where: AuditWhere,
    prepared?: { url: URL; headers: OutgoingHttpHeaders; body: Buffer },
  ): void => {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    let settled = false;
    const settle = (entry: Omit<AuditEntry, 'time'>): void => {
      if (settled) return;
      settled = true;
      audit({ ...where, ...entry, ms: ms() });
    };

    usage.requests++;
    const upstreamReq = client.request({
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      path: prepared ? prepared.url.pathname + prepared.url.search : basePath + target,
      method: 'POST',
      headers: prepared ? prepared.headers : upstreamRequestHeaders(req.headers, apiKey),
      agent,
    });
    upstreamReq.setTimeout(idleTimeoutMs, () =>
      upstreamReq.destroy(Object.assign(new Error('upstream idle timeout'), { code: 'ETIMEDOUT' })),
    );
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      const code = err.code ?? 'error';
      settle({ event: 'upstream-error', detail: code });
      if (res.headersSent || res.destroyed) res.destroy();
      else sendError(res, 502, 'api_error', `claude-guard proxy could not reach the model API (${code})`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });

    let received = 0;
    if (prepared) upstreamReq.end(prepared.body);
    else
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= maxRequestBytes || settled) return;
        req.unpipe(upstreamReq);
        settled = true;
        upstreamReq.destroy();
        tooLarge(res, where);
      });
    if (!prepared) req.pipe(upstreamReq);

    upstreamReq.on('response', (up) => {
      const status = up.statusCode ?? 502;
      res.writeHead(status, up.statusMessage, downstreamResponseHeaders(up.headers));
      const counting = provider
        ? provider.isCountTokens(target)
        : target.startsWith('/v1/messages/count_tokens');
      const meter = status < 300 && !counting ? new ResponseMeter(up) : null;
      pipeline(up, res, (err) => {
        if (meter?.finish(charge) === false) {
          usage.unmetered++;
          unmeteredStop = true;
          audit({
            event: 'unmetered',
            ...where,
            status,
            detail: 'no usage in a model response; refusing from now on',
          });
        }
        settle({
          event: 'forwarded',
          status,
          model: meter?.model === undefined ? undefined : scrub(meter.model),
          costUsd: meter?.costUsd,
          detail: err ? 'interrupted' : undefined,
        });
      });
      meter?.watch(up, charge);
    });
  };

  const server = http.createServer(handle);
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
    usage: () => structuredClone(usage),
  };
}

type AuditWhere = { method: string; path: string };

const TOKEN_KEYS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationInputTokens',
  'cacheReadInputTokens',
] as const;
const API_FIELDS: Record<(typeof TOKEN_KEYS)[number], string> = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheCreationInputTokens: 'cache_creation_input_tokens',
  cacheReadInputTokens: 'cache_read_input_tokens',
};

/**
 * Reads usage from one model response as it streams by: SSE `message_start.message.usage` and
 * `message_delta.usage` (cumulative counts), or a JSON body's `usage`. Charges only the growth of each
 * count, so a partial stream is charged for what it reported.
 */
class ResponseMeter {
  model: string | undefined;
  costUsd = 0;
  private seen = zeroTokens();
  private metered = false;
  private readonly encoded: boolean;
  private readonly sse: boolean;
  private readonly eventstream: boolean;
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(up: IncomingMessage) {
    this.encoded = !/^(identity)?$/i.test(String(up.headers['content-encoding'] ?? '').trim());
    this.sse = String(up.headers['content-type'] ?? '').includes('text/event-stream');
    this.eventstream = String(up.headers['content-type'] ?? '').includes(EVENTSTREAM_TYPE);
  }

  watch(up: IncomingMessage, charge: (model: string, delta: TokenCounts) => number): void {
    if (this.encoded) return;
    if (this.eventstream) {
      // Bedrock: each chunk event carries one Anthropic streaming event (src/providers/eventstream.ts).
      const reader = new EventStreamReader((event) => this.recordEvent(event, charge));
      up.on('data', (chunk: Buffer) => reader.push(chunk));
      return;
    }
    up.on('data', (chunk: Buffer) => (this.sse ? this.scanSse(chunk, charge) : this.collect(chunk)));
  }

  /** Completes metering; false when the response carried no readable usage. */
  finish(charge: (model: string, delta: TokenCounts) => number): boolean {
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    if (this.sse) this.scanLines(rest, charge);
    else if (this.eventstream) return this.metered;
    else if (!this.encoded && this.bytes <= MAX_JSON_RESPONSE_BYTES) {
      const body = parseJson(rest.toString('utf8'));
      if (isRecord(body)) this.record(body.model, body.usage, charge);
    }
    return this.metered;
  }

  /**
   * Scans complete lines only, and only those that can hold a usage object. Copies nothing but the one
   * line that spans chunks; the rest of a chunk is searched in place.
   */
  private scanSse(chunk: Buffer, charge: (model: string, delta: TokenCounts) => number): void {
    const first = chunk.indexOf(10);
    if (first === -1) {
      this.parts.push(chunk);
      return;
    }
    const last = chunk.lastIndexOf(10);
    const spanning = this.parts.length ? Buffer.concat([...this.parts, chunk.subarray(0, first + 1)]) : null;
    this.parts = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    for (const lines of [spanning ?? chunk.subarray(0, first + 1), chunk.subarray(first + 1, last + 1)]) {
      if (lines.includes('"usage"')) this.scanLines(lines, charge);
    }
  }

  private scanLines(text: Buffer, charge: (model: string, delta: TokenCounts) => number): void {
    for (const line of text.toString('utf8').split('\n')) {
      if (!line.startsWith('data:') || !line.includes('"usage"')) continue;
      this.recordEvent(parseJson(line.slice(5)), charge);
    }
  }

  private recordEvent(event: unknown, charge: (model: string, delta: TokenCounts) => number): void {
    if (!isRecord(event)) return;
    if (event.type === 'message_start' && isRecord(event.message)) {
      this.record(event.message.model, event.message.usage, charge);
    } else if (event.type === 'message_delta') {
      this.record(undefined, event.usage, charge);
    }
  }

  private collect(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.bytes <= MAX_JSON_RESPONSE_BYTES) this.parts.push(chunk);
  }

  private record(
    model: unknown,
    usage: unknown,
    charge: (model: string, delta: TokenCounts) => number,
  ): void {
    if (typeof model === 'string' && model !== '') this.model = model;
    if (!isRecord(usage)) return;
    const delta = zeroTokens();
    for (const k of TOKEN_KEYS) {
      const reported = usage[API_FIELDS[k]];
      if (typeof reported === 'number' && Number.isFinite(reported) && reported > this.seen[k]) {
        delta[k] = reported - this.seen[k];
        this.seen[k] = reported;
      }
    }
    this.metered = true;
    this.costUsd += charge(this.model ?? 'unknown', delta);
  }
}

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

function zeroTokens(): TokenCounts {
  return { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPositive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function isPriceTable(v: unknown): v is PriceTable {
  const price = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  return (
    isRecord(v) &&
    Object.keys(v).length > 0 &&
    !Object.hasOwn(v, '') &&
    Object.values(v).every(
      (p) => isRecord(p) && price(p.input) && price(p.output) && price(p.cacheWrite) && price(p.cacheRead),
    )
  );
}
