/**
 * End-to-end: the BUNDLED action reviews a pull request through each provider's loopback fake
 * (provider-fakes.mjs) — Bedrock, Vertex, Foundry and the Claude subscription token — with the REAL
 * Claude Code CLI in that provider's mode, at every isolation level the machine offers. The fakes verify
 * the credential the key proxy presents (SigV4 recomputed from the fake's copy of the canary AWS keys; a
 * Google access token the fake's STS issued for the workload-identity token; the Foundry key as
 * x-api-key; the subscription token as a Bearer with the oauth beta) and refuse anything else, including
 * a replay of an accepted call with one byte or the credential changed.
 * Every credential is a canary, in the environment and on disk (a credentials file in the checkout, as
 * aws-actions/configure-aws-credentials or google-github-actions/auth can leave one): none may reach the
 * agent, the model, or anything the action emits, and the credentials file must be back afterwards.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createPullRepo, toolResults, type ModelServer, type PullRepo, type Turn } from './support/index.mjs';
import { startProviderFake, type FakeRequest, type ProviderFake } from './support/provider-fakes.mjs';
import { DEFAULT_BASE, DEFAULT_HEAD, leaks, scenarios, structured } from './support/scenario.js';

const go = scenarios();
const isRoot = process.getuid?.() === 0;

const finding = {
  path: 'src/app.js',
  line: 18,
  severity: 'high',
  category: 'correctness',
  title: 'Division by zero is not handled',
  body: 'When `b` is 0 this returns Infinity.',
};
const bash = (command: string): Turn => ({ toolUse: { name: 'Bash', input: { command, description: 'x' } } });
const read = (file: string): Turn => ({ toolUse: { name: 'Read', input: { file_path: file } } });

type Kind = 'bedrock' | 'vertex' | 'foundry' | 'oauth';

interface Plan {
  fake: ProviderFake;
  inputs: Record<string, string>;
}

interface Case {
  /** Job environment the provider's setup step leaves. */
  env: (credsFile: string) => Record<string, string>;
  /** Name of the credentials file planted in the checkout ('' when the provider has none). */
  credsName: string;
  /** Starts the fake, writes the credentials file, returns the action's inputs. */
  start: (model: ModelServer, canaries: Record<string, string>, credsFile: string) => Promise<Plan>;
  /** An accepted request, tampered: the fake must refuse it with this status. */
  tamper: (r: FakeRequest) => { headers: http.OutgoingHttpHeaders; body: string; status: number };
  /** Every accepted model call went to the provider's own route. */
  route: RegExp;
  /** Secrets made up for this case (added to the scenario's). */
  secrets: string[];
}

