/**
 * The key proxy's settings: what the parent process sends the proxy process (as one JSON line on its stdin,
 * never argv or the environment), validated field by field. Errors name the field, never its value.
 */
import { isRecord } from './json.js';
import { isPriceTable, type PriceTable } from './pricing.js';
import { parseProviderRoute, type ProviderRoute } from '../../providers/upstream.js';
import { parseUpstreamAuthConfig, type UpstreamAuthConfig } from '../../providers/upstream-auth.js';

export interface KeyProxySettings {
  /** Model API origin (plus an optional base path), e.g. https://api.anthropic.com. */
  upstream: string;
  /** The real key; sent upstream only. '' when `upstreamAuth` carries the credential instead. */
  apiKey: string;
  /** Another provider's credential, and which of its targets are model calls (src/providers). */
  upstreamAuth?: UpstreamAuthConfig;
  route?: ProviderRoute;
  /** The per-run token the agent presents (see newProxyToken). */
  token: string;
  budgetUsd: number;
  prices?: PriceTable;
  /** Larger request bodies get 413. Default 32 MiB (the Messages API's own limit). */
  maxRequestBytes?: number;
  /** Upstream socket silence that ends a request with 502. Default 10 minutes (the CLI's own API timeout). */
  upstreamIdleTimeoutMs?: number;
}

export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** Validates settings read from an untyped source. Errors name the field, never its value. */
export function parseKeyProxySettings(value: unknown): KeyProxySettings {
  const fail = (field: string, what: string): never => {
    throw new Error(`key proxy config: '${field}' ${what}`);
  };
  if (!isRecord(value)) return fail('(root)', 'must be a JSON object');
  const { upstream, apiKey, token, budgetUsd, prices, maxRequestBytes, upstreamIdleTimeoutMs } = value;
  let url: URL | undefined;
  try {
    url = new URL(String(upstream));
  } catch {
    fail('upstream', 'must be an http(s) URL');
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    fail('upstream', 'must be an http(s) URL without credentials, query or fragment');
  }
  if (value.upstreamAuth !== undefined) {
    parseUpstreamAuthConfig(value.upstreamAuth);
    parseProviderRoute(value.route);
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

function isPositive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
