import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/inputs.js';
import {
  agentProviderEnv,
  allowedTarget,
  checkModel,
  readProviderSettings,
  refusedCredentialHint,
  type ProviderSettings,
} from '../../src/providers/provider.js';
import { findCredential, googleSecrets, type CredentialPorts } from '../../src/providers/credentials.js';
import {
  filesInside,
  hideFiles,
  readHidden,
  restoreHiddenFiles,
} from '../../src/providers/credential-files.js';
import { EventStreamReader, encodeBedrockChunk } from '../../src/providers/eventstream.js';
import { EVENTSTREAM_TYPE, ResponseMeter } from '../../src/isolation/proxy/sse-meter.js';
import { createUpstreamAuth, parseUpstreamAuthConfig } from '../../src/providers/upstream-auth.js';
import { providerShape } from '../../src/providers/shape.js';

const ANTHROPIC = 'https://api.anthropic.com';

function read(inputs: Record<string, string>, env: Record<string, string> = {}, baseUrl = ANTHROPIC) {
  return readProviderSettings(
    (n) => inputs[n] ?? '',
    env,
    baseUrl,
    inputs['anthropic-api-key'] !== undefined,
  );
}

function failure(fn: () => unknown): { input: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return { input: (err as InputError).input, message: (err as Error).message };
  }
  throw new Error('did not throw');
}

describe('readProviderSettings', () => {
  test.each<[Record<string, string>, Record<string, string>, Partial<ProviderSettings>]>([
    [{ 'anthropic-api-key': 'k' }, {}, { provider: 'anthropic', auth: 'api-key', endpoint: ANTHROPIC }],
    [{ 'claude-code-oauth-token': 't' }, {}, { provider: 'anthropic', auth: 'oauth' }],
    [
      { provider: 'bedrock', 'aws-region': 'eu-west-1' },
      {},
      { auth: 'sigv4', region: 'eu-west-1', endpoint: 'https://bedrock-runtime.eu-west-1.amazonaws.com' },
    ],
    [{ provider: 'bedrock' }, { AWS_REGION: 'us-east-1' }, { region: 'us-east-1' }],
    [{ provider: 'bedrock' }, { AWS_DEFAULT_REGION: 'us-gov-west-1' }, { region: 'us-gov-west-1' }],
    [
      { provider: 'bedrock', 'aws-region': 'us-west-2' },
      { AWS_REGION: 'us-east-1' },
      { region: 'us-west-2' },
    ],
    [
      { provider: 'vertex', 'vertex-region': 'us-east5', 'vertex-project-id': 'my-proj-1' },
      {},
      {
        auth: 'google',
        region: 'us-east5',
        project: 'my-proj-1',
        endpoint: 'https://us-east5-aiplatform.googleapis.com/v1',
      },
    ],
    [
      { provider: 'vertex', 'vertex-region': 'global' },
      { GOOGLE_CLOUD_PROJECT: 'from-gha-auth' },
      { project: 'from-gha-auth', endpoint: 'https://aiplatform.googleapis.com/v1' },
    ],
    [{ provider: 'vertex' }, { CLOUD_ML_REGION: 'europe-west1', CLOUDSDK_CORE_PROJECT: 'proj-abc' }, {}],
    [
      { provider: 'foundry', 'anthropic-api-key': 'k', 'foundry-resource': 'my-res' },
      {},
      { auth: 'api-key', endpoint: 'https://my-res.services.ai.azure.com/anthropic' },
    ],
  ])('%j with env %j', (inputs, env, expected) => {
    expect(read(inputs, env)).toMatchObject(expected);
  });

  test('a non-default anthropic-base-url replaces the cloud endpoint (private endpoints, loopback fakes)', () => {
    expect(
      read({ provider: 'bedrock', 'aws-region': 'us-east-1' }, {}, 'http://127.0.0.1:9/x').endpoint,
    ).toBe('http://127.0.0.1:9/x');
    expect(read({ provider: 'foundry', 'anthropic-api-key': 'k' }, {}, 'http://127.0.0.1:9').endpoint).toBe(
      'http://127.0.0.1:9',
    );
  });

  test.each<[Record<string, string>, Record<string, string>, string, RegExp]>([
    [{ provider: 'azure' }, {}, 'provider', /use one of: anthropic, bedrock, vertex, foundry/],
    [{}, {}, 'anthropic-api-key', /required with provider anthropic unless/],
    [{ 'anthropic-api-key': 'k', 'claude-code-oauth-token': 't' }, {}, 'claude-code-oauth-token', /not both/],
    [{ provider: 'bedrock' }, {}, 'aws-region', /required with provider bedrock/],
    [{ provider: 'bedrock', 'aws-region': 'Europe' }, {}, 'aws-region', /not an AWS region/],
    [
      { provider: 'bedrock', 'claude-code-oauth-token': 't' },
      { AWS_REGION: 'us-east-1' },
      'claude-code-oauth-token',
      /for provider anthropic/,
    ],
    [
      { provider: 'vertex', 'vertex-project-id': 'p-123456' },
      {},
      'vertex-region',
      /required with provider vertex/,
    ],
    [{ provider: 'vertex', 'vertex-region': 'us-east5' }, {}, 'vertex-project-id', /required/],
    [
      { provider: 'vertex', 'vertex-region': 'us east', 'vertex-project-id': 'p-123456' },
      {},
      'vertex-region',
      /not a Google Cloud region/,
    ],
    [
      { provider: 'vertex', 'vertex-region': 'us-east5', 'vertex-project-id': 'P/../x' },
      {},
      'vertex-project-id',
      /not a Google Cloud project/,
    ],
    [{ provider: 'foundry', 'foundry-resource': 'r' }, {}, 'anthropic-api-key', /Foundry resource key/],
    [{ provider: 'foundry', 'anthropic-api-key': 'k' }, {}, 'foundry-resource', /required/],
    [
      { provider: 'foundry', 'anthropic-api-key': 'k', 'foundry-resource': 'a.evil.com/x' },
      {},
      'foundry-resource',
      /not an Azure resource/,
    ],
  ])('%j with env %j fails naming %s', (inputs, env, input, message) => {
    const f = failure(() => read(inputs, env));
    expect(f.input).toBe(input);
    expect(f.message).toMatch(message);
  });
});

