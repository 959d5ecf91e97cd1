import type { IncomingHttpHeaders } from 'node:http';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface FakeRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** 'accepted', or why the fake refused it. */
  verdict: string;
}

export function sigv4Problem(
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  keys: AwsKeys,
  region: string,
  service: string,
): string;

export interface ProviderFake {
  url: string;
  requests: FakeRequest[];
  readonly accepted: FakeRequest[];
  readonly refused: FakeRequest[];
  readonly secrets: string[];
  externalAccount(): Record<string, unknown>;
  close(): Promise<void>;
}

export function startProviderFake(options: {
  kind: 'bedrock' | 'vertex' | 'oauth' | 'foundry';
  modelUrl: string;
  aws?: AwsKeys;
  region?: string;
  project?: string;
  oauthToken?: string;
  apiKey?: string;
}): Promise<ProviderFake>;
