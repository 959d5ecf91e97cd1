/**
 * Which model provider a run pays through, and everything about it that can be decided from the inputs
 * and the job's environment alone (pure, table-tested): the provider's endpoint, its region and project,
 * the model ids it accepts, and the request targets the key proxy may forward to it.
 *
 * Defends S1 for cloud credentials (the agent runs Claude Code in the provider's mode pointed at the
 * loopback proxy with auth skipped; only the proxy signs) and X5 (the proxy forwards only the provider's
 * model-invocation targets for Anthropic models, in the configured region and project).
 *
 * Bad configuration throws an InputError naming the input, so the agent never starts on it.
 */
import { InputError } from '../core.js';

/** Reads one raw input (core.getInput semantics). */
type GetInput = (name: string) => string;

export const PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'foundry'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** How the proxy authenticates upstream. */
export type UpstreamAuthKind = 'api-key' | 'oauth' | 'sigv4' | 'google';

export interface ProviderSettings {
  provider: ProviderName;
  /** How the proxy authenticates to the provider. */
  auth: UpstreamAuthKind;
  /** The provider's API origin (+ base path), no trailing slash. */
  endpoint: string;
  /** Bedrock: AWS region; Vertex: Google Cloud region (or 'global'). */
  region?: string;
  /** Vertex: Google Cloud project id. */
  project?: string;
}

/** The job environment variables this module reads (names only; values are never kept here). */
export type Env = Readonly<Record<string, string | undefined>>;

const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const GCP_REGION = /^(?:global|[a-z]+-[a-z]+\d{1,2})$/;
/** Google Cloud project ids: 6–30 characters, lower-case letters, digits, hyphens; a letter first. */
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** An Azure AI Foundry resource name. */
const FOUNDRY_RESOURCE = /^[A-Za-z0-9][A-Za-z0-9-]{1,62}$/;

/** Claude Code's own model aliases; it maps them to each provider's ids itself. */
const ALIAS = /^(?:default|sonnet|opus|haiku|opusplan|best)(?:\[1m\])?$/;
/**
 * Model ids each provider accepts for Claude:
 * - bedrock: `anthropic.claude-…` with an optional cross-region prefix (us., eu., apac., global., …) and
 *   an optional `-vN:M` version, or an application inference profile ARN;
 * - vertex: `claude-…` with an optional `@YYYYMMDD` version;
 * - foundry: the deployment name (Foundry deployments of Claude are named after the model);
 * - anthropic: `claude-…`.
 */
export const MODEL_PATTERNS: Record<ProviderName, RegExp> = {
  anthropic: /^claude-[a-z0-9.-]+(?:\[1m\])?$/,
  bedrock:
    /^(?:(?:[a-z]{2,6}\.)?anthropic\.claude-[a-z0-9.-]+(?::\d+)?|arn:aws(?:-[a-z]+)?:bedrock:[a-z0-9-]+:\d{12}:(?:application-)?inference-profile\/[A-Za-z0-9.:-]+)(?:\[1m\])?$/,
  vertex: /^claude-[a-z0-9.-]+(?:@\d{8})?(?:\[1m\])?$/,
  foundry: /^claude-[a-z0-9.-]+(?:\[1m\])?$/,
};

const EXAMPLES: Record<ProviderName, string> = {
  anthropic: 'claude-sonnet-4-5',
  bedrock: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  vertex: 'claude-sonnet-4-5@20250929',
  foundry: 'claude-sonnet-4-5',
};

/** The `model` input, checked against what the provider accepts. '' → undefined (Claude Code's default). */
export function checkModel(provider: ProviderName, model: string | undefined): string | undefined {
  if (!model) return undefined;
  // The Anthropic API (or a gateway in front of it) keeps the general model-name check of inputs.ts.
  if (provider === 'anthropic') return model;
  if (ALIAS.test(model) || MODEL_PATTERNS[provider].test(model)) return model;
  throw new InputError(
    'model',
    `'${model}' is not a model id ${provider} accepts for Claude; use an alias (sonnet, opus, haiku) or an id like ${EXAMPLES[provider]}.`,
  );
}

const DEFAULT_ANTHROPIC = 'https://api.anthropic.com';

const PROVIDER_INPUTS = [
  'provider',
  'claude-code-oauth-token',
  'aws-region',
  'vertex-region',
  'vertex-project-id',
  'foundry-resource',
] as const;

/**
 * Reads the provider inputs. `baseUrl` is the already validated `anthropic-base-url`: for a cloud
 * provider, a value other than the Anthropic default overrides the provider's endpoint (a VPC or
 * private endpoint; tests point it at a loopback fake).
 */
