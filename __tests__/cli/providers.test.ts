/**
 * Re-checks docs/claude-code-facts.md, "Providers", against the REAL Claude Code CLI: in each provider
 * mode (Bedrock, Vertex, Foundry, subscription OAuth token) the CLI, holding only the per-run token and
 * with the provider's auth skipped, talks to the key proxy (src, in process), which authenticates to a
 * loopback fake of the provider that verifies the SigV4 signature, the Google access token, the OAuth
 * bearer or the Foundry key, and streams back in the provider's format. The fakes also prove they refuse
 * a tampered signature and a wrong token, so an accepting fake means something.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createKeyProxy,
  newProxyToken,
  type AuditEntry,
  type KeyProxy,
  type KeyProxySettings,
} from '../../src/isolation/proxy/index.js';
import { providerHooks } from '../../src/providers/shape.js';
import { agentProviderEnv, type ProviderSettings } from '../../src/providers/provider.js';
import type { UpstreamAuthConfig } from '../../src/providers/upstream-auth.js';
import { startModelServer, type ModelServer } from '../e2e/support/index.mjs';
import { sigv4Problem, startProviderFake } from '../e2e/support/provider-fakes.mjs';

const CLAUDE = fs.realpathSync(new URL('../../node_modules/.bin/claude', import.meta.url).pathname);
const AWS = {
  accessKeyId: 'AKIACANARYPROVIDERS1',
  secretAccessKey: 'canary-aws-secret-providers-cli-wJalrXUtnFEMI',
  sessionToken: 'canary-aws-session-token-providers-cli',
};

type Fake = Awaited<ReturnType<typeof startProviderFake>>;

let model: ModelServer;
let root: string;

beforeAll(async () => {
  model = await startModelServer({
    script: (_req, ctx) => (ctx.hasTool('Bash') ? { text: 'PROVIDER-OK' } : { text: 'side' }),
  });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'providers-cli-'));
});
afterAll(async () => {
  await model.close();
  fs.rmSync(root, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  result: Record<string, unknown> | undefined;
  audit: AuditEntry[];
  proxy: KeyProxy;
}

/** The bare CLI in the provider's mode against the proxy (which holds the credential), like the action sets it up. */
async function runThroughProxy(
  settings: ProviderSettings,
  endpoint: string,
  auth: UpstreamAuthConfig | undefined,
  apiKey = '',
): Promise<Run> {
  const token = newProxyToken();
  const audit: AuditEntry[] = [];
  const proxySettings: KeyProxySettings = {
    upstream: endpoint,
    apiKey,
    token,
    budgetUsd: 5,
    upstreamAuth: auth,
    route: auth
      ? { provider: settings.provider, region: settings.region, project: settings.project }
      : undefined,
  };
  const proxy = createKeyProxy({
    ...proxySettings,
    ...providerHooks(proxySettings),
    onAudit: (e) => audit.push(e),
  });
  const port = await proxy.listen();
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    ...agentProviderEnv(settings, `http://127.0.0.1:${port}`, token).set,
  };
  const child = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(
      CLAUDE,
      ['--print', '--output-format', 'json', '--max-turns', '2', '--model', 'sonnet', '--', 'say ok'],
      { env, cwd: home, timeout: 90_000 },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
    );
  });
  let result: Record<string, unknown> | undefined;
  try {
    result = JSON.parse(child.stdout) as Record<string, unknown>;
  } catch {
    result = undefined;
  }
  await proxy.close();
  return { ...child, result, audit, proxy };
}

function expectReviewed(run: Run, fake: Fake) {
  expect(run.result?.is_error).toBe(false);
  expect(run.result?.result).toBe('PROVIDER-OK');
  expect(fake.accepted.length).toBeGreaterThan(0);
  expect(run.proxy.usage().costUsd).toBeGreaterThan(0); // metered from the provider's stream
  expect(run.proxy.usage().unmetered).toBe(0);
}