function cases(): Record<Kind, Case> {
  const tag = Math.random().toString(36).slice(2);
  const session = `canary-aws-session-${tag}`;
  const foundryKey = `canary-foundry-key-${tag}`;
  const oauthToken = `sk-ant-oat01-canary-subscription-${tag}`;
  const same = (r: FakeRequest) => ({ ...r.headers }) as http.OutgoingHttpHeaders;
  return {
    bedrock: {
      // A shared-credentials file in the checkout, named by AWS_SHARED_CREDENTIALS_FILE.
      credsName: 'aws-credentials',
      env: (credsFile) => ({
        AWS_SESSION_TOKEN: session,
        AWS_REGION: 'eu-west-1',
        AWS_SHARED_CREDENTIALS_FILE: credsFile,
      }),
      start: async (model, canaries, credsFile) => {
        fs.writeFileSync(
          credsFile,
          `[default]\naws_access_key_id = ${canaries.AWS_ACCESS_KEY_ID}\n` +
            `aws_secret_access_key = ${canaries.AWS_SECRET_ACCESS_KEY}\naws_session_token = ${session}\n`,
          { mode: 0o600 },
        );
        const fake = await startProviderFake({
          kind: 'bedrock',
          modelUrl: model.url,
          region: 'eu-west-1',
          aws: {
            accessKeyId: canaries.AWS_ACCESS_KEY_ID,
            secretAccessKey: canaries.AWS_SECRET_ACCESS_KEY,
            sessionToken: session,
          },
        });
        return {
          fake,
          inputs: {
            provider: 'bedrock',
            'anthropic-api-key': '',
            'anthropic-base-url': fake.url,
            model: 'sonnet',
          },
        };
      },
      // One byte of the signed body changed (same length): the signature no longer matches.
      tamper: (r) => ({
        headers: same(r),
        body: r.body.replace('bedrock-2023-05-31', 'bedrock-2023-05-32'),
        status: 403,
      }),
      route: /^\/model\/eu\.anthropic\.claude-[^/]+\/invoke(-with-response-stream)?$/,
      secrets: [session],
    },
    vertex: {
      credsName: 'gha-creds-0123456789abcdef.json',
      env: (credsFile) => ({
        GOOGLE_CLOUD_PROJECT: 'acme-widgets',
        CLOUD_ML_REGION: 'us-east5',
        GOOGLE_APPLICATION_CREDENTIALS: credsFile,
        GOOGLE_GHA_CREDS_PATH: credsFile,
      }),
      start: async (model, _canaries, credsFile) => {
        const fake = await startProviderFake({
          kind: 'vertex',
          modelUrl: model.url,
          region: 'us-east5',
          project: 'acme-widgets',
        });
        fs.writeFileSync(credsFile, JSON.stringify(fake.externalAccount()), { mode: 0o600 });
        return {
          fake,
          inputs: { provider: 'vertex', 'anthropic-api-key': '', 'anthropic-base-url': `${fake.url}/v1` },
        };
      },
      tamper: (r) => ({
        headers: { ...same(r), authorization: 'Bearer ya29.forged-access-token' },
        body: r.body,
        status: 401,
      }),
      route:
        /^\/v1\/projects\/acme-widgets\/locations\/us-east5\/publishers\/anthropic\/models\/claude-[^/:]+:(stream)?[rR]awPredict$/,
      secrets: [],
    },
    foundry: {
      credsName: '',
      env: () => ({}),
      start: async (model) => {
        const fake = await startProviderFake({ kind: 'foundry', modelUrl: model.url, apiKey: foundryKey });
        return {
          fake,
          inputs: {
            provider: 'foundry',
            'anthropic-api-key': foundryKey,
            'anthropic-base-url': `${fake.url}/anthropic`,
          },
        };
      },
      tamper: (r) => ({
        headers: { ...same(r), 'x-api-key': `${foundryKey.slice(0, -1)}X` },
        body: r.body,
        status: 401,
      }),
      route: /^\/anthropic\/v1\/messages(\?beta=true)?$/,
      secrets: [foundryKey],
    },
    oauth: {
      credsName: '',
      env: () => ({}),
      start: async (model) => {
        const fake = await startProviderFake({ kind: 'oauth', modelUrl: model.url, oauthToken });
        return {
          fake,
          inputs: {
            'anthropic-api-key': '',
            'claude-code-oauth-token': oauthToken,
            'anthropic-base-url': fake.url,
          },
        };
      },
      tamper: (r) => ({
        headers: { ...same(r), authorization: `Bearer ${oauthToken.slice(0, -1)}X` },
        body: r.body,
        status: 401,
      }),
      route: /^\/v1\/messages(\?beta=true)?$/,
      secrets: [oauthToken],
    },
  };
}

