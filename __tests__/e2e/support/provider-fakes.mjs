/**
 * Loopback fakes of the model providers claude-guard pays through, in front of the scripted model server
 * (model-server.mjs). Each one checks the credential the way the real service does and refuses a wrong
 * one, then turns the provider's request into a Messages API request for the script and streams the
 * answer back in the provider's format:
 * - bedrock: AWS Signature V4, recomputed here from the fake's own copy of the credentials (an
 *   implementation independent of the one under test, after AWS's "Create a signed AWS API request");
 *   403 for a missing, wrong or tampered signature, a wrong key id, region or service, a stale date or a
 *   missing session token. Paths `/model/{id}/invoke(-with-response-stream)`, body with
 *   `anthropic_version: bedrock-2023-05-31`; streams as `application/vnd.amazon.eventstream` chunk events.
 * - vertex: a Google access token this fake issued from its STS endpoint (`token_url` of an
 *   external_account credentials file, as google-github-actions/auth writes for workload identity
 *   federation) in exchange for the OIDC token its own "GitHub OIDC" endpoint issued; 401 otherwise.
 *   Paths `/v1/projects/{p}/locations/{r}/publishers/anthropic/models/{m}:streamRawPredict`; SSE.
 * - oauth: `Authorization: Bearer <subscription token>` with the `oauth-2025-04-20` beta; 401 otherwise.
 * - foundry: `x-api-key` at `/anthropic/v1/messages`; 401 otherwise.
 * Every request is recorded with its verdict, so tests prove what was accepted and what was refused.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import crypto from 'node:crypto';
import http from 'node:http';

/**
 * @typedef {{ method: string, url: string, headers: http.IncomingHttpHeaders, body: string,
 *   verdict: 'accepted' | string }} FakeRequest
 * @typedef {{ accessKeyId: string, secretAccessKey: string, sessionToken?: string }} AwsKeys
 */

const sha256 = (/** @type {string | Buffer} */ data) =>
  crypto.createHash('sha256').update(data).digest('hex');
const hmac = (/** @type {Buffer | string} */ key, /** @type {string} */ data) =>
  crypto.createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 wants it. @param {string} s */
const rfc3986 = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Why a SigV4-signed request is not acceptable, or '' when it is.
 * @param {{ method: string, url: string, headers: http.IncomingHttpHeaders, body: Buffer }} req
 * @param {AwsKeys} keys @param {string} region @param {string} service
 */