describe('Bedrock: CLAUDE_CODE_USE_BEDROCK + ANTHROPIC_BEDROCK_BASE_URL + CLAUDE_CODE_SKIP_BEDROCK_AUTH', () => {
  const settings: ProviderSettings = {
    provider: 'bedrock',
    auth: 'sigv4',
    endpoint: '',
    region: 'eu-west-1',
  };
  let fake: Fake;
  beforeAll(async () => {
    fake = await startProviderFake({ kind: 'bedrock', modelUrl: model.url, aws: AWS, region: 'eu-west-1' });
  });
  afterAll(() => fake.close());

  test('the CLI speaks Bedrock through the proxy, which signs with SigV4; the fake verifies and streams event-stream', async () => {
    const run = await runThroughProxy(settings, fake.url, {
      kind: 'sigv4',
      region: 'eu-west-1',
      credentials: AWS,
    });
    expectReviewed(run, fake);
    const call = fake.accepted[0];
    // Facts: the path carries the model (the alias mapped to a Bedrock id with the region's prefix),
    // the body carries anthropic_version, the response is application/vnd.amazon.eventstream.
    expect(call.url).toMatch(
      /^\/model\/eu\.anthropic\.claude-[a-z0-9.-]+(%3A\d+)?\/invoke-with-response-stream$/,
    );
    // The CLI sends the model id's ':' raw; the proxy re-encodes it as the AWS SDKs do (%3A) before signing.
    expect(run.audit.find((a) => a.event === 'forwarded')?.path).toMatch(
      /^\/model\/eu\.anthropic\.claude-sonnet-[a-z0-9.-]+-v\d+:\d+\/invoke-with-response-stream$/,
    );
    expect(JSON.parse(call.body)).toMatchObject({ anthropic_version: 'bedrock-2023-05-31' });
    expect(JSON.parse(call.body).model).toBeUndefined();
    expect(call.headers['x-claude-guard-token']).toBeUndefined(); // the agent's token stops at the proxy
    // The SDK's model discovery (GET /inference-profiles) is not a model call: refused by the proxy.
    // (The audit shows a path the agent chose only when it is an allowed target: "(unlisted path)".)
    expect(run.audit.some((a) => a.event === 'bad-token' && a.method === 'GET')).toBe(true);
    expect(fake.requests.some((r) => r.url.startsWith('/inference-profiles'))).toBe(false);
  });

  test('the fake refuses a tampered signature, a wrong secret and a missing session token (403)', async () => {
    const body = Buffer.from('{"anthropic_version":"bedrock-2023-05-31","messages":[],"max_tokens":1}');
    const { createUpstreamAuth } = await import('../../src/providers/upstream-auth.js');
    const url = new URL(`${fake.url}/model/eu.anthropic.claude-opus-5-5/invoke`);
    const sign = (creds: typeof AWS) =>
      createUpstreamAuth({ kind: 'sigv4', region: 'eu-west-1', credentials: creds }).headers({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        body,
      });
    const good = await sign(AWS);
    const req = (headers: Record<string, unknown>, b = body) => ({
      method: 'POST',
      url: url.pathname,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
      body: b,
    });
    expect(sigv4Problem(req(good), AWS, 'eu-west-1', 'bedrock')).toBe('');
    expect(
      sigv4Problem(req(good, Buffer.from(body.toString().replace('1}', '2}'))), AWS, 'eu-west-1', 'bedrock'),
    ).toMatch(/does not match/);
    const flipped = String(good.authorization).replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(sigv4Problem(req({ ...good, authorization: flipped }), AWS, 'eu-west-1', 'bedrock')).toBe(
      'signature does not match',
    );
    const wrongSecret = await sign({ ...AWS, secretAccessKey: 'not-the-secret' });
    expect(sigv4Problem(req(wrongSecret), AWS, 'eu-west-1', 'bedrock')).toBe('signature does not match');
    const { 'x-amz-security-token': _t, ...noSession } = good;
    expect(sigv4Problem(req(noSession), AWS, 'eu-west-1', 'bedrock')).toMatch(/session token/);
    expect(sigv4Problem(req(good), AWS, 'us-east-1', 'bedrock')).toMatch(/region/);
    // And over the wire: a tampered request gets 403 from the fake.
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...(good as Record<string, string>), authorization: flipped },
      body,
    });
    expect(res.status).toBe(403);
    expect(fake.refused.at(-1)?.verdict).toBe('signature does not match');
  });
});

