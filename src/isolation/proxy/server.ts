/**
 * The key proxy's HTTP server: threat-model defence 3 (rows S1, X5, X6). The agent gets ANTHROPIC_BASE_URL
 * pointing at this loopback server and a per-run token in place of the API key, so the real key is never
 * in its process, environment or reach (S1). For every request, in this order:
 * 1. the token (`x-api-key` or `Authorization: Bearer`, constant time) or 401 (token.ts);
 * 2. the target: `POST /v1/messages` or `/v1/messages/count_tokens`, or 403 (request-shape.ts);
 * 3. the budget: once spend reaches it, or a response could not be metered, 402 (ledger.ts). 402 because
 *    Claude Code 2.1.332 does not retry it (observed: one request, exit 1, "API Error: 402 …");
 * 4. the size cap, or 413; the body is read whole (it must be checked before anything is sent);
 * 5. the request shape: headers, `anthropic-beta` values and JSON body inside the allow-list the pinned
 *    CLI needs, or 400 naming what was refused (request-shape.ts; no `mcp_servers`, `container`, server
 *    tools, files, URL sources: nothing that makes the provider open a connection for the agent, X5);
 * 6. forwarded through the upstream module (upstream.ts: URL and credentials, the providers' seam), the
 *    response streamed back chunk by chunk while its usage is metered (sse-meter.ts).
 * Every refusal is an Anthropic-style JSON error with `x-should-retry: false` and an audit entry; the
 * audit never holds the key, the token, a header or a body, nor any name the agent chose (audit.ts).
 *
 * Upstream is asked for `accept-encoding: identity`: a body the meter cannot read is spend it cannot count,
 * and a response with no readable usage (compressed anyway, cut before its first event) stops all later
 * requests (fail closed).
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { scrubber, type AuditEntry } from './audit.js';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_REQUEST_BYTES,
  parseKeyProxySettings,
  type KeyProxySettings,
} from './config.js';
import { Ledger, type Usage } from './ledger.js';
import { DEFAULT_PRICES } from './pricing.js';
import { checkRequest, checkTarget } from './request-shape.js';
import { ResponseMeter, type EventstreamReaderFactory } from './sse-meter.js';
import { presentsToken } from './token.js';
import { apiKeyUpstream, type Upstream } from './upstream.js';

export interface KeyProxyConfig extends KeyProxySettings {
  onAudit?(entry: AuditEntry): void;
  /** Where allowed requests go (default: the Anthropic API at `upstream` with `apiKey`). */
  upstreamFor?(settings: KeyProxySettings): Upstream;
  /** The provider's request shape (default: the Messages API's, request-shape.ts). */
  shape?: RequestShape;
}

/** Which targets and requests are forwarded: request-shape.ts, or a provider's (src/providers/shape.ts). */
export interface RequestShape {
  checkTarget: typeof checkTarget;
  checkRequest: typeof checkRequest;
}

export interface KeyProxy {
  listen(): Promise<number>;
  close(): Promise<void>;
  usage(): Usage;
}

/** Request paths that may appear in the audit when refused; any other path is shown as unlisted. */
const KNOWN_PATHS = new Set([
  '/',
  '/api/hello',
  '/v1/models',
  '/v1/files',
  '/v1/complete',
  '/v1/messages',
  '/v1/messages/count_tokens',
  '/v1/messages/batches',
  '/v1/skills',
  '/api/oauth/claude_cli/create_api_key',
]);

type AuditWhere = { method: string; path: string };

