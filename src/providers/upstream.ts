/**
 * The key proxy's upstream for a cloud provider or a subscription token (the proxy's providers seam,
 * src/isolation/proxy/upstream.ts): where an allowed request goes and with which credential (threat
 * model S1). The server has already checked the token, the target, the budget, the size and the request
 * shape (./shape.ts) and read the whole body; this returns the URL and the complete header set.
 */
import type { Upstream } from '../isolation/proxy/upstream.js';
import { PROVIDERS, type ProviderName } from './provider.js';
import { createUpstreamAuth, type UpstreamAuthConfig } from './upstream-auth.js';

/** What the proxy process needs to know of the provider (it travels over the proxy's stdin). */
export interface ProviderRoute {
  provider: ProviderName;
  region?: string;
  project?: string;
}

/** Validates an untyped route. Errors name the field, never a value. */
export function parseProviderRoute(value: unknown): ProviderRoute {
  const fail = (what: string): never => {
    throw new Error(`key proxy config: 'route' ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('must be an object');
  const v = value as Record<string, unknown>;
  if (!(PROVIDERS as readonly unknown[]).includes(v.provider)) fail('provider is unknown');
  for (const k of ['region', 'project']) {
    if (v[k] !== undefined && (typeof v[k] !== 'string' || !/^[a-z0-9-]+$/.test(v[k])))
      fail(`${k} is invalid`);
  }
  if (v.provider === 'bedrock' && !v.region) fail('region is required for bedrock');
  if (v.provider === 'vertex' && (!v.region || !v.project))
    fail('region and project are required for vertex');
  return value as ProviderRoute;
}

export function providerUpstream(endpoint: string, authConfig: UpstreamAuthConfig): Upstream {
  const origin = new URL(endpoint);
  const basePath = origin.pathname.replace(/\/+$/, '');
  const auth = createUpstreamAuth(authConfig);
  const sigv4 = authConfig.kind === 'sigv4';
  return {
    origin,
    secrets: auth.secrets(),
    async prepare({ path, query, headers, body }) {
      const url = new URL(`${basePath}${sigv4 ? awsPath(path) : path}${query}`, origin);
      return { url, headers: await auth.headers({ method: 'POST', url, headers, body }), body };
    },
  };
}

/**
 * A Bedrock path as the AWS SDKs send it: every segment URI-encoded once. Claude Code 2.1.332 sends a
 * model id's `:` raw (`…-v1:0`); the AWS SDKs send `%3A`, and the signature is computed over that form.
 */
export function awsPath(target: string): string {
  return target
    .split('/')
    .map((segment) => encodeURIComponent(decodeURIComponent(segment)))
    .join('/');
}