export function readProviderSettings(
  getInput: GetInput,
  env: Env,
  baseUrl: string,
  hasApiKey: boolean,
): ProviderSettings {
  // Every provider input is read (and so checked for being declared) whatever the provider.
  const given = Object.fromEntries(PROVIDER_INPUTS.map((name) => [name, getInput(name).trim()]));
  const get = (name: (typeof PROVIDER_INPUTS)[number]): string => given[name];
  const raw = get('provider') || 'anthropic';
  if (!(PROVIDERS as readonly string[]).includes(raw)) {
    throw new InputError('provider', `'${raw}' is not accepted; use one of: ${PROVIDERS.join(', ')}.`);
  }
  const provider = raw as ProviderName;
  const override = baseUrl !== DEFAULT_ANTHROPIC ? baseUrl : undefined;
  const oauth = get('claude-code-oauth-token') !== '';
  if (provider !== 'anthropic' && oauth) {
    throw new InputError(
      'claude-code-oauth-token',
      `is for provider anthropic (a Claude subscription); provider ${provider} uses its own credentials.`,
    );
  }
  switch (provider) {
    case 'anthropic':
      if (!hasApiKey && !oauth) {
        throw new InputError(
          'anthropic-api-key',
          "is required with provider anthropic unless 'claude-code-oauth-token' is set; pass one from a secret.",
        );
      }
      if (hasApiKey && oauth) {
        throw new InputError(
          'claude-code-oauth-token',
          "set either it or 'anthropic-api-key', not both: each bills a different account.",
        );
      }
      return { provider, auth: oauth ? 'oauth' : 'api-key', endpoint: baseUrl };
    case 'bedrock': {
      const region = get('aws-region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
      if (region === '') {
        throw new InputError(
          'aws-region',
          'is required with provider bedrock (or AWS_REGION from aws-actions/configure-aws-credentials).',
        );
      }
      if (!AWS_REGION.test(region)) {
        throw new InputError('aws-region', `'${region}' is not an AWS region such as us-east-1.`);
      }
      return {
        provider,
        auth: 'sigv4',
        region,
        endpoint: override ?? `https://bedrock-runtime.${region}.amazonaws.com`,
      };
    }
    case 'vertex': {
      const region = get('vertex-region') || env.CLOUD_ML_REGION || '';
      if (region === '') {
        throw new InputError(
          'vertex-region',
          "is required with provider vertex (e.g. us-east5 or 'global').",
        );
      }
      if (!GCP_REGION.test(region)) {
        throw new InputError('vertex-region', `'${region}' is not a Google Cloud region such as us-east5.`);
      }
      const project =
        get('vertex-project-id') ||
        env.ANTHROPIC_VERTEX_PROJECT_ID ||
        env.GOOGLE_CLOUD_PROJECT ||
        env.CLOUDSDK_CORE_PROJECT ||
        env.GCLOUD_PROJECT ||
        '';
      if (project === '') {
        throw new InputError(
          'vertex-project-id',
          'is required with provider vertex (or GOOGLE_CLOUD_PROJECT from google-github-actions/auth).',
        );
      }
      if (!GCP_PROJECT.test(project)) {
        throw new InputError('vertex-project-id', `'${project}' is not a Google Cloud project id.`);
      }
      const host = region === 'global' ? 'aiplatform.googleapis.com' : `${region}-aiplatform.googleapis.com`;
      return { provider, auth: 'google', region, project, endpoint: override ?? `https://${host}/v1` };
    }
    case 'foundry': {
      if (!hasApiKey) {
        throw new InputError(
          'anthropic-api-key',
          'is required with provider foundry: pass the Foundry resource key from a secret.',
        );
      }
      const resource = get('foundry-resource');
      if (resource === '' && !override) {
        throw new InputError(
          'foundry-resource',
          'is required with provider foundry (the Azure resource name).',
        );
      }
      if (resource !== '' && !FOUNDRY_RESOURCE.test(resource)) {
        throw new InputError('foundry-resource', `'${resource}' is not an Azure resource name.`);
      }
      return {
        provider,
        auth: 'api-key',
        endpoint: override ?? `https://${resource}.services.ai.azure.com/anthropic`,
      };
    }
  }
}

/** An Anthropic model id as it appears (URL-encoded or not) in a Bedrock path segment. */
const BEDROCK_MODEL_SEGMENT =
  /(?:[a-z]{2,6}\.)?anthropic\.claude-[a-z0-9.-]+(?:(?::|%3A)\d+)?|arn(?::|%3A)aws(?:-[a-z]+)?(?::|%3A)bedrock(?::|%3A)[a-z0-9-]+(?::|%3A)\d{12}(?::|%3A)(?:application-)?inference-profile(?:\/|%2F)[A-Za-z0-9.-]+/
    .source;
const VERTEX_MODEL_SEGMENT = /claude-[a-z0-9.-]+(?:@\d{8})?/.source;

/**
 * The request targets forwarded to the provider, all POST, all model invocations of an Anthropic model
 * (for Vertex in the configured project and region). Anything else gets 403 from the proxy.
 */
export function allowedTarget(
  settings: ProviderSettings,
  method: string | undefined,
  target: string,
): boolean {
  if (method !== 'POST') return false;
  switch (settings.provider) {
    case 'anthropic':
    case 'foundry':
      return /^\/v1\/messages(?:\/count_tokens)?(?:\?[^#]*)?$/.test(target);
    case 'bedrock':
      return new RegExp(`^/model/(?:${BEDROCK_MODEL_SEGMENT})/(?:invoke|invoke-with-response-stream)$`).test(
        target,
      );
    case 'vertex': {
      const base = `/projects/${escape(settings.project ?? '')}/locations/${escape(settings.region ?? '')}/publishers/anthropic/models/`;
      return new RegExp(`^${base}${VERTEX_MODEL_SEGMENT}:(?:rawPredict|streamRawPredict)$`).test(target);
    }
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The header that carries the per-run token for providers whose SDK sends no usable credential. */
export const TOKEN_HEADER = 'x-claude-guard-token';

/**
 * The environment the agent's Claude Code needs to run in the provider's mode against the proxy,
 * holding only the per-run token. `unset` lists variables the generic agent environment sets that
 * must go (an API key would switch the CLI out of OAuth mode).
 */
export function agentProviderEnv(
  settings: ProviderSettings,
  proxyUrl: string,
  token: string,
): { set: Record<string, string>; unset: string[] } {
  const customHeader = `${TOKEN_HEADER}: ${token}`;
  switch (settings.provider) {
    case 'anthropic':
      return settings.auth === 'oauth'
        ? {
            set: { ANTHROPIC_BASE_URL: proxyUrl, CLAUDE_CODE_OAUTH_TOKEN: token },
            unset: ['ANTHROPIC_API_KEY'],
          }
        : { set: { ANTHROPIC_BASE_URL: proxyUrl, ANTHROPIC_API_KEY: token }, unset: [] };
    case 'bedrock':
      return {
        set: {
          CLAUDE_CODE_USE_BEDROCK: '1',
          ANTHROPIC_BEDROCK_BASE_URL: proxyUrl,
          CLAUDE_CODE_SKIP_BEDROCK_AUTH: '1',
          AWS_REGION: settings.region ?? '',
          ANTHROPIC_CUSTOM_HEADERS: customHeader,
        },
        unset: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
      };
    case 'vertex':
      return {
        set: {
          CLAUDE_CODE_USE_VERTEX: '1',
          ANTHROPIC_VERTEX_BASE_URL: proxyUrl,
          CLAUDE_CODE_SKIP_VERTEX_AUTH: '1',
          CLOUD_ML_REGION: settings.region ?? '',
          ANTHROPIC_VERTEX_PROJECT_ID: settings.project ?? '',
          ANTHROPIC_CUSTOM_HEADERS: customHeader,
        },
        unset: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
      };
    case 'foundry':
      return {
        set: {
          CLAUDE_CODE_USE_FOUNDRY: '1',
          ANTHROPIC_FOUNDRY_BASE_URL: proxyUrl,
          ANTHROPIC_FOUNDRY_API_KEY: token,
        },
        unset: ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY'],
      };
  }
}

/**
 * What the user should check when the model API refused the credential (status 401): the input or the
 * job step that supplies THIS provider's credential, never another provider's.
 */
export function refusedCredentialHint(settings: Pick<ProviderSettings, 'provider' | 'auth'>): string {
  switch (settings.provider) {
    case 'anthropic':
      return settings.auth === 'oauth'
        ? "the subscription token was refused (expired or revoked?), check input 'claude-code-oauth-token'"
        : "the key was refused, check input 'anthropic-api-key'";
    case 'foundry':
      return "the Foundry key was refused, check input 'anthropic-api-key' (the Foundry resource key) and 'foundry-resource'";
    case 'bedrock':
      return "the AWS credentials were refused, check the step that sets them (aws-actions/configure-aws-credentials) and input 'aws-region'";
    case 'vertex':
      return "the Google credentials were refused, check the step that sets them (google-github-actions/auth) and inputs 'vertex-project-id' and 'vertex-region'";
  }
}
