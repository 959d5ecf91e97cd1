/**
 * The key proxy's upstream for one provider: where an allowed request goes and with which credential
 * (threat-model S1, X5). The proxy hands it a request it has already checked (token, target allow-list,
 * budget, size) with its whole body; this returns the URL and the complete header set to send.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { allowedTarget, type ProviderName } from './provider.js';
import { createUpstreamAuth, type UpstreamAuthConfig } from './upstream-auth.js';

/** What the proxy process needs to know of the provider (it travels over the proxy's stdin). */
export interface ProviderRoute {
  provider: ProviderName;
  region?: string;
  project?: string;
}

export interface ProviderUpstream {
  /** Origin (and base path) of the provider's API. */
  readonly origin: URL;
  /** Secret values this upstream holds or minted, to scrub from audit entries. */
  secrets(): string[];
  /** The provider's model-invocation targets; everything else is refused. */
  allows(method: string | undefined, target: string): boolean;
  /** Token counting: forwarded, not metered. */
  isCountTokens(target: string): boolean;
  prepare(request: {
    method: string;
    target: string;
    headers: IncomingHttpHeaders;
    body: Buffer;
  }): Promise<{ url: URL; headers: OutgoingHttpHeaders }>;
}

export function createProviderUpstream(
  endpoint: string,
  route: ProviderRoute,
  authConfig: UpstreamAuthConfig,
): ProviderUpstream {
  const origin = new URL(endpoint);
  const basePath = origin.pathname.replace(/\/+$/, '');
  const auth = createUpstreamAuth(authConfig);
  const sigv4 = authConfig.kind === 'sigv4';
  const settings = { ...route, auth: authConfig.kind === 'sigv4' ? 'sigv4' : 'api-key', endpoint } as const;
  return {
    origin,
    secrets: () => auth.secrets(),
    allows: (method, target) => allowedTarget(settings, method, target),
    isCountTokens: (target) => /count[_-]tokens/.test(target),
    async prepare({ method, target, headers, body }) {
      const url = new URL(`${basePath}${sigv4 ? awsPath(target) : target}`, origin);
      return { url, headers: await auth.headers({ method, url, headers, body }) };
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
