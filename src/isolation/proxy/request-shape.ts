/**
 * The request shape the key proxy forwards (threat-model defence 3, row X5): an allow-list, as data, of
 * the request targets, headers, `anthropic-beta` values and JSON body the pinned Claude Code CLI
 * (2.1.332) actually sends, derived from recordings of its own requests (docs/claude-code-facts.md,
 * "Requests to the model API"; __tests__/cli/proxy-request-shape.test.ts fails when a new CLI sends anything
 * this file does not allow). Everything else is refused, so no request can make the provider's servers
 * open a connection for the agent: no `mcp_servers`, no `container`, no server tools (web fetch/search,
 * code execution, computer use, bash/text-editor typed tools), no files API, no URL-sourced images or
 * documents, no beta that turns any of those on.
 *
 * `checkRequest` is the whole decision, pure and table-tested; the server applies it to every request
 * after the token check.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { isRecord, parseJson } from './json.js';

/** The CLI version these tables were derived from. */
export const DERIVED_FROM_CLI = '2.1.332';

// ---------------------------------------------------------------------------------------------
// Targets

/** Request targets forwarded: POST only, these paths, these query strings. */
export const ALLOWED_TARGETS: Readonly<Record<string, 'messages' | 'count_tokens'>> = {
  '/v1/messages': 'messages',
  '/v1/messages/count_tokens': 'count_tokens',
};
export const ALLOWED_QUERIES: readonly string[] = ['', '?beta=true'];

// ---------------------------------------------------------------------------------------------
// Headers

/** Request headers passed on as they came (values checked where a rule is given). */
export const FORWARDED_HEADERS: Readonly<Record<string, ((value: string) => string | undefined) | null>> = {
  accept: null,
  'content-type': (v) => (/^application\/json\b/i.test(v) ? undefined : 'must be application/json'),
  'user-agent': null,
  'anthropic-version': (v) => (v === '2023-06-01' ? undefined : 'must be 2023-06-01'),
  'anthropic-beta': (v) => checkBetas(v),
  'anthropic-dangerous-direct-browser-access': null,
  'x-app': null,
  'x-claude-code-session-id': null,
  'x-stainless-arch': null,
  'x-stainless-lang': null,
  'x-stainless-os': null,
  'x-stainless-package-version': null,
  'x-stainless-retry-count': null,
  'x-stainless-runtime': null,
  'x-stainless-runtime-version': null,
  'x-stainless-timeout': null,
};

/**
 * Request headers the proxy itself consumes or replaces: the credentials (checked against the token, never
 * sent on), framing (recomputed for the body actually sent), `accept-encoding` (upstream is asked for
 * identity so the meter can read the usage). Any header in neither list is dropped and reported.
 */
export const CONSUMED_HEADERS: readonly string[] = [
  'x-api-key',
  'authorization',
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'accept-encoding',
];

/**
 * `anthropic-beta` values forwarded: those the CLI sends for current and older models, and
 * `context-1m-2025-08-07` (the action's `--betas` example; a larger context, nothing else). Betas that make
 * the provider connect or store things (mcp-client-*, mcp-servers-*, web-fetch-*, web-search-*,
 * code-execution-*, computer-use-*, files-api-*, skills-*, …) are not here.
 */
export const ALLOWED_BETAS: readonly string[] = [
  'claude-code-20250219',
  'interleaved-thinking-2025-05-14',
  'context-management-2025-06-27',
  'per-turn-control-2026-07-01',
  'mid-conversation-tool-changes-2026-07-01',
  'thinking-token-count-2026-05-13',
  'effort-2025-11-24',
  'thinking-display-updates-2026-08-18',
  'context-1m-2025-08-07',
];

function checkBetas(value: string): string | undefined {
  const refused = value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '' && !ALLOWED_BETAS.includes(b));
  return refused.length ? `value ${refused.map(label).join(', ')} is not forwarded` : undefined;
}

// ---------------------------------------------------------------------------------------------
// JSON body: a small schema language, then the schema

/** A check returns undefined when the value fits, else what is wrong, naming the value's JSON path. */
type Check = (value: unknown, path: string) => string | undefined;

const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} must be a string`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be true or false`);
const int: Check = (v, p) =>
  Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : `${p} must be a count`;
/** Any JSON value: a tool's input or input_schema, which the provider only reads as data. */
const data: Check = () => undefined;
const oneOf =
  (...values: readonly unknown[]): Check =>
  (v, p) =>
    values.includes(v) ? undefined : `${p} value ${label(v)} is not forwarded`;
const either =
  (...checks: Check[]): Check =>
  (v, p) => {
    const errors = checks.map((c) => c(v, p));
    return errors.some((e) => e === undefined) ? undefined : errors[errors.length - 1];
  };
