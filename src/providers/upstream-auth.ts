/**
 * How the key proxy authenticates one request to the model provider (threat-model S1): the credential
 * lives in the proxy process only, received over its stdin config. Per kind:
 * - `api-key`: Anthropic API or Foundry, `x-api-key`;
 * - `oauth`: a Claude subscription token (`claude setup-token`), `Authorization: Bearer`, with the
 *   `oauth-2025-04-20` beta Claude Code sends in that mode;
 * - `sigv4`: Amazon Bedrock, every request signed with AWS Signature V4 (`@smithy/signature-v4`) over
 *   the exact bytes sent, with the job's AWS credentials;
 * - `google`: Vertex AI, `Authorization: Bearer` with an access token `google-auth-library` mints (and
 *   refreshes) from the job's credentials JSON (service account, or the external_account file of
 *   workload identity federation that google-github-actions/auth writes).
 * Only the headers on an allow-list reach the provider; the agent's own auth headers never do.
 * The signing libraries are imported on the first request of their kind, not at start: the main step
 * and the proxy load this module for every provider, and google-auth-library alone is a tenth of a
 * second of load time (issue 12).
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import type { GoogleAuth } from 'google-auth-library';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type UpstreamAuthConfig =
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'oauth'; token: string }
  | { kind: 'sigv4'; region: string; credentials: AwsCredentials }
  | { kind: 'google'; credentials: Record<string, unknown> };

export interface UpstreamRequest {
  method: string;
  url: URL;
  /** Headers the agent sent (already allow-listed by the proxy's request shape). */
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
  /** The whole request body (signing covers it). */
  body: Buffer;
}

export interface UpstreamAuth {
  /** The headers to send upstream for this request: an allow-list of the agent's, plus the credential. */
  headers(request: UpstreamRequest): Promise<OutgoingHttpHeaders>;
  /** Values that must never appear in an audit line (the credential and what it mints). */
  secrets(): string[];
}

const FORWARDED = new Set(['accept', 'content-type', 'user-agent', 'x-app']);
const FORWARDED_PREFIXES = ['anthropic-', 'x-stainless-', 'x-claude-code-'];

/** The agent's headers that may go to the Anthropic-shaped APIs (never authorization, never x-api-key). */
export function forwardedHeaders(incoming: IncomingHttpHeaders | OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== undefined && (FORWARDED.has(name) || FORWARDED_PREFIXES.some((p) => name.startsWith(p)))) {
      out[name] = value;
    }
  }
  out['accept-encoding'] = 'identity';
  return out;
}

/** Validates an untyped `upstreamAuth` config. Errors name the field, never a value. */
export function parseUpstreamAuthConfig(value: unknown): UpstreamAuthConfig {
  const fail = (what: string): never => {
    throw new Error(`key proxy config: 'upstreamAuth' ${what}`);
  };
  const str = (v: unknown): v is string => typeof v === 'string' && v !== '' && !/[\r\n]/.test(v);
  if (typeof value !== 'object' || value === null) return fail('must be an object');
  const v = value as Record<string, unknown>;
  switch (v.kind) {
    case 'api-key':
      if (!str(v.apiKey)) fail('apiKey must be a non-empty string');
      return { kind: 'api-key', apiKey: v.apiKey as string };
    case 'oauth':
      if (!str(v.token)) fail('token must be a non-empty string');
      return { kind: 'oauth', token: v.token as string };
    case 'sigv4': {
      const c = v.credentials as Record<string, unknown> | undefined;
      if (!str(v.region)) fail('region must be set');
      if (!c || !str(c.accessKeyId) || !str(c.secretAccessKey)) fail('credentials must hold AWS keys');
      if (c?.sessionToken !== undefined && !str(c.sessionToken)) fail('credentials.sessionToken is invalid');
      return {
        kind: 'sigv4',
        region: v.region as string,
        credentials: {
          accessKeyId: c!.accessKeyId as string,
          secretAccessKey: c!.secretAccessKey as string,
          sessionToken: c!.sessionToken as string | undefined,
        },
      };
    }
    case 'google':
      if (typeof v.credentials !== 'object' || v.credentials === null || Array.isArray(v.credentials)) {
        fail('credentials must be a Google credentials JSON object');
      }
      return { kind: 'google', credentials: v.credentials as Record<string, unknown> };
    default:
      return fail('kind must be api-key, oauth, sigv4 or google');
  }
}

