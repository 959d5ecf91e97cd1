/**
 * Finds the credential the key proxy will use for the chosen provider, in the action's process, before
 * anything starts (threat-model S1: only the proxy holds it afterwards; it travels over the proxy's
 * stdin). Also lists every secret value it found (to mask, with derived forms, and redact) and the
 * credential files that must be out of the agent's reach while it runs.
 *
 * - anthropic: the API key, or the Claude subscription OAuth token;
 * - foundry: the resource key;
 * - bedrock: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) as
 *   aws-actions/configure-aws-credentials leaves them, else the AWS SDK's default chain (profiles, SSO,
 *   web identity, container and instance metadata) through an injected port;
 * - vertex: the credentials JSON named by GOOGLE_APPLICATION_CREDENTIALS (google-github-actions/auth
 *   sets it, also as GOOGLE_GHA_CREDS_PATH and CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE), else gcloud's
 *   application-default file.
 * No credential found → an InputError naming the input, so the agent never starts.
 */
import path from 'node:path';
import { InputError } from '../core.js';
import type { Env, ProviderSettings } from './provider.js';
import type { AwsCredentials, UpstreamAuthConfig } from './upstream-auth.js';

export interface CredentialPorts {
  /** The AWS SDK default credential chain (used only when the environment holds no keys). */
  awsDefaultChain(): Promise<AwsCredentials>;
  readFile(file: string): string | undefined;
  home: string | undefined;
}

export interface FoundCredential {
  auth: UpstreamAuthConfig;
  /** Every secret value found, for masking and redaction. */
  secrets: string[];
  /** Credential files (absolute) the agent must not reach. */
  files: string[];
}

const GOOGLE_TYPES = new Set([
  'service_account',
  'external_account',
  'authorized_user',
  'impersonated_service_account',
  'external_account_authorized_user',
]);

export async function findCredential(
  settings: ProviderSettings,
  secrets: { apiKey: string; oauthToken: string },
  env: Env,
  ports: CredentialPorts,
): Promise<FoundCredential> {
  switch (settings.auth) {
    case 'api-key':
      return { auth: { kind: 'api-key', apiKey: secrets.apiKey }, secrets: [secrets.apiKey], files: [] };
    case 'oauth':
      return { auth: { kind: 'oauth', token: secrets.oauthToken }, secrets: [secrets.oauthToken], files: [] };
    case 'sigv4': {
      const credentials = await awsCredentials(env, ports);
      return {
        auth: { kind: 'sigv4', region: settings.region ?? '', credentials },
        secrets: [
          credentials.accessKeyId,
          credentials.secretAccessKey,
          credentials.sessionToken ?? '',
        ].filter(Boolean),
        files: awsFiles(env, ports.home),
      };
    }
    case 'google': {
      const { file, json } = googleCredentials(env, ports);
      return {
        auth: { kind: 'google', credentials: json },
        secrets: googleSecrets(json),
        files: [file, ...googleFiles(env)],
      };
    }
  }
}

async function awsCredentials(env: Env, ports: CredentialPorts): Promise<AwsCredentials> {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  try {
    const found = await ports.awsDefaultChain();
    if (found.accessKeyId && found.secretAccessKey) return found;
  } catch {
    // the chain's message can name files and endpoints; ours says what to do
  }
  throw new InputError(
    'provider',
    'bedrock needs AWS credentials and none were found: add aws-actions/configure-aws-credentials (OIDC role) before this step.',
  );
}

/** Files of the AWS default chain that hold keys or tokens. */
function awsFiles(env: Env, home: string | undefined): string[] {
  const files = [env.AWS_SHARED_CREDENTIALS_FILE, env.AWS_CONFIG_FILE, env.AWS_WEB_IDENTITY_TOKEN_FILE];
  if (home) files.push(path.join(home, '.aws', 'credentials'), path.join(home, '.aws', 'config'));
  return files.filter((f): f is string => !!f && path.isAbsolute(f));
}

function googleCredentials(
  env: Env,
  ports: CredentialPorts,
): { file: string; json: Record<string, unknown> } {
  const candidates = [
    env.GOOGLE_APPLICATION_CREDENTIALS,
    env.GOOGLE_GHA_CREDS_PATH,
    env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE,
    ports.home && path.join(ports.home, '.config', 'gcloud', 'application_default_credentials.json'),
  ].filter((f): f is string => !!f && path.isAbsolute(f));
  for (const file of candidates) {
    const text = ports.readFile(file);
    if (text === undefined) continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError('provider', `vertex: the Google credentials file ${file} is not JSON.`);
    }
    const type = (json as { type?: unknown } | null)?.type;
    if (typeof json !== 'object' || json === null || typeof type !== 'string' || !GOOGLE_TYPES.has(type)) {
      throw new InputError(
        'provider',
        `vertex: ${file} is not a Google credentials file (service_account or external_account).`,
      );
    }
    return { file, json: json as Record<string, unknown> };
  }
  throw new InputError(
    'provider',
    'vertex needs Google credentials and none were found: add google-github-actions/auth (workload identity federation) before this step.',
  );
}

function googleFiles(env: Env): string[] {
  return [env.GOOGLE_GHA_CREDS_PATH, env.CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE].filter(
    (f): f is string => !!f && path.isAbsolute(f),
  );
}

/** Secret values in a Google credentials JSON: keys, refresh tokens, the token-source headers. */
export function googleSecrets(json: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ['private_key', 'private_key_id', 'client_secret', 'refresh_token']) {
    if (typeof json[k] === 'string') out.push(json[k]);
  }
  const source = json.credential_source as { headers?: Record<string, unknown> } | undefined;
  for (const value of Object.values(source?.headers ?? {})) {
    if (typeof value !== 'string') continue;
    out.push(value);
    const bearer = /^Bearer\s+(.+)$/i.exec(value)?.[1];
    if (bearer) out.push(bearer);
  }
  const nested = json.source_credentials;
  if (nested && typeof nested === 'object') out.push(...googleSecrets(nested as Record<string, unknown>));
  return out.filter((s) => s.length > 0);
}
