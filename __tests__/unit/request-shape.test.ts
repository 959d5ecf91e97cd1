/**
 * The proxy's request allow-list (src/isolation/proxy/request-shape.ts) as a table: what Claude Code
 * 2.1.332 sends passes; every way to make the provider open a connection, and anything else unlisted, is
 * refused with a reason that names it from the proxy's own vocabulary, never from the agent's text.
 */
import { describe, expect, test } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { checkRequest, label } from '../../src/isolation/proxy/request-shape.js';

const CLI_BETAS =
  'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,per-turn-control-2026-07-01,' +
  'mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13,effort-2025-11-24,thinking-display-updates-2026-08-18';

/** Headers as the CLI sends them (recorded), with the per-run token. */
const CLI_HEADERS: IncomingHttpHeaders = {
  accept: 'application/json',
  'content-type': 'application/json',
  'user-agent': 'claude-cli/2.1.332 (external, sdk-cli)',
  'x-claude-code-session-id': '07f74897-358b-4e44-8d4d-93a8d29b66a3',
  'x-stainless-arch': 'x64',
  'x-stainless-lang': 'js',
  'x-stainless-os': 'Linux',
  'x-stainless-package-version': '0.128.0',
  'x-stainless-retry-count': '0',
  'x-stainless-runtime': 'node',
  'x-stainless-runtime-version': 'v26.12.1',
  'x-stainless-timeout': '120',
  'anthropic-beta': CLI_BETAS,
  'anthropic-dangerous-direct-browser-access': 'true',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'the-per-run-token',
  'x-app': 'cli',
  connection: 'keep-alive',
  host: '127.0.0.1:33145',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'content-length': '20406',
};

const schema = { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] };
const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };

