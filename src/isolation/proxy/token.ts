/**
 * The per-run token the agent holds in place of the API key (threat-model row S1): minted by the parent,
 * presented by the CLI as `x-api-key` (or `Authorization: Bearer`), compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { TOKEN_HEADER } from '../../providers/provider.js';

/** A fresh per-run token: 32 random bytes, base64url. */
export function newProxyToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * True when `x-api-key`, `Authorization: Bearer` or (Bedrock and Vertex mode, set through
 * ANTHROPIC_CUSTOM_HEADERS) `x-claude-guard-token` carries the token (constant-time comparison).
 */
export function presentsToken(headers: IncomingHttpHeaders, token: string): boolean {
  const wanted = sha256(token);
  const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
  return [headers['x-api-key'], bearer, headers[TOKEN_HEADER]].some(
    (offered) => typeof offered === 'string' && offered !== '' && timingSafeEqual(sha256(offered), wanted),
  );
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