describe('refusedCredentialHint: a refused credential (401) names the input or step of THIS provider', () => {
  test.each<[Pick<ProviderSettings, 'provider' | 'auth'>, RegExp, RegExp]>([
    [{ provider: 'anthropic', auth: 'api-key' }, /input 'anthropic-api-key'/, /oauth|aws|google|foundry/i],
    [{ provider: 'anthropic', auth: 'oauth' }, /input 'claude-code-oauth-token'/, /anthropic-api-key/],
    [{ provider: 'foundry', auth: 'api-key' }, /Foundry key.*input 'anthropic-api-key'/, /oauth|aws|google/i],
    [
      { provider: 'bedrock', auth: 'sigv4' },
      /AWS credentials.*configure-aws-credentials.*'aws-region'/,
      /anthropic-api-key|oauth/,
    ],
    [
      { provider: 'vertex', auth: 'google' },
      /Google credentials.*google-github-actions\/auth.*'vertex-project-id'/,
      /anthropic-api-key|oauth|aws/i,
    ],
  ])('%o', (settings, names, never) => {
    const hint = refusedCredentialHint(settings);
    expect(hint).toMatch(names);
    expect(hint).not.toMatch(never);
  });
});

describe('checkModel', () => {
  test.each<[ProviderSettings['provider'], string]>([
    ['bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['bedrock', 'anthropic.claude-3-5-haiku-20241022-v1:0'],
    ['bedrock', 'global.anthropic.claude-opus-4-5-20251101-v1:0'],
    ['bedrock', 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123'],
    ['bedrock', 'sonnet'],
    ['vertex', 'claude-sonnet-4-5@20250929'],
    ['vertex', 'opus[1m]'],
    ['foundry', 'claude-opus-4-1'],
    ['anthropic', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0'],
  ])('%s accepts %s', (provider, model) => {
    expect(checkModel(provider, model)).toBe(model);
  });

  test.each<[ProviderSettings['provider'], string]>([
    ['bedrock', 'claude-sonnet-4-5'],
    ['bedrock', 'meta.llama3-70b-instruct-v1:0'],
    ['bedrock', 'amazon.titan-text-express-v1'],
    ['vertex', 'gemini-2.5-pro'],
    ['vertex', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'],
    ['foundry', 'gpt-4o'],
  ])('%s refuses %s, naming the model input', (provider, model) => {
    const f = failure(() => checkModel(provider, model));
    expect(f.input).toBe('model');
    expect(f.message).toContain(provider);
  });
});

describe('allowedTarget: only model invocations of Anthropic models, in the configured project and region', () => {
  const bedrock: ProviderSettings = {
    provider: 'bedrock',
    auth: 'sigv4',
    endpoint: 'x',
    region: 'us-east-1',
  };
  const vertex: ProviderSettings = {
    provider: 'vertex',
    auth: 'google',
    endpoint: 'x',
    region: 'us-east5',
    project: 'proj-x1',
  };
  const foundry: ProviderSettings = { provider: 'foundry', auth: 'api-key', endpoint: 'x' };
  test.each<[ProviderSettings, string, string, boolean]>([
    [
      bedrock,
      'POST',
      '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream',
      true,
    ],
    [bedrock, 'POST', '/model/eu.anthropic.claude-opus-5-5/invoke', true],
    [bedrock, 'POST', '/model/anthropic.claude-3-5-haiku-20241022-v1:0/count-tokens', false],
    [
      bedrock,
      'POST',
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fab12/invoke',
      true,
    ],
    [bedrock, 'GET', '/inference-profiles?type=SYSTEM_DEFINED', false],
    [bedrock, 'POST', '/model/meta.llama3-70b-instruct-v1%3A0/invoke', false],
    [bedrock, 'POST', '/model/eu.anthropic.claude-opus-5-5/invoke?x=1', false],
    [bedrock, 'POST', '/model/eu.anthropic.claude-opus-5-5/../../guardrail/x/apply', false],
    [bedrock, 'POST', '/async-invoke', false],
    [bedrock, 'GET', '/model/eu.anthropic.claude-opus-5-5/invoke', false],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-east5/publishers/anthropic/models/claude-opus-5-5:streamRawPredict',
      true,
    ],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-east5/publishers/anthropic/models/claude-opus-4-1@20250805:rawPredict',
      true,
    ],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict',
      false,
    ],
    [
      vertex,
      'POST',
      '/projects/other/locations/us-east5/publishers/anthropic/models/claude-opus-5-5:rawPredict',
      false,
    ],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-central1/publishers/anthropic/models/claude-opus-5-5:rawPredict',
      false,
    ],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-east5/publishers/google/models/gemini-2.5-pro:streamGenerateContent',
      false,
    ],
    [
      vertex,
      'POST',
      '/projects/proj-x1/locations/us-east5/publishers/anthropic/models/claude-opus-5-5:predict',
      false,
    ],
    [foundry, 'POST', '/v1/messages?beta=true', true],
    [foundry, 'POST', '/v1/files', false],
  ])('%#: %s %s → %s', (settings, method, target, allowed) => {
    expect(allowedTarget(settings, method, target)).toBe(allowed);
  });
});