const arrayOf =
  (item: Check, max = 100_000): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array`;
    if (v.length > max) return `${p} has more than ${max} items`;
    for (const x of v) {
      const e = item(x, `${p}[]`);
      if (e) return e;
    }
    return undefined;
  };
/** An object with only these fields (those marked by a leading `!` required). */
const obj =
  (fields: Record<string, Check>): Check =>
  (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    for (const [key, check] of Object.entries(fields)) {
      const name = key.replace(/^!/, '');
      if (!Object.hasOwn(v, name)) {
        if (key.startsWith('!')) return `${join(p, name)} is missing`;
        continue;
      }
      const e = check(v[name], join(p, name));
      if (e) return e;
    }
    const known = new Set(Object.keys(fields).map((k) => k.replace(/^!/, '')));
    for (const k of Object.keys(v)) {
      if (!known.has(k)) return `${p === '' ? 'body' : p} field ${label(k)} is not forwarded`;
    }
    return undefined;
  };
/** A content block: `type` selects the block's own field list. */
const blockOf =
  (types: Record<string, Record<string, Check>>): Check =>
  (v, p) => {
    if (!isRecord(v)) return `${p} must be an object`;
    const fields = typeof v.type === 'string' && Object.hasOwn(types, v.type) ? types[v.type] : undefined;
    if (!fields) return `${p}.type ${label(v.type)} is not forwarded`;
    return obj({ '!type': str, ...fields })(v, p);
  };

const cacheControl = obj({ '!type': oneOf('ephemeral'), ttl: oneOf('5m', '1h') });
/** Inline data only: a `url` or `file` source would make the provider fetch or open something. */
const base64Source = obj({ '!type': oneOf('base64'), '!media_type': str, '!data': str });
const inlineDocumentSource = either(
  base64Source,
  obj({ '!type': oneOf('text'), '!media_type': oneOf('text/plain'), '!data': str }),
);

const TEXT = { '!text': str, cache_control: cacheControl };
const IMAGE = { '!source': base64Source, cache_control: cacheControl };
/** The Read tool's PDF form (inline data; not seen in the recordings, which read no PDF). */
const DOCUMENT = { '!source': inlineDocumentSource, title: str, cache_control: cacheControl };

const toolResultContent = either(str, arrayOf(blockOf({ text: TEXT, image: IMAGE, document: DOCUMENT })));

const contentBlock = blockOf({
  text: TEXT,
  image: IMAGE,
  document: DOCUMENT,
  tool_use: { '!id': str, '!name': str, '!input': data, cache_control: cacheControl },
  tool_result: {
    '!tool_use_id': str,
    content: toolResultContent,
    is_error: bool,
    cache_control: cacheControl,
  },
  thinking: { '!thinking': str, '!signature': str },
  redacted_thinking: { '!data': str },
});

const effort = oneOf('low', 'medium', 'high', 'xhigh', 'max');

const message = obj({
  '!role': oneOf('user', 'assistant', 'system'),
  '!content': either(str, arrayOf(contentBlock)),
  output_config: obj({ effort }),
});

/**
 * A client tool, as the CLI defines its own (Bash, Read, …, StructuredOutput): a name, a description and
 * an input schema, never a `type` (every server tool — web_fetch_*, web_search_*, code_execution_*,
 * computer_*, bash_*, text_editor_*, mcp_toolset — is typed).
 */
const tool: Check = (v, p) => {
  if (isRecord(v) && Object.hasOwn(v, 'type')) {
    return `${p}.type ${label(v.type)} is not forwarded: only client tools (name, description, input_schema)`;
  }
  return obj({
    '!name': (n, q) =>
      typeof n === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(n) ? undefined : `${q} is not a tool name`,
    description: str,
    '!input_schema': (s, q) => (isRecord(s) ? undefined : `${q} must be an object`),
    defer_loading: bool,
    cache_control: cacheControl,
  })(v, p);
};

const system = either(str, arrayOf(blockOf({ text: TEXT })));

/** Top-level fields of a `POST /v1/messages` body. */
export const MESSAGES_BODY: Record<string, Check> = {
  model: str,
  messages: arrayOf(message),
  system,
  tools: arrayOf(tool, 1000),
  tool_choice: obj({
    '!type': oneOf('auto', 'any', 'tool', 'none'),
    name: str,
    disable_parallel_tool_use: bool,
  }),
  metadata: obj({ user_id: str }),
  max_tokens: int,
  thinking: obj({
    '!type': oneOf('adaptive', 'enabled', 'disabled'),
    budget_tokens: int,
    display: oneOf('updates', 'summarized', 'omitted'),
  }),
  context_management: obj({
    '!edits': arrayOf(
      obj({
        '!type': oneOf('clear_thinking_20251015'),
        keep: either(oneOf('all'), obj({ '!type': oneOf('thinking_turns'), '!value': int })),
      }),
    ),
  }),
  output_config: obj({ effort }),
  stream: bool,
};

/** `POST /v1/messages/count_tokens` takes the same fields but the generation controls. */
export const COUNT_TOKENS_BODY: Record<string, Check> = Object.fromEntries(
  Object.entries(MESSAGES_BODY).filter(([k]) => !['max_tokens', 'stream', 'metadata'].includes(k)),
);

// ---------------------------------------------------------------------------------------------
// The decision

export interface RequestFacts {
  method: string | undefined;
  /** The request target as received (path and query). */
  target: string | undefined;
  headers: IncomingHttpHeaders;
  /** The whole body (already bounded by the size cap). */
  body: Buffer;
}

export type Refusal = {
  allowed: false;
  status: 400 | 403;
  event: 'refused-path' | 'refused-request';
  /** What was refused, in words: names the path, header, field or value (never a secret). */
  reason: string;
  /** The refused part alone, for the audit (e.g. "body field 'mcp_servers' is not forwarded"). */
  what: string;
};

export type Decision =
  | {
      allowed: true;
      kind: 'messages' | 'count_tokens';
      /** The allow-listed headers, to send on (credentials and framing are the upstream module's). */
      headers: OutgoingHttpHeaders;
      /** Headers in neither list: not forwarded; a CLI that sends them is worth knowing about. */
      dropped: string[];
    }
  | Refusal;

/** The target alone: decidable before the body is read. */
export function checkTarget(
  method: string | undefined,
  target: string | undefined,
): Refusal | 'messages' | 'count_tokens' {
  const t = target ?? '';
  const q = t.indexOf('?');
  const path = q === -1 ? t : t.slice(0, q);
  const query = q === -1 ? '' : t.slice(q);
  const kind = Object.hasOwn(ALLOWED_TARGETS, path) ? ALLOWED_TARGETS[path] : undefined;
  if (method !== 'POST' || !kind || !ALLOWED_QUERIES.includes(query)) {
    return {
      allowed: false,
      status: 403,
      event: 'refused-path',
      reason: 'claude-guard proxy forwards only POST /v1/messages and POST /v1/messages/count_tokens',
      what: 'only POST /v1/messages and /v1/messages/count_tokens are forwarded',
    };
  }
  return kind;
}

/** Forward or refuse one request, with the headers to send on. Pure. */
export function checkRequest(request: RequestFacts): Decision {
  const kind = checkTarget(request.method, request.target);
  if (typeof kind !== 'string') return kind;
  const refuse = (reason: string): Refusal => ({
    allowed: false,
    status: 400,
    event: 'refused-request',
    reason: `claude-guard proxy refused the request: ${reason} (the proxy forwards only what Claude Code ${DERIVED_FROM_CLI} sends)`,
    what: reason,
  });

  const headers: OutgoingHttpHeaders = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || CONSUMED_HEADERS.includes(name)) continue;
    const rule = Object.hasOwn(FORWARDED_HEADERS, name) ? FORWARDED_HEADERS[name] : undefined;
    if (rule === undefined) {
      dropped.push(name);
      continue;
    }
    if (Array.isArray(value)) return refuse(`header '${name}' is repeated`);
    const wrong = rule?.(value);
    if (wrong) return refuse(`header '${name}' ${wrong}`);
    headers[name] = value;
  }

  const body = parseJson(request.body.toString('utf8'));
  if (!isRecord(body)) return refuse('the body is not a JSON object');
  const wrong = obj(kind === 'messages' ? MESSAGES_BODY : COUNT_TOKENS_BODY)(body, '');
  if (wrong) return refuse(wrong);
  return { allowed: true, kind, headers, dropped: dropped.sort() };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * How a refused name or value appears in a message. The text reaches the audit and the job summary, and
 * the agent chose it, so it could carry a secret out: only words of our own vocabulary (the fields,
 * types and betas this file knows about, with a version date shown as `*`) are printed; anything else
 * is "an unlisted …".
 */
export function label(value: unknown): string {
  const v = typeof value === 'string' ? value : '';
  if (KNOWN_WORDS.has(v)) return `'${v}'`;
  for (const family of KNOWN_FAMILIES) {
    if (family.test(v)) return `'${v.replace(/[-_]\d[\d-]*$/, (m) => `${m[0]}*`)}'`;
  }
  return 'an unlisted one';
}

/** Names worth printing when refused: the Messages API's fields and block types outside the allow-list. */
const KNOWN_WORDS = new Set([
  ...Object.keys(MESSAGES_BODY),
  'mcp_servers',
  'container',
  'service_tier',
  'temperature',
  'top_k',
  'top_p',
  'stop_sequences',
  'inference_geo',
  'citations',
  'url',
  'file',
  'content',
  'base64',
  'text',
  'type',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'container_upload',
  'file_id',
  'search_result',
  'custom',
  'mcp_toolset',
]);
/** Server tool types and betas, by family (their version suffix varies). */
const KNOWN_FAMILIES = [
  /^(web_fetch|web_search|code_execution|computer|bash|text_editor|memory|tool_search_tool_regex|tool_search_tool_bm25)_\d{8}$/,
  /^(mcp-client|mcp-servers|mcp-tunnels|files-api|code-execution|computer-use|web-fetch|web-search|skills|container|advanced-tool-use|tool-search-tool|managed-agents|environments|message-batches|oauth|prompt-caching|extended-cache-ttl|structured-outputs|token-counting|fast-mode|advisor-tool|agent-memory)-\d{4}-\d{2}-\d{2}$/,
];