/** Sends a recorded request again, byte for byte but for the given headers and body; the status. */
function replay(
  url: string,
  r: FakeRequest,
  headers: http.OutgoingHttpHeaders,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${r.url}`, { method: r.method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The matrix: every provider at every isolation level the machine offers (strict needs root). */
const KINDS = ['bedrock', 'vertex', 'foundry', 'oauth'] as const;
const levels: [string, Kind][] = ['rules-only', 'sandbox', ...(isRoot ? ['strict'] : [])].flatMap((level) =>
  KINDS.map((kind): [string, Kind] => [level, kind]),
);

describe('the bundled action through each provider, at each isolation level', () => {
  test.each(levels)(
    'isolation %s, provider %s: the review completes through the verifying fake; no credential canary leaks; the credentials file is back',
    async (level, kind) => {
      const c = cases()[kind];
      let fake: ProviderFake | undefined;
      const repo: PullRepo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
      const credsFile = c.credsName ? path.join(repo.dir, c.credsName) : '';
      try {
        const s = await go({
          repo,
          // The agent looks for credentials: its environment, and the credentials file in the checkout.
          script: [
            bash('git diff HEAD~1'),
            read(path.join(repo.dir, 'src', 'app.js')),
            bash('env'),
            ...(credsFile ? [read(credsFile)] : []),
            structured([finding]),
          ],
          env: c.env(credsFile),
          extraSecrets: c.secrets,
          inputs: { isolation: level },
          inputsFor: async (model, canaries) => {
            const plan = await c.start(model, canaries, credsFile);
            fake = plan.fake;
            return plan.inputs;
          },
        });
        // The only error annotation is the high-severity finding itself: no model API or setup error.
        expect(s.run.errors).toEqual([finding.body]);
        expect(s.run.main.code).toBe(0);
        expect(s.run.outputs).toMatchObject({
          conclusion: 'findings',
          'findings-count': '1',
          isolation: level,
        });
        expect(Number(s.run.outputs['cost-usd'])).toBeGreaterThan(0); // metered from the provider's stream
        expect(s.github.state.reviews).toHaveLength(1);
        // Every model call reached the provider's fake, on its own route, with a verified credential.
        expect(fake!.accepted.length).toBeGreaterThan(0);
        for (const r of fake!.accepted) expect(r.url).toMatch(c.route);
        if (kind === 'vertex')
          expect(fake!.requests.some((r) => r.url === '/sts/v1/token' && r.verdict === 'accepted')).toBe(
            true,
          );
        // The fake is not a rubber stamp: the first accepted call, tampered, is refused.
        const t = c.tamper(fake!.accepted[0]);
        expect(await replay(fake!.url, fake!.accepted[0], t.headers, t.body)).toBe(t.status);

        // The agent really read the code (git diff; at sandbox in review mode the Read of the live
        // workspace is outside its working directory, a clean copy); nothing it ran or read showed a credential.
        const results = toolResults(s.model.requests)
          .map((r) => r.content)
          .join('\n');
        expect(results).toContain('return a / b;');
        s.secrets.push(...fake!.secrets);
        for (const secret of s.secrets) expect(results).not.toContain(secret);
        expect(leaks(s)).toEqual([]);
        expect(s.run.post.code).toBe(0);
        // The credentials files are back where the job left them, unchanged in kind.
        if (credsFile) expect(fs.existsSync(credsFile)).toBe(true);
        if (kind === 'bedrock') expect(fs.readFileSync(credsFile, 'utf8')).toContain(c.secrets[0]);
        expect(fs.readFileSync(path.join(s.run.home, '.aws', 'credentials'), 'utf8')).toMatch(
          /aws_secret_access_key = canary-on-disk-/,
        );
      } finally {
        await fake?.close();
        repo.cleanup();
      }
    },
  );
});

describe('a refused credential', () => {
  test('a wrong subscription token: the fake refuses it (401), the run fails naming claude-code-oauth-token, nothing leaks', async () => {
    let fake: ProviderFake | undefined;
    const tag = Math.random().toString(36).slice(2);
    const given = `sk-ant-oat01-canary-revoked-${tag}`;
    try {
      const s = await go({
        script: [structured([finding])],
        extraSecrets: [given],
        inputsFor: async (model) => {
          fake = await startProviderFake({
            kind: 'oauth',
            modelUrl: model.url,
            oauthToken: `sk-ant-oat01-canary-current-${tag}`,
          });
          return {
            'anthropic-api-key': '',
            'claude-code-oauth-token': given,
            'anthropic-base-url': fake.url,
          };
        },
      });
      expect(fake!.accepted).toEqual([]);
      expect(fake!.refused.map((r) => r.verdict)).toContain('not the subscription token');
      expect(s.run.main.code).toBe(1);
      expect(s.run.outputs.conclusion).toBe('failed');
      const errors = s.run.errors.join('\n');
      expect(errors).toMatch(/model API status 401: .*input 'claude-code-oauth-token'/);
      expect(errors).not.toContain('anthropic-api-key');
      expect(leaks(s)).toEqual([]);
      expect(s.run.post.code).toBe(0);
    } finally {
      await fake?.close();
    }
  });
});