describe('agentProviderEnv: the CLI in the provider mode, holding only the per-run token', () => {
  const token = 't'.repeat(43);
  test.each<[ProviderSettings, Record<string, string>, string[]]>([
    [
      { provider: 'anthropic', auth: 'api-key', endpoint: ANTHROPIC },
      { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', ANTHROPIC_API_KEY: token },
      [],
    ],
    [
      { provider: 'anthropic', auth: 'oauth', endpoint: ANTHROPIC },
      { ANTHROPIC_BASE_URL: 'http://127.0.0.1:1', CLAUDE_CODE_OAUTH_TOKEN: token },
      ['ANTHROPIC_API_KEY'],
    ],
    [
      { provider: 'bedrock', auth: 'sigv4', endpoint: 'x', region: 'eu-west-1' },
      {
        CLAUDE_CODE_USE_BEDROCK: '1',
        ANTHROPIC_BEDROCK_BASE_URL: 'http://127.0.0.1:1',
        CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
        AWS_REGION: 'eu-west-1',
        ANTHROPIC_CUSTOM_HEADERS: `x-claude-guard-token: ${token}`,
      },
      ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
    ],
    [
      { provider: 'vertex', auth: 'google', endpoint: 'x', region: 'us-east5', project: 'p-1234' },
      {
        CLAUDE_CODE_USE_VERTEX: '1',
        ANTHROPIC_VERTEX_BASE_URL: 'http://127.0.0.1:1',
        CLAUDE_CODE_SKIP_VERTEX_AUTH: '1',
        CLOUD_ML_REGION: 'us-east5',
        ANTHROPIC_VERTEX_PROJECT_ID: 'p-1234',
        ANTHROPIC_CUSTOM_HEADERS: `x-claude-guard-token: ${token}`,
      },
      ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
    ],
    [
      { provider: 'foundry', auth: 'api-key', endpoint: 'x' },
      {
        CLAUDE_CODE_USE_FOUNDRY: '1',
        ANTHROPIC_FOUNDRY_BASE_URL: 'http://127.0.0.1:1',
        ANTHROPIC_FOUNDRY_API_KEY: token,
      },
      ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
    ],
  ])('%j', (settings, set, unset) => {
    expect(agentProviderEnv(settings, 'http://127.0.0.1:1', token)).toEqual({ set, unset });
  });
});

describe('findCredential', () => {
  const ports = (over: Partial<CredentialPorts> = {}): CredentialPorts => ({
    awsDefaultChain: async () => {
      throw new Error('no chain');
    },
    readFile: () => undefined,
    home: '/home/runner',
    ...over,
  });
  const bedrock: ProviderSettings = {
    provider: 'bedrock',
    auth: 'sigv4',
    endpoint: 'x',
    region: 'us-east-1',
  };
  const vertex: ProviderSettings = {
    provider: 'vertex',
    auth: 'google',
    endpoint: 'x',
    region: 'us-east5',
    project: 'p-1234',
  };
  const none = { apiKey: '', oauthToken: '' };

  test('bedrock: the keys configure-aws-credentials exports, session token included', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret/key',
      AWS_SESSION_TOKEN: 'sess',
    };
    const found = await findCredential(bedrock, none, env, ports());
    expect(found.auth).toEqual({
      kind: 'sigv4',
      region: 'us-east-1',
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret/key', sessionToken: 'sess' },
    });
    expect(found.secrets).toEqual(['ASIAEXAMPLE', 'secret/key', 'sess']);
    expect(found.files).toContain('/home/runner/.aws/credentials');
  });

  test('bedrock: else the default chain; nothing there fails before the agent, naming provider', async () => {
    const chain = ports({ awsDefaultChain: async () => ({ accessKeyId: 'AKIAX', secretAccessKey: 's' }) });
    expect((await findCredential(bedrock, none, {}, chain)).auth).toMatchObject({ kind: 'sigv4' });
    await expect(findCredential(bedrock, none, {}, ports())).rejects.toThrow(
      /Input 'provider': bedrock needs AWS credentials.*configure-aws-credentials/,
    );
  });

  test('vertex: GOOGLE_APPLICATION_CREDENTIALS as google-github-actions/auth leaves it; secrets include the token header', async () => {
    const file = '/ws/gha-creds-abc.json';
    const json = {
      type: 'external_account',
      token_url: 'https://sts.googleapis.com/v1/token',
      credential_source: { url: 'https://x', headers: { Authorization: 'Bearer idtoken-secret' } },
    };
    const found = await findCredential(
      vertex,
      none,
      { GOOGLE_APPLICATION_CREDENTIALS: file, GOOGLE_GHA_CREDS_PATH: file },
      ports({ readFile: (f) => (f === file ? JSON.stringify(json) : undefined) }),
    );
    expect(found.auth).toEqual({ kind: 'google', credentials: json });
    expect(found.secrets).toEqual(['Bearer idtoken-secret', 'idtoken-secret']);
    expect(found.files).toContain(file);
  });

  test('vertex: no file, or not a credentials file, fails naming provider', async () => {
    await expect(findCredential(vertex, none, {}, ports())).rejects.toThrow(
      /vertex needs Google credentials/,
    );
    await expect(
      findCredential(
        vertex,
        none,
        { GOOGLE_APPLICATION_CREDENTIALS: '/x.json' },
        ports({ readFile: () => '{"a":1}' }),
      ),
    ).rejects.toThrow(/not a Google credentials file/);
  });

  test('googleSecrets: service account keys', () => {
    expect(
      googleSecrets({ type: 'service_account', private_key: 'PK', private_key_id: 'id1', client_email: 'e' }),
    ).toEqual(['PK', 'id1']);
  });
});