/** A main-loop body of the recorded shape: tools, StructuredOutput, a tool round trip, thinking. */
function cliBody(): Record<string, unknown> {
  return {
    model: 'claude-opus-5-5',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Review the change.' }] },
      {
        role: 'system',
        content: [{ type: 'text', text: 'turn', cache_control: { type: 'ephemeral' } }],
        output_config: { effort: 'medium' },
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'hm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Looking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'git diff' } },
          { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/w/p.png' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'diff --git …' },
          {
            type: 'tool_result',
            tool_use_id: 'toolu_2',
            content: [image],
            is_error: false,
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
    ],
    system: [
      { type: 'text', text: 'You are Claude Code.' },
      { type: 'text', text: 'More.', cache_control: { type: 'ephemeral' } },
    ],
    tools: [
      { name: 'Bash', description: 'Runs a command', input_schema: schema },
      {
        name: 'DeferredToolPlaceholder',
        description: 'x',
        input_schema: { type: 'object' },
        defer_loading: true,
      },
      { name: 'StructuredOutput', description: 'Answer', input_schema: schema },
    ],
    metadata: { user_id: '{"device_id":"abc","account_uuid":"","session_id":"s"}' },
    max_tokens: 128000,
    thinking: { type: 'adaptive', display: 'updates' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    output_config: { effort: 'medium' },
    stream: true,
  };
}

const check = (body: unknown, o: { headers?: IncomingHttpHeaders; target?: string; method?: string } = {}) =>
  checkRequest({
    method: o.method ?? 'POST',
    target: o.target ?? '/v1/messages?beta=true',
    headers: { ...CLI_HEADERS, ...o.headers },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases poke into nested JSON
type Change = (b: Record<string, any>) => void;
const withChange = (change: Change) => {
  const body = cliBody();
  change(body);
  return body;
};

describe('what the CLI sends passes', () => {
  test('a recorded main-loop request: forwarded, every header accounted for', () => {
    const decision = check(cliBody());
    expect(decision).toMatchObject({ allowed: true, kind: 'messages', dropped: [] });
    if (!decision.allowed) return;
    expect(Object.keys(decision.headers).sort()).toEqual(
      Object.keys(CLI_HEADERS)
        .filter((h) => !['x-api-key', 'connection', 'host', 'accept-encoding', 'content-length'].includes(h))
        .sort(),
    );
  });

  test.each<[string, Change]>([
    [
      'an older model (thinking with a budget, fewer fields)',
      (b) => {
        b.thinking = { type: 'enabled', budget_tokens: 31999, display: 'updates' };
        delete b.output_config;
      },
    ],
    [
      'a string system prompt and string content',
      (b) => {
        b.system = 'plain';
        b.messages = [{ role: 'user', content: 'hi' }];
      },
    ],
    ['effort max', (b) => (b.output_config = { effort: 'max' })],
    ['a 1-hour cache', (b) => (b.system[1].cache_control = { type: 'ephemeral', ttl: '1h' })],
    [
      'a PDF read (inline document)',
      (b) =>
        (b.messages[3].content[0].content = [
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
        ]),
    ],
  ])('%s', (_name, change) => {
    expect(check(withChange(change))).toMatchObject({ allowed: true });
  });

  test('count_tokens with its own fields', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] };
    expect(check(body, { target: '/v1/messages/count_tokens?beta=true' })).toMatchObject({
      allowed: true,
      kind: 'count_tokens',
    });
    expect(check({ ...body, stream: true }, { target: '/v1/messages/count_tokens' })).toMatchObject({
      allowed: false,
    });
  });

  test('an older model sends a subset of the betas; --betas context-1m is allowed', () => {
    for (const beta of ['claude-code-20250219', `${CLI_BETAS},context-1m-2025-08-07`]) {
      expect(check(cliBody(), { headers: { 'anthropic-beta': beta } })).toMatchObject({ allowed: true });
    }
  });
});

describe('everything else is refused with a 400 that names it', () => {
  const url = 'http://127.0.0.1:9/?d=canary-secret-abc';
  test.each<[string, Change | { headers: IncomingHttpHeaders } | string, RegExp]>([
    ['mcp_servers', (b) => (b.mcp_servers = [{ type: 'url', url, name: 'x' }]), /body field 'mcp_servers'/],
    ['container', (b) => (b.container = 'container_abc'), /body field 'container'/],
    [
      'a web_fetch server tool',
      (b) => b.tools.push({ type: 'web_fetch_20250910', name: 'web_fetch' }),
      /tools\[\]\.type 'web_fetch_\*'.*only client tools/,
    ],
    [
      'a web_search server tool',
      (b) => b.tools.push({ type: 'web_search_20250305', name: 'web_search' }),
      /'web_search_\*'/,
    ],
    [
      'code execution',
      (b) => b.tools.push({ type: 'code_execution_20250825', name: 'code_execution' }),
      /'code_execution_\*'/,
    ],
    [
      'computer use',
      (b) => b.tools.push({ type: 'computer_20250124', name: 'computer', display_width_px: 1 }),
      /'computer_\*'/,
    ],
    ['a typed bash tool', (b) => b.tools.push({ type: 'bash_20250124', name: 'bash' }), /'bash_\*'/],
    [
      'a text editor tool',
      (b) => b.tools.push({ type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' }),
      /'text_editor_\*'/,
    ],
    ['an mcp toolset', (b) => b.tools.push({ type: 'mcp_toolset', mcp_server_name: 'x' }), /'mcp_toolset'/],
    [
      'a custom-typed tool',
      (b) => b.tools.push({ type: 'custom', name: 'x', input_schema: schema }),
      /'custom'/,
    ],
    [
      'an extra tool field',
      (b) => (b.tools[0].allowed_callers = ['code_execution_20250825']),
      /tools\[\] field an unlisted one/,
    ],
    ['a bad tool name', (b) => (b.tools[0].name = 'a b'), /tools\[\]\.name is not a tool name/],
    [
      'an image from a URL',
      (b) => b.messages[0].content.push({ type: 'image', source: { type: 'url', url } }),
      /source\.type value 'url'/,
    ],
    [
      'a document from the files API',
      (b) => b.messages[0].content.push({ type: 'document', source: { type: 'file', file_id: 'file_1' } }),
      /value 'file'/,
    ],
    [
      'a container upload block',
      (b) => b.messages[0].content.push({ type: 'container_upload', file_id: 'file_1' }),
      /content\[\]\.type 'container_upload'/,
    ],
    [
      'a server tool use in history',
      (b) =>
        b.messages[2].content.push({ type: 'server_tool_use', id: 's', name: 'web_fetch', input: { url } }),
      /'server_tool_use'/,
    ],
    [
      'an mcp tool use in history',
      (b) =>
        b.messages[2].content.push({ type: 'mcp_tool_use', id: 's', name: 'x', server_name: 'y', input: {} }),
      /'mcp_tool_use'/,
    ],
    [
      'a search result in a tool result',
      (b) =>
        (b.messages[3].content[0].content = [
          { type: 'search_result', source: url, title: 't', content: [] },
        ]),
      /'search_result'/,
    ],
    [
      'citations on a text block',
      (b) => (b.messages[0].content[0].citations = [{ type: 'web_search_result_location', url }]),
      /field 'citations'/,
    ],
    [
      'an unknown top-level field named by the agent',
      (b) => (b['canary-secret-abc'] = 1),
      /body field an unlisted one/,
    ],
    ['temperature (the CLI does not send it)', (b) => (b.temperature = 0), /body field 'temperature'/],
    ['service_tier', (b) => (b.service_tier = 'priority'), /'service_tier'/],
    ['a role of its own', (b) => (b.messages[0].role = 'tool'), /messages\[\]\.role value an unlisted one/],
    [
      "a context edit that is not the CLI's",
      (b) => (b.context_management.edits[0].type = 'clear_tool_uses_20250919'),
      /an unlisted one/,
    ],
    ['stream as a string', (b) => (b.stream = 'yes'), /stream must be true or false/],
    [
      'an mcp-client beta',
      { headers: { 'anthropic-beta': `${CLI_BETAS},mcp-client-2025-04-04` } },
      /header 'anthropic-beta' value 'mcp-client-\*' is not forwarded/,
    ],
    ['a files-api beta', { headers: { 'anthropic-beta': 'files-api-2025-04-14' } }, /'files-api-\*'/],
    ['a web-fetch beta', { headers: { 'anthropic-beta': 'web-fetch-2025-09-10' } }, /'web-fetch-\*'/],
    [
      'a code-execution beta',
      { headers: { 'anthropic-beta': 'code-execution-2025-08-25' } },
      /'code-execution-\*'/,
    ],
    [
      'an unknown beta the agent named',
      { headers: { 'anthropic-beta': 'canary-secret-abc' } },
      /value an unlisted one/,
    ],
    [
      'another API version',
      { headers: { 'anthropic-version': '2099-01-01' } },
      /header 'anthropic-version' must be 2023-06-01/,
    ],
    ['a body that is not JSON', 'not json', /the body is not a JSON object/],
    ['a JSON array body', '[1]', /the body is not a JSON object/],
    [
      'a form body',
      { headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      /content-type' must be application\/json/,
    ],
  ])('%s', (_name, change, reason) => {
    const decision =
      typeof change === 'string'
        ? check(change)
        : typeof change === 'function'
          ? check(withChange(change))
          : check(cliBody(), change);
    expect(decision).toMatchObject({ allowed: false, status: 400, event: 'refused-request' });
    if (decision.allowed) return;
    expect(decision.reason).toMatch(reason);
    expect(decision.reason).toMatch(
      /^claude-guard proxy refused the request: .* \(the proxy forwards only what Claude Code 2\.1\.332 sends\)$/,
    );
    // The reason reaches the audit and the job summary: nothing the agent chose is echoed.
    expect(decision.reason).not.toContain('canary');
    expect(decision.reason).not.toContain('127.0.0.1');
  });

  test.each([
    ['GET', '/v1/messages'],
    ['POST', '/v1/files'],
    ['POST', '/v1/messages/batches'],
    ['POST', '/v1/messages?beta=true&x=1'],
  ])('%s %s → 403 before the body is looked at', (method, target) => {
    expect(check(cliBody(), { method, target })).toMatchObject({
      allowed: false,
      status: 403,
      event: 'refused-path',
    });
  });
});

describe('labels: only our own vocabulary is printed', () => {
  test.each([
    ['mcp_servers', "'mcp_servers'"],
    ['web_fetch_20250910', "'web_fetch_*'"],
    ['mcp-client-2025-11-20', "'mcp-client-*'"],
    ['files-api-2025-04-14', "'files-api-*'"],
    ['web_fetch_canarysecret', 'an unlisted one'],
    ['sk-ant-api03-abc', 'an unlisted one'],
    [42, 'an unlisted one'],
  ])('%s → %s', (value, shown) => {
    expect(label(value)).toBe(shown);
  });
});
