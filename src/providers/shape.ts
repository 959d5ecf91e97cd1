/**
 * The request shape the key proxy forwards to a cloud provider or with a subscription token (threat
 * model X5): the provider's model-invocation targets only (provider.ts `allowedTarget`), and a body that,
 * put back in the Messages API's shape, passes the proxy's own allow-list (request-shape.ts): the same
 * fields, betas and blocks, whichever provider carries them. Pure.
 * - Bedrock: the model is in the path; the body carries `anthropic_version: bedrock-2023-05-31` and the
 *   betas as an `anthropic_beta` array, both checked here; no `stream` field.
 * - Vertex: the model is in the path; the body carries `anthropic_version: vertex-2023-10-16`.
 * - Subscription token: the Messages API, plus the betas the CLI sends only in that mode.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkRequest, checkTarget, type Decision, type Refusal } from '../isolation/proxy/request-shape.js';
import type { KeyProxySettings } from '../isolation/proxy/config.js';
import type { KeyProxyConfig, RequestShape } from '../isolation/proxy/server.js';
import { allowedTarget, type ProviderSettings } from './provider.js';
import { providerUpstream, type ProviderRoute } from './upstream.js';

/** The proxy hooks for settings that name another provider's credential (none for the API key). */
export function providerHooks(settings: KeyProxySettings): Pick<KeyProxyConfig, 'upstreamFor' | 'shape'> {
  const { upstreamAuth, route } = settings;
  if (!upstreamAuth || !route) return {};
  return {
    upstreamFor: (s) => providerUpstream(s.upstream, upstreamAuth),
    shape: providerShape(route, upstreamAuth.kind === 'oauth'),
  };
}

/** Betas Claude Code 2.1.332 adds with CLAUDE_CODE_OAUTH_TOKEN: the subscription auth and its cache TTL. */
export const OAUTH_BETAS = ['oauth-2025-04-20', 'extended-cache-ttl-2025-04-11'];

/**
 * Betas Claude Code 2.1.332 adds in Vertex and Foundry mode that only make a server tool available
 * (`web-search-2025-03-05`): not forwarded, and not a reason to refuse — the body check refuses the
 * server tool itself. Without this the CLI in those modes never gets an answer (it keeps the beta on retry).
 */
export const DROPPED_BETAS = ['web-search-2025-03-05'];

const VERSIONS: Partial<Record<ProviderRoute['provider'], string>> = {
  bedrock: 'bedrock-2023-05-31',
  vertex: 'vertex-2023-10-16',
};

export function providerShape(route: ProviderRoute, oauth: boolean): RequestShape {
  const settings: ProviderSettings = { ...route, auth: 'api-key', endpoint: '' };
  const target = (
    method: string | undefined,
    t: string | undefined,
  ): Refusal | 'messages' | 'count_tokens' => {
    if (route.provider === 'anthropic' || route.provider === 'foundry') return checkTarget(method, t);
    if (allowedTarget(settings, method, t ?? '')) return 'messages';
    return {
      allowed: false,
      status: 403,
      event: 'refused-path',
      reason: `claude-guard proxy forwards only ${route.provider} model invocations of Anthropic models`,
      what: `only ${route.provider} model invocations of Anthropic models are forwarded`,
    };
  };
  return {
    checkTarget: target,
    checkRequest(request): Decision {
      const kind = target(request.method, request.target);
      if (typeof kind !== 'string') return kind;
      const refuse = (reason: string): Refusal => ({
        allowed: false,
        status: 400,
        event: 'refused-request',
        reason: `claude-guard proxy refused the request: ${reason}`,
        what: reason,
      });
      const betas = splitBetas(request.headers).filter((b) => !DROPPED_BETAS.includes(b));
      const modeBetas = oauth ? betas.filter((b) => OAUTH_BETAS.includes(b)) : [];
      const version = VERSIONS[route.provider];
      if (!version) {
        // Messages API (subscription token): the mode's own betas aside, the usual check.
        const decision = checkRequest({ ...request, headers: withBetas(request.headers, betas, modeBetas) });
        if (!decision.allowed) return decision;
        if (modeBetas.length)
          decision.headers['anthropic-beta'] = [
            String(decision.headers['anthropic-beta'] ?? ''),
            ...modeBetas,
          ]
            .filter(Boolean)
            .join(',');
        return decision;
      }
      let body: unknown;
      try {
        body = JSON.parse(request.body.toString('utf8'));
      } catch {
        return refuse('the body is not a JSON object');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return refuse('the body is not a JSON object');
      const { anthropic_version: v, anthropic_beta: bodyBetas, ...rest } = body as Record<string, unknown>;
      if (v !== version) return refuse(`anthropic_version must be ${version}`);
      if (
        bodyBetas !== undefined &&
        (!Array.isArray(bodyBetas) || bodyBetas.some((b) => typeof b !== 'string'))
      )
        return refuse('anthropic_beta must be a list of betas');
      if (route.provider === 'bedrock' && Object.hasOwn(rest, 'stream'))
        return refuse("'stream' is not a Bedrock field");
      const model = decodeURIComponent(/\/models?\/([^/:]+)/.exec(request.target ?? '')?.[1] ?? 'unknown');
      return checkRequest({
        method: request.method,
        target: '/v1/messages',
        headers: withBetas(
          request.headers,
          [...betas, ...((bodyBetas as string[] | undefined) ?? [])].filter(
            (b) => !DROPPED_BETAS.includes(b),
          ),
          [],
        ),
        body: Buffer.from(JSON.stringify({ ...rest, model })),
      });
    },
  };
}

function splitBetas(headers: IncomingHttpHeaders): string[] {
  return String(headers['anthropic-beta'] ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

function withBetas(headers: IncomingHttpHeaders, betas: string[], except: string[]): IncomingHttpHeaders {
  const kept = betas.filter((b) => !except.includes(b));
  const { 'anthropic-beta': _drop, ...rest } = headers;
  return kept.length ? { ...rest, 'anthropic-beta': [...new Set(kept)].join(',') } : rest;
}