describe('credential files inside the checkout are moved out for the run and back', () => {
  test('hide, then restore', () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'run-'));
    const creds = path.join(ws, 'gha-creds-1.json');
    fs.writeFileSync(creds, 'secret', { mode: 0o640 });
    const inside = filesInside([creds, '/etc/hostname', path.join(ws, 'missing.json')], ws);
    expect(inside).toEqual([creds]);
    hideFiles(inside, run);
    expect(fs.existsSync(creds)).toBe(false);
    expect(readHidden(run)).toHaveLength(1);
    expect(restoreHiddenFiles(run)).toMatch(/1 credential file/);
    expect(fs.readFileSync(creds, 'utf8')).toBe('secret');
    expect(fs.statSync(creds).mode & 0o777).toBe(0o640);
    fs.rmSync(ws, { recursive: true });
    fs.rmSync(run, { recursive: true });
  });
});

describe('Bedrock event streams', () => {
  test('decoded across arbitrary chunk boundaries', () => {
    const events = [
      { type: 'message_start', message: { model: 'claude-x', usage: { input_tokens: 5, output_tokens: 1 } } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hé' } },
      { type: 'message_delta', usage: { output_tokens: 9 } },
    ];
    const wire = Buffer.concat(events.map((e) => Buffer.from(encodeBedrockChunk(e))));
    for (const size of [1, 7, 64, wire.length]) {
      const seen: unknown[] = [];
      const reader = new EventStreamReader((e) => seen.push(e));
      for (let i = 0; i < wire.length; i += size) reader.push(wire.subarray(i, i + size));
      expect(seen).toEqual(events);
    }
  });

  test('a corrupted message stops reading (nothing is made up)', () => {
    const wire = Buffer.from(encodeBedrockChunk({ type: 'message_delta', usage: { output_tokens: 1 } }));
    wire[wire.length - 6] ^= 0xff; // payload byte: the message CRC no longer matches
    const seen: unknown[] = [];
    new EventStreamReader((e) => seen.push(e)).push(wire);
    expect(seen).toEqual([]);
  });

  // The key proxy loads the reader for Bedrock only (its codec library is slow to load); a meter without
  // one reports an event-stream response unmetered, which stops spending.
  test.each([
    ['with the reader', true, { metered: true, cost: 11 }],
    ['without a reader', false, { metered: false, cost: 0 }],
  ])('a Bedrock response metered %s', (_name, withReader, expected) => {
    const charged: Array<[string, number]> = [];
    const meter = new ResponseMeter(
      { 'content-type': EVENTSTREAM_TYPE },
      (model, delta) => {
        charged.push([model, delta.inputTokens + delta.outputTokens]);
        return delta.inputTokens + delta.outputTokens;
      },
      withReader ? (onEvent) => new EventStreamReader(onEvent) : undefined,
    );
    meter.write(
      Buffer.concat([
        encodeBedrockChunk({
          type: 'message_start',
          message: { model: 'claude-x', usage: { input_tokens: 5, output_tokens: 1 } },
        }),
        encodeBedrockChunk({ type: 'message_delta', usage: { output_tokens: 6 } }),
      ]),
    );
    expect({ metered: meter.finish(), cost: meter.costUsd }).toEqual(expected);
    expect(charged.every(([model]) => model === 'claude-x')).toBe(true);
  });
});

describe('upstream auth', () => {
  const incoming = {
    'x-api-key': 'agent-token',
    authorization: 'Bearer agent-token',
    'x-claude-guard-token': 'agent-token',
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
    cookie: 'c',
  };
  const request = {
    method: 'POST',
    url: new URL('https://h.example/v1/messages'),
    headers: incoming,
    body: Buffer.from('{}'),
  };

  test('oauth: the subscription token as bearer; the agent token never forwarded', async () => {
    const headers = await createUpstreamAuth({ kind: 'oauth', token: 'sub-token' }).headers(request);
    expect(headers.authorization).toBe('Bearer sub-token');
    expect(headers['x-api-key']).toBeUndefined();
    expect(headers['x-claude-guard-token']).toBeUndefined();
    expect(headers.cookie).toBeUndefined();
    expect(headers['anthropic-version']).toBe('2023-06-01');
  });

  test('sigv4: only signed headers and the AWS ones; the agent token never forwarded', async () => {
    const auth = createUpstreamAuth({
      kind: 'sigv4',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'sess' },
    });
    const headers = await auth.headers({
      ...request,
      url: new URL('https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke'),
    });
    expect(String(headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('sess');
    expect(Object.keys(headers).filter((h) => /api-key|guard|cookie|anthropic/.test(h))).toEqual([]);
    expect(auth.secrets()).toEqual(['secret', 'sess']);
  });

  test('config errors name the field, never the value', () => {
    expect(() =>
      parseUpstreamAuthConfig({ kind: 'sigv4', region: 'r', credentials: { accessKeyId: 'AKIAVALUE' } }),
    ).toThrow(/credentials must hold AWS keys/);
    expect(() => parseUpstreamAuthConfig({ kind: 'nope' })).toThrow(/kind must be/);
  });
});

describe('providerShape: the proxy allow-list applies whatever the provider', () => {
  const body = (o: Record<string, unknown>) =>
    Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, ...o }));
  const bedrock = providerShape({ provider: 'bedrock', region: 'us-east-1' }, false);
  const vertex = providerShape({ provider: 'vertex', region: 'us-east5', project: 'proj-x1' }, false);
  const oauth = providerShape({ provider: 'anthropic' }, true);
  const bTarget = '/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream';
  const vTarget =
    '/projects/proj-x1/locations/us-east5/publishers/anthropic/models/claude-x:streamRawPredict';
  const check = (shape: ReturnType<typeof providerShape>, target: string, b: Buffer, headers = {}) =>
    shape.checkRequest({
      method: 'POST',
      target,
      headers: { 'content-type': 'application/json', ...headers },
      body: b,
    });

  test.each<
    [string, ReturnType<typeof providerShape>, string, Buffer, Record<string, string>, boolean | RegExp]
  >([
    [
      'bedrock: the CLI body',
      bedrock,
      bTarget,
      body({ anthropic_version: 'bedrock-2023-05-31', anthropic_beta: ['interleaved-thinking-2025-05-14'] }),
      {},
      true,
    ],
    [
      'bedrock: wrong version',
      bedrock,
      bTarget,
      body({ anthropic_version: '2023-06-01' }),
      {},
      /anthropic_version/,
    ],
    [
      'bedrock: mcp_servers',
      bedrock,
      bTarget,
      body({ anthropic_version: 'bedrock-2023-05-31', mcp_servers: [] }),
      {},
      /mcp_servers/,
    ],
    [
      'bedrock: a beta that opens connections',
      bedrock,
      bTarget,
      body({ anthropic_version: 'bedrock-2023-05-31', anthropic_beta: ['mcp-client-2025-04-04'] }),
      {},
      /mcp-client/,
    ],
    [
      'bedrock: a server tool',
      bedrock,
      bTarget,
      body({
        anthropic_version: 'bedrock-2023-05-31',
        tools: [{ type: 'web_fetch_20250910', name: 'web_fetch' }],
      }),
      {},
      /web_fetch/,
    ],
    [
      'bedrock: another model family',
      bedrock,
      '/model/meta.llama3-70b-instruct-v1:0/invoke',
      body({ anthropic_version: 'bedrock-2023-05-31' }),
      {},
      /model invocations/,
    ],
    [
      'vertex: the CLI body, web-search beta dropped',
      vertex,
      vTarget,
      body({ anthropic_version: 'vertex-2023-10-16', stream: true }),
      { 'anthropic-beta': 'claude-code-20250219,web-search-2025-03-05' },
      true,
    ],
    [
      'vertex: container',
      vertex,
      vTarget,
      body({ anthropic_version: 'vertex-2023-10-16', container: 'x' }),
      {},
      /container/,
    ],
    [
      'oauth: the subscription betas pass',
      oauth,
      '/v1/messages?beta=true',
      body({ model: 'claude-x' }),
      { 'anthropic-beta': 'claude-code-20250219,oauth-2025-04-20' },
      true,
    ],
    [
      'api key: the oauth beta does not',
      providerShape({ provider: 'foundry' }, false),
      '/v1/messages?beta=true',
      body({ model: 'claude-x' }),
      { 'anthropic-beta': 'oauth-2025-04-20' },
      /oauth/,
    ],
  ])('%s', (_name, shape, target, b, headers, expected) => {
    const decision = check(shape, target, b, headers);
    if (expected === true) {
      expect(decision).toMatchObject({ allowed: true });
      const beta = decision.allowed ? String(decision.headers['anthropic-beta'] ?? '') : '';
      expect(beta).not.toContain('web-search');
    } else {
      expect(decision.allowed).toBe(false);
      expect(decision.allowed ? '' : decision.reason).toMatch(expected as RegExp);
    }
  });

  test('oauth: the subscription beta is forwarded', () => {
    const decision = check(oauth, '/v1/messages', body({ model: 'claude-x' }), {
      'anthropic-beta': 'oauth-2025-04-20',
    });
    expect(decision.allowed && decision.headers['anthropic-beta']).toBe('oauth-2025-04-20');
  });
});