/**
 * A CommonJS package's named export through `import()`: Node's loader exposes it by name, the bundle's
 * interop (esbuild, node mode) only on `default` — the bundled proxy failed every SigV4 and Vertex
 * request with the plain destructuring (caught by the providers end-to-end test).
 */
function named<M extends object, K extends keyof M>(mod: M, name: K): M[K] {
  const value = mod[name] ?? (mod as { default?: M }).default?.[name];
  if (value === undefined) throw new Error(`the package has no export '${String(name)}'`);
  return value;
}

export function createUpstreamAuth(config: UpstreamAuthConfig): UpstreamAuth {
  switch (config.kind) {
    case 'api-key':
      return {
        headers: async ({ headers }) => ({ ...forwardedHeaders(headers), 'x-api-key': config.apiKey }),
        secrets: () => [config.apiKey],
      };
    case 'oauth':
      return {
        headers: async ({ headers }) => ({
          ...forwardedHeaders(headers),
          authorization: `Bearer ${config.token}`,
        }),
        secrets: () => [config.token],
      };
    case 'sigv4':
      return sigv4Auth(config.region, config.credentials);
    case 'google':
      return googleAuth(config.credentials);
  }
}

/**
 * SigV4 for bedrock-runtime: signs host, content-type, accept and the x-amz-* headers over the body's
 * SHA-256. The agent's other headers are not sent: Bedrock reads `anthropic_version`/`anthropic_beta`
 * from the body, and an unsigned header is one more thing the agent could steer.
 */
function sigv4Auth(region: string, credentials: AwsCredentials): UpstreamAuth {
  let signing: Promise<SignatureV4> | undefined;
  const signerFor = async (): Promise<SignatureV4> => {
    const [hash, signature] = await Promise.all([
      import('@smithy/hash-node'),
      import('@smithy/signature-v4'),
    ]);
    const Hash = named(hash, 'Hash');
    const SignatureV4 = named(signature, 'SignatureV4');
    return new SignatureV4({
      service: 'bedrock',
      region,
      credentials,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
    });
  };
  return {
    async headers({ method, url, headers, body }) {
      const signer = await (signing ??= signerFor());
      const unsigned: Record<string, string> = {
        host: url.host,
        'content-type': String(headers['content-type'] ?? 'application/json'),
        accept: String(headers.accept ?? 'application/json'),
      };
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: {},
        headers: unsigned,
        body,
      });
      return { ...signed.headers, 'content-length': String(body.length), 'accept-encoding': 'identity' };
    },
    secrets: () => [credentials.secretAccessKey, credentials.sessionToken ?? ''].filter(Boolean),
  };
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** Bearer tokens from google-auth-library, which caches and refreshes them before they expire. */
function googleAuth(credentials: Record<string, unknown>): UpstreamAuth {
  let authing: Promise<GoogleAuth> | undefined;
  const authFor = async (): Promise<GoogleAuth> => {
    const GoogleAuth = named(await import('google-auth-library'), 'GoogleAuth');
    return new GoogleAuth({ credentials, scopes: [CLOUD_PLATFORM] });
  };
  const minted = new Set<string>();
  return {
    async headers({ headers }) {
      const auth = await (authing ??= authFor());
      const client = await auth.getClient();
      const { token } = await client.getAccessToken();
      if (!token) throw new Error('google-auth-library returned no access token');
      minted.add(token);
      return { ...forwardedHeaders(headers), authorization: `Bearer ${token}` };
    },
    secrets: () => [...minted],
  };
}