export function sigv4Problem(req, keys, region, service) {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return 'no SigV4 authorization header';
  const [, keyId, day, signedRegion, signedService, signedHeaders, signature] = m;
  if (keyId !== keys.accessKeyId) return 'unknown access key id';
  if (signedRegion !== region || signedService !== service) return 'wrong region or service in the scope';
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) return 'bad x-amz-date';
  const when = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(Date.now() - when) > 5 * 60 * 1000) return 'request time too skewed';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  if (keys.sessionToken) {
    if (req.headers['x-amz-security-token'] !== keys.sessionToken) return 'missing or wrong session token';
    if (!names.includes('x-amz-security-token')) return 'the session token must be signed';
  }
  const [rawPath, rawQuery = ''] = req.url.split('?');
  const canonicalUri = rawPath
    .split('/')
    .map((segment) => rfc3986(segment))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => rfc3986(decodeURIComponent(x ?? ''))))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join('&');
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash = sha256(req.body);
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== payloadHash) return 'x-amz-content-sha256 does not match the body';
  const canonicalRequest = [
    req.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${keys.secretAccessKey}`, day);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
  const ok = crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return ok ? '' : 'signature does not match';
}

/**
 * @param {{ kind: 'bedrock' | 'vertex' | 'oauth' | 'foundry', modelUrl: string, aws?: AwsKeys,
 *   region?: string, project?: string, oauthToken?: string, apiKey?: string }} options
 */
export async function startProviderFake(options) {
  /** @type {FakeRequest[]} */
  const requests = [];
  /** Vertex: OIDC tokens this fake's "GitHub" endpoint issued, and access tokens its STS issued. */
  const idTokens = new Set();
  const accessTokens = new Set();
  const idRequestToken = `canary-id-request-token-${crypto.randomBytes(8).toString('hex')}`;
  const codec = new EventStreamCodec(toUtf8, fromUtf8);

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      /** @type {FakeRequest} */
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: body.toString(),
        verdict: 'accepted',
      };
      requests.push(record);
      const refuse = (/** @type {number} */ status, /** @type {string} */ why) => {
        record.verdict = why;
        const message =
          options.kind === 'bedrock'
            ? { message: why }
            : { type: 'error', error: { type: 'authentication_error', message: why } };
        res.writeHead(status, {
          'content-type': 'application/json',
          'x-amzn-errortype': status === 403 ? 'AccessDeniedException' : 'ValidationException',
        });
        res.end(JSON.stringify(message));
      };
      handle(req, record, body, refuse, res).catch((err) => refuse(500, String(err)));
    });
  });

  /**
   * @param {http.IncomingMessage} req @param {FakeRequest} record @param {Buffer} body
   * @param {(status: number, why: string) => void} refuse @param {http.ServerResponse} res
   */
  async function handle(req, record, body, refuse, res) {
    const url = record.url;
    if (options.kind === 'vertex' && url.startsWith('/oidc')) {
      // The "GitHub OIDC" endpoint credential_source.url names: needs the request token.
      if (req.headers.authorization !== `Bearer ${idRequestToken}`)
        return refuse(401, 'bad id request token');
      const value = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvd2lkZ2V0cyJ9.${crypto.randomBytes(16).toString('hex')}`;
      idTokens.add(value);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
      return;
    }
    if (options.kind === 'vertex' && url === '/sts/v1/token') {
      const form = new URLSearchParams(body.toString());
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return refuse(400, 'bad grant');
      if (!idTokens.has(form.get('subject_token') ?? '')) return refuse(401, 'unknown subject token');
      const accessToken = `ya29.canary-${crypto.randomBytes(16).toString('hex')}`;
      accessTokens.add(accessToken);
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          access_token: accessToken,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
      return;
    }
    if (req.method !== 'POST') return refuse(403, `not a model invocation: ${req.method} ${url}`);
    /** @type {{ model: string, stream: boolean, json: Record<string, unknown> } | undefined} */
    let call;
    let json;
    try {
      json = JSON.parse(body.toString());
    } catch {
      return refuse(400, 'body is not JSON');
    }
    if (options.kind === 'bedrock') {
      const problem = sigv4Problem(
        { method: req.method, url, headers: req.headers, body },
        /** @type {AwsKeys} */ (options.aws),
        options.region ?? '',
        'bedrock',
      );
      if (problem) return refuse(403, problem);
      const m = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/.exec(url);
      if (!m) return refuse(404, `unknown operation ${url}`);
      if (json.anthropic_version !== 'bedrock-2023-05-31')
        return refuse(400, 'anthropic_version must be bedrock-2023-05-31');
      const { anthropic_version: _v, anthropic_beta: _b, ...rest } = json;
      call = { model: decodeURIComponent(m[1]), stream: m[2] === 'invoke-with-response-stream', json: rest };
    } else if (options.kind === 'vertex') {
      if (!accessTokens.has(String(req.headers.authorization ?? '').replace(/^Bearer /, '')))
        return refuse(401, 'not a token this fake issued');
      const m =
        /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/.exec(
          url,
        );
      if (!m) return refuse(404, `unknown operation ${url}`);
      if (m[1] !== options.project || m[2] !== options.region) return refuse(403, 'wrong project or region');
      if (json.anthropic_version !== 'vertex-2023-10-16')
        return refuse(400, 'anthropic_version must be vertex-2023-10-16');
      const { anthropic_version: _v, ...rest } = json;
      call = { model: decodeURIComponent(m[3]), stream: m[4] === 'streamRawPredict', json: rest };
    } else if (options.kind === 'oauth') {
      if (req.headers.authorization !== `Bearer ${options.oauthToken}`)
        return refuse(401, 'not the subscription token');
      if (
        !String(req.headers['anthropic-beta'] ?? '')
          .split(',')
          .includes('oauth-2025-04-20')
      )
        return refuse(401, 'OAuth needs the oauth beta');
      if (req.headers['x-api-key'] !== undefined) return refuse(401, 'x-api-key sent with an OAuth token');
      if (!/^\/v1\/messages(\?beta=true)?$/.test(url)) return refuse(404, `unknown operation ${url}`);
      call = { model: String(json.model), stream: !!json.stream, json };
    } else {
      if (req.headers['x-api-key'] !== options.apiKey) return refuse(401, 'not the Foundry key');
      if (!/^\/anthropic\/v1\/messages(\?beta=true)?$/.test(url))
        return refuse(404, `unknown operation ${url}`);
      call = { model: String(json.model), stream: !!json.stream, json };
    }
    await relay(call, res);
  }

  /** Asks the scripted model and streams its answer back in the provider's format. */
  async function relay(
    /** @type {{ model: string, stream: boolean, json: Record<string, unknown> }} */ call,
    /** @type {http.ServerResponse} */ res,
  ) {
    const upstream = await fetch(`${options.modelUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'provider-fake' },
      body: JSON.stringify({ ...call.json, model: call.model, stream: call.stream }),
    });
    const text = await upstream.text();
    if (!call.stream || upstream.status !== 200 || options.kind !== 'bedrock') {
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-bedrock-content-type': 'application/json',
    });
    for (const line of text.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const bytes = Buffer.from(line.slice(5).trim()).toString('base64');
      res.write(
        codec.encode({
          headers: {
            ':event-type': { type: 'string', value: 'chunk' },
            ':content-type': { type: 'string', value: 'application/json' },
            ':message-type': { type: 'string', value: 'event' },
          },
          body: fromUtf8(JSON.stringify({ bytes })),
        }),
      );
    }
    res.end();
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    /** Model calls the fake accepted. */
    get accepted() {
      return requests.filter(
        (r) => r.verdict === 'accepted' && !r.url.startsWith('/oidc') && !r.url.startsWith('/sts'),
      );
    },
    /** Requests the fake refused, with the reason. */
    get refused() {
      return requests.filter((r) => r.verdict !== 'accepted');
    },
    /** Secret values this fake made up (Vertex: the id-request token, issued OIDC and access tokens). */
    get secrets() {
      return [idRequestToken, ...idTokens, ...accessTokens];
    },
    /**
     * Vertex: an external_account credentials file as google-github-actions/auth writes it (gha-creds-*.json),
     * with the STS and the OIDC endpoints on this fake.
     */
    externalAccount() {
      return {
        type: 'external_account',
        audience:
          '//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github/providers/github',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${url}/sts/v1/token`,
        credential_source: {
          url: `${url}/oidc?audience=https://iam.googleapis.com/projects/123456789`,
          headers: { Authorization: `Bearer ${idRequestToken}` },
          format: { type: 'json', subject_token_field_name: 'value' },
        },
      };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
