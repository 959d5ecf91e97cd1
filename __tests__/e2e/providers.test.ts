/**
 * End-to-end: the BUNDLED action reviews a pull request through each cloud provider's loopback fake
 * (provider-fakes.mjs), with the REAL Claude Code CLI in that provider's mode. The fakes verify the
 * credential the key proxy presents (SigV4 recomputed from the fake's copy of the canary AWS keys; a
 * Google access token the fake's STS issued for the workload-identity token) and refuse anything else.
 * The cloud credentials are canaries, in the environment and on disk (a gha-creds-*.json in the
 * checkout, as google-github-actions/auth leaves it): none may reach the agent, the model, or anything
 * the action emits, and the credentials file must be back in place after the run.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createPullRepo, toolResults, type Turn } from './support/index.mjs';
import { startProviderFake, type ProviderFake } from './support/provider-fakes.mjs';
import { DEFAULT_BASE, DEFAULT_HEAD, leaks, scenarios, structured } from './support/scenario.js';

const go = scenarios();
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

describe('the bundled action through each provider', () => {
  test('bedrock: SigV4-signed by the proxy with the job AWS keys, verified by the fake; no AWS canary leaks', async () => {
    let fake: ProviderFake | undefined;
    const session = `canary-aws-session-${Math.random().toString(36).slice(2)}`;
    try {
      const s = await go({
        script: [bash('git diff HEAD~1'), bash('env'), structured([finding])],
        env: { AWS_SESSION_TOKEN: session, AWS_REGION: 'eu-west-1' },
        extraSecrets: [session],
        inputsFor: async (model, canaries) => {
          fake = await startProviderFake({
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
            provider: 'bedrock',
            'anthropic-api-key': '',
            'anthropic-base-url': fake.url,
            model: 'sonnet',
          };
        },
      });
      expect(s.run.main.code).toBe(0);
      expect(s.run.outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '1' });
      expect(Number(s.run.outputs['cost-usd'])).toBeGreaterThan(0); // metered from the event stream
      expect(fake!.accepted.length).toBeGreaterThan(0);
      expect(fake!.accepted.every((r) => r.url.startsWith('/model/eu.anthropic.claude-'))).toBe(true);
      expect(s.github.state.reviews).toHaveLength(1);
      // The agent really ran git diff; nothing it ran printed an AWS credential.
      const results = toolResults(s.model.requests)
        .map((r) => r.content)
        .join('\n');
      expect(results).toContain('return a / b;');
      expect(leaks(s)).toEqual([]);
      expect(s.run.post.code).toBe(0);
    } finally {
      await fake?.close();
    }
  });

  test('vertex: google-auth-library token from the workload-identity file, verified by the fake; the gha-creds file is out of reach and back afterwards', async () => {
    let fake: ProviderFake | undefined;
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    const credsFile = path.join(repo.dir, 'gha-creds-0123456789abcdef.json');
    try {
      const s = await go({
        repo,
        script: [read(credsFile), bash('git diff HEAD~1'), structured([finding])],
        env: {
          GOOGLE_CLOUD_PROJECT: 'acme-widgets',
          CLOUD_ML_REGION: 'us-east5',
          GOOGLE_APPLICATION_CREDENTIALS: credsFile,
          GOOGLE_GHA_CREDS_PATH: credsFile,
        },
        inputsFor: async (model) => {
          fake = await startProviderFake({
            kind: 'vertex',
            modelUrl: model.url,
            region: 'us-east5',
            project: 'acme-widgets',
          });
          fs.writeFileSync(credsFile, JSON.stringify(fake.externalAccount()), { mode: 0o600 });
          return { provider: 'vertex', 'anthropic-api-key': '', 'anthropic-base-url': `${fake.url}/v1` };
        },
      });
      expect(s.run.main.code).toBe(0);
      expect(s.run.outputs).toMatchObject({ conclusion: 'findings', 'findings-count': '1' });
      expect(fake!.accepted.length).toBeGreaterThan(0);
      expect(fake!.requests.some((r) => r.url === '/sts/v1/token' && r.verdict === 'accepted')).toBe(true);
      // The agent's Read of the credentials file found nothing: it was moved out for the run.
      const results = toolResults(s.model.requests)
        .map((r) => r.content)
        .join('\n');
      for (const secret of fake!.secrets) expect(results).not.toContain(secret);
      expect(fs.existsSync(credsFile)).toBe(true);
      s.secrets.push(...fake!.secrets);
      expect(leaks(s)).toEqual([]);
      expect(s.run.post.code).toBe(0);
    } finally {
      await fake?.close();
      repo.cleanup();
    }
  });
});