export function createKeyProxy(config: KeyProxyConfig): KeyProxy {
  const settings = parseKeyProxySettings(config);
  const { token } = settings;
  const maxRequestBytes = settings.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const idleTimeoutMs = settings.upstreamIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const upstream = (config.upstreamFor ?? ((s) => apiKeyUpstream(s.upstream, s.apiKey)))(settings);
  const shape: RequestShape = config.shape ?? { checkTarget, checkRequest };
  const client = upstream.origin.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true });
  const scrub = scrubber({
    key: settings.apiKey,
    token,
    ...Object.fromEntries(upstream.secrets.map((s, i) => [`secret${i}`, s])),
  });
  const audit = (entry: Omit<AuditEntry, 'time'>): void =>
    config.onAudit?.({ time: new Date().toISOString(), ...entry });
  let eventstreamReader: EventstreamReaderFactory | undefined; // set by listen() for Bedrock
  const ledger = new Ledger(settings.budgetUsd, settings.prices ?? DEFAULT_PRICES, (model, family) =>
    audit({ event: 'unknown-model', model: scrub(model), detail: `priced as ${family}` }),
  );

  /** The target as the audit shows it: allowed targets as sent, a known path, or "(unlisted path)". */
  const auditPath = (method: string, target: string): string => {
    if (typeof shape.checkTarget(method, target) === 'string') return scrub(target);
    const path = target.split('?')[0];
    return KNOWN_PATHS.has(path) ? path : '(unlisted path)';
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    entry: Omit<AuditEntry, 'time'>,
  ): void => {
    ledger.usage.refused++;
    audit({ ...entry, status });
    sendError(res, status, type, message, { 'x-should-retry': 'false' });
  };

  const tooLarge = (res: ServerResponse, where: AuditWhere): void => {
    res.shouldKeepAlive = false; // the rest of the body is not read
    const message = `claude-guard proxy: request body over ${maxRequestBytes} bytes`;
    refuse(res, 413, 'request_too_large', message, {
      event: 'too-large',
      ...where,
      detail: `body over ${maxRequestBytes} bytes`,
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? '';
    const target = req.url ?? '';
    const where = { method, path: auditPath(method, target) };
    if (!presentsToken(req.headers, token)) {
      refuse(res, 401, 'authentication_error', 'claude-guard proxy: missing or wrong token', {
        event: 'bad-token',
        ...where,
        detail: 'missing or wrong token',
      });
      return;
    }
    const targetCheck = shape.checkTarget(method, target);
    if (typeof targetCheck !== 'string') {
      refuse(res, 403, 'permission_error', targetCheck.reason, {
        event: 'refused-path',
        ...where,
        detail: targetCheck.what,
      });
      return;
    }
    const stop = ledger.stopReason();
    if (stop) {
      refuse(res, 402, 'budget_exceeded', stop, { event: 'budget-exceeded', ...where, detail: stop });
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxRequestBytes) {
      tooLarge(res, where);
      return;
    }
    // A client that waits for `100 Continue` (curl does for large bodies) gets it only now, after the
    // checks that need no body: a refused request is answered before its body is sent.
    if (/^100-continue$/i.test(String(req.headers.expect ?? ''))) res.writeContinue();
    const chunks: Buffer[] = [];
    let received = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      received += chunk.length;
      if (received <= maxRequestBytes) chunks.push(chunk);
      else {
        over = true;
        chunks.length = 0;
        tooLarge(res, where);
      }
    });
    req.on('end', () => {
      if (over || res.destroyed) return;
      const body = Buffer.concat(chunks);
      const decision = shape.checkRequest({ method, target, headers: req.headers, body });
      if (!decision.allowed) {
        const type = decision.status === 400 ? 'invalid_request_error' : 'permission_error';
        refuse(res, decision.status, type, decision.reason, {
          event: decision.event,
          ...where,
          detail: decision.what,
        });
        return;
      }
      const [path, query = ''] = target.split(/(?=\?)/);
      forward(res, decision.kind, { path, query, headers: decision.headers, body }, where);
    });
  };

  const forward = (
    res: ServerResponse,
    kind: 'messages' | 'count_tokens',
    checked: Parameters<Upstream['prepare']>[0],
    where: AuditWhere,
  ): void => {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    let settled = false;
    const settle = (entry: Omit<AuditEntry, 'time'>): void => {
      if (settled) return;
      settled = true;
      audit({ ...where, ...entry, ms: ms() });
    };
    const fail = (code: string): void => {
      if (settled) return;
      settle({ event: 'upstream-error', detail: code });
      if (res.headersSent || res.destroyed) res.destroy();
      else sendError(res, 502, 'api_error', `claude-guard proxy could not reach the model API (${code})`);
    };

    ledger.usage.requests++;
    Promise.resolve()
      .then(() => upstream.prepare(checked))
      .then(
        (prepared) => {
          const upstreamReq = client.request(prepared.url, {
            method: 'POST',
            headers: { ...prepared.headers, 'content-length': prepared.body.length },
            agent,
          });
          upstreamReq.setTimeout(idleTimeoutMs, () =>
            upstreamReq.destroy(Object.assign(new Error('upstream idle timeout'), { code: 'ETIMEDOUT' })),
          );
          upstreamReq.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'error'));
          res.on('close', () => {
            if (!res.writableFinished) upstreamReq.destroy();
          });
          upstreamReq.on('response', (up) => relay(up, res, kind, where, settle));
          upstreamReq.end(prepared.body);
        },
        () => fail('upstream-prepare'),
      );
  };

  const relay = (
    up: IncomingMessage,
    res: ServerResponse,
    kind: 'messages' | 'count_tokens',
    where: AuditWhere,
    settle: (entry: Omit<AuditEntry, 'time'>) => void,
  ): void => {
    const status = up.statusCode ?? 502;
    res.writeHead(status, up.statusMessage, downstreamResponseHeaders(up.headers));
    const meter =
      status < 300 && kind === 'messages'
        ? new ResponseMeter(
            {
              'content-type': up.headers['content-type'],
              'content-encoding': stringHeader(up.headers['content-encoding']),
            },
            (model, delta) => ledger.charge(model, delta),
            eventstreamReader,
          )
        : null;
    if (meter) up.on('data', (chunk: Buffer) => meter.write(chunk));
    pipeline(up, res, (err) => {
      if (meter?.finish() === false) {
        ledger.markUnmetered();
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
  };

  const server = http.createServer(handle);
  server.on('checkContinue', handle);
  return {
    listen: async () => {
      // Bedrock streams responses as event streams; their reader (and its codec library, ~40 ms of CPU to
      // load) is loaded for Bedrock only. For any other provider such a response stays unmetered.
      if (settings.route?.provider === 'bedrock') {
        const { EventStreamReader } = await import('../../providers/eventstream.js');
        eventstreamReader = (onEvent) => new EventStreamReader(onEvent);
      }
      return new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
    usage: () => structuredClone(ledger.usage),
  };
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

function stringHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
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
