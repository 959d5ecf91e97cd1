/**
 * Where an allowed request goes, and with which credentials: THE seam for model providers.
 *
 * The server (server.ts) decides *whether* to forward (token, allow-list, budget, size) and hands this
 * module a checked request: the allowed path (`/v1/messages` or `/v1/messages/count_tokens`), its query,
 * the allow-listed headers and the whole body (bounded, already read). An `Upstream` returns the request to
 * send: the full URL, the complete header set (credentials included) and the body. Nothing else of the
 * proxy knows a URL or a credential, so a provider plugs in here only:
 *   - Anthropic API key (this file): base URL + path, `x-api-key`.
 *   - OAuth bearer / Foundry: `authorization: Bearer …` instead of `x-api-key`.
 *   - Bedrock: a model-specific path and SigV4 headers computed over the body (the body is whole here).
 *   - Vertex: a project/region URL and a Google access token (prepare() may be async to fetch it).
 * Rules for an implementation: build headers from `request.headers` (already allow-listed) plus your own
 * credentials, never from anything else the agent sent; keep `accept-encoding: identity` (the usage meter
 * reads the response); never put a secret in the URL. A provider whose responses are not the Messages
 * API's SSE/JSON also needs the meter (sse-meter.ts) to read its usage.
 */
import type { OutgoingHttpHeaders } from 'node:http';

export interface CheckedRequest {
  /** An allowed path: '/v1/messages' or '/v1/messages/count_tokens'. */
  path: string;
  /** '' or an allowed query string (starts with '?'). */
  query: string;
  /** Allow-listed request headers (no credentials, no framing). */
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface PreparedRequest {
  url: URL;
  /** Every header to send, credentials included (content-length is set by the server). */
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

export interface Upstream {
  /** Origin (and base path) requests go to; the server keeps one connection pool for it. */
  readonly origin: URL;
  /** Secret values this upstream holds, scrubbed from every audit entry. */
  readonly secrets: readonly string[];
  prepare(request: CheckedRequest): PreparedRequest | Promise<PreparedRequest>;
}

/** The Anthropic API (or a gateway in front of it) with an API key: `x-api-key`. */
export function apiKeyUpstream(baseUrl: string, apiKey: string): Upstream {
  const origin = new URL(baseUrl);
  const basePath = origin.pathname.replace(/\/+$/, '');
  return {
    origin,
    secrets: [apiKey],
    prepare: ({ path, query, headers, body }) => ({
      url: new URL(`${basePath}${path}${query}`, origin),
      headers: { ...headers, 'accept-encoding': 'identity', 'x-api-key': apiKey },
      body,
    }),
  };
}