describe('Vertex: CLAUDE_CODE_USE_VERTEX + ANTHROPIC_VERTEX_BASE_URL + CLAUDE_CODE_SKIP_VERTEX_AUTH', () => {
  const settings: ProviderSettings = {
    provider: 'vertex',
    auth: 'google',
    endpoint: '',
    region: 'us-east5',
    project: 'acme-widgets',
  };
  let fake: Fake;
  beforeAll(async () => {
    fake = await startProviderFake({
      kind: 'vertex',
      modelUrl: model.url,
      region: 'us-east5',
      project: 'acme-widgets',
    });
  });
  afterAll(() => fake.close());

  test('google-auth-library exchanges the workload-identity token at the STS; the fake accepts only the token it issued', async () => {
    const run = await runThroughProxy(settings, `${fake.url}/v1`, {
      kind: 'google',
      credentials: fake.externalAccount(),
    });
    expectReviewed(run, fake);
    const call = fake.accepted[0];
    expect(call.url).toMatch(
      /^\/v1\/projects\/acme-widgets\/locations\/us-east5\/publishers\/anthropic\/models\/claude-[a-z0-9.@-]+:streamRawPredict$/,
    );
    expect(JSON.parse(call.body)).toMatchObject({ anthropic_version: 'vertex-2023-10-16', stream: true });
    expect(call.headers.authorization).toMatch(/^Bearer ya29\.canary-/);
    expect(fake.requests.some((r) => r.url === '/sts/v1/token' && r.verdict === 'accepted')).toBe(true);
  });

  test('the fake refuses a token it did not issue (401)', async () => {
    const res = await fetch(
      `${fake.url}/v1/projects/acme-widgets/locations/us-east5/publishers/anthropic/models/claude-x:rawPredict`,
      { method: 'POST', headers: { authorization: 'Bearer ya29.forged' }, body: '{}' },
    );
    expect(res.status).toBe(401);
  });
});

describe('Foundry and the subscription OAuth token', () => {
  test('Foundry: CLAUDE_CODE_USE_FOUNDRY + ANTHROPIC_FOUNDRY_BASE_URL + ANTHROPIC_FOUNDRY_API_KEY (the token)', async () => {
    const key = 'canary-foundry-key-0123456789';
    const fake = await startProviderFake({ kind: 'foundry', modelUrl: model.url, apiKey: key });
    try {
      const run = await runThroughProxy(
        { provider: 'foundry', auth: 'api-key', endpoint: '' },
        `${fake.url}/anthropic`,
        {
          kind: 'api-key',
          apiKey: key,
        },
      );
      expectReviewed(run, fake);
      expect(fake.accepted[0].url).toMatch(/^\/anthropic\/v1\/messages(\?beta=true)?$/);
      const bad = await fetch(`${fake.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'x' },
        body: '{}',
      });
      expect(bad.status).toBe(401);
    } finally {
      await fake.close();
    }
  });

  test('OAuth: CLAUDE_CODE_OAUTH_TOKEN (the token) → Authorization: Bearer + oauth beta; the proxy swaps in the real token', async () => {
    const oauthToken = 'sk-ant-oat01-canary-subscription-token-0123456789';
    const fake = await startProviderFake({ kind: 'oauth', modelUrl: model.url, oauthToken });
    try {
      const run = await runThroughProxy({ provider: 'anthropic', auth: 'oauth', endpoint: '' }, fake.url, {
        kind: 'oauth',
        token: oauthToken,
      });
      expectReviewed(run, fake);
      expect(String(fake.accepted[0].headers['anthropic-beta'])).toContain('oauth-2025-04-20');
      const bad = await fetch(`${fake.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer wrong', 'anthropic-beta': 'oauth-2025-04-20' },
        body: '{}',
      });
      expect(bad.status).toBe(401);
    } finally {
      await fake.close();
    }
  });
});
