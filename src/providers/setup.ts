/**
 * The provider stage of the main step, at the edge (threat-model S1): finds the credential in the job's
 * environment, masks it and every form derived from it, moves credential files out of the checkout for
 * the run, and returns the key proxy's config (the credential goes to the proxy over its stdin only).
 * Also the agent-environment edit that puts Claude Code in the provider's mode against the proxy.
 */
import fs from 'node:fs';
import type { Settings } from '../inputs.js';
import { findCredential, type CredentialPorts } from './credentials.js';
import { filesInside, hideFiles, type HiddenFile } from './credential-files.js';
import { agentProviderEnv, type Env } from './provider.js';
import type { UpstreamAuthConfig } from './upstream-auth.js';
import type { ProviderRoute } from './upstream.js';

export interface ProviderProxyConfig {
  upstream: string;
  apiKey: string;
  upstreamAuth?: UpstreamAuthConfig;
  route?: ProviderRoute;
}

export interface PreparedProvider {
  proxy: ProviderProxyConfig;
  /** Secret values found (to mask and redact). */
  secrets: string[];
  hidden: HiddenFile[];
}

export const realCredentialPorts: CredentialPorts = {
  awsDefaultChain: async () => {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const c = await defaultProvider({ timeout: 2000, maxRetries: 1 })();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
  },
  readFile: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  home: process.env.HOME,
};

export async function prepareProvider(
  settings: Settings,
  env: Env,
  workspace: string,
  runDir: string,
  mask: (secret: string) => void,
  ports: CredentialPorts = realCredentialPorts,
): Promise<PreparedProvider> {
  const p = settings.provider;
  const found = await findCredential(
    p,
    { apiKey: settings.anthropicApiKey, oauthToken: settings.claudeCodeOauthToken },
    env,
    ports,
  );
  for (const secret of found.secrets) mask(secret);
  const hidden = hideFiles(filesInside(found.files, workspace), runDir);
  const route: ProviderRoute = { provider: p.provider, region: p.region, project: p.project };
  const proxy: ProviderProxyConfig =
    p.provider === 'anthropic' && found.auth.kind === 'api-key'
      ? { upstream: p.endpoint, apiKey: found.auth.apiKey }
      : { upstream: p.endpoint, apiKey: '', upstreamAuth: found.auth, route };
  return { proxy, secrets: found.secrets, hidden };
}

/** Puts the agent's Claude Code in the provider's mode against the proxy, holding only the token. */
export function applyAgentProviderEnv(
  env: Record<string, string>,
  settings: Settings,
  proxyUrl: string,
  token: string,
): void {
  const { set, unset } = agentProviderEnv(settings.provider, proxyUrl, token);
  for (const name of unset) delete env[name];
  Object.assign(env, set);
}
