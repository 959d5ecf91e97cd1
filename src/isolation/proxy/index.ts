/**
 * The key proxy (threat-model defence 3; rows S1, X5, X6), one module per job:
 * - server.ts        the HTTP server: the order of checks, forwarding, streaming back;
 * - request-shape.ts the allow-list of targets, headers, betas and body shapes (pure `checkRequest`);
 * - upstream.ts      where an allowed request goes and with which credentials (the providers' seam);
 * - sse-meter.ts     usage read from a model response as it streams by;
 * - ledger.ts        spend per model and the budget stop;  pricing.ts  prices and costs;
 * - token.ts         the per-run token;  config.ts  settings validation;  audit.ts  what is recorded.
 * The process around it: src/entries/proxy.ts (entry) and ../key-proxy-process.ts (parent side).
 */
export { auditNote, type AuditEntry, type AuditEvent } from './audit.js';
export { parseKeyProxySettings, type KeyProxySettings } from './config.js';
export { emptyUsage, type ModelUsage, type Usage } from './ledger.js';
export {
  costUsd,
  DEFAULT_PRICES,
  priceFor,
  type PriceTable,
  type Prices,
  type TokenCounts,
} from './pricing.js';
export { checkRequest, checkTarget, type Decision } from './request-shape.js';
export { createKeyProxy, downstreamResponseHeaders, type KeyProxy, type KeyProxyConfig } from './server.js';
export { newProxyToken, presentsToken } from './token.js';
export { apiKeyUpstream, type CheckedRequest, type PreparedRequest, type Upstream } from './upstream.js';
