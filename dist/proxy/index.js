import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ // The require scope
/******/ var __nccwpck_require__ = {};
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
var __webpack_exports__ = {};

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_namespaceObject);
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
var external_node_https_default = /*#__PURE__*/__nccwpck_require__.n(external_node_https_namespaceObject);
;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: ./src/isolation/key-proxy.ts
/**
 * The key proxy: threat-model defence 3 (rows S1, X5, X6). The agent gets ANTHROPIC_BASE_URL pointing at
 * this loopback server and a per-run token in place of the API key, so the real key is never in its
 * process, environment or reach (S1). The server:
 * - accepts a request only when it presents the token (`x-api-key` or `Authorization: Bearer`),
 *   compared in constant time (401 otherwise);
 * - forwards only `POST /v1/messages` and `POST /v1/messages/count_tokens` (any query string), so the
 *   key opens nothing else of the account (403 otherwise) and the model API is the only way out (X5);
 * - swaps in the real key, forwards an allow-list of request headers (never `authorization`), and streams
 *   bodies both ways chunk by chunk;
 * - meters token usage from every model response as it streams by, and once the spend reaches the budget
 *   refuses further requests with 402 (X6). 402 because Claude Code 2.1.332 does not retry it (observed:
 *   one request, exit 1, "API Error: 402 …"), while it retries 400 and 429.
 * The audit it emits never holds the key or the token, nor any header or body.
 *
 * Upstream is asked for `accept-encoding: identity`. The CLI offers gzip/br/zstd; passing that through
 * would let the client pick an encoding the meter must decode, and a body the meter cannot read is spend
 * it cannot count. If a model response still carries no readable usage (an upstream that compresses
 * anyway, a stream cut before its first event), the proxy fails closed: it refuses every later request.
 */




/**
 * Standard-context list prices, the highest in each family (Opus 4/4.1; Opus 4.5 and later list at
 * $5/$25), cache writes at the 5-minute rate (1.25× input), cache reads at 0.1× input. A budget is a
 * ceiling, so pricing high errs on the side of stopping early.
 */
const DEFAULT_PRICES = {
    opus: { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
    sonnet: { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
    haiku: { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
};
const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_JSON_RESPONSE_BYTES = 64 * 1024 * 1024;
const AUDIT_PATH_CHARS = 120;
/** A fresh per-run token: 32 random bytes, base64url. */
function newProxyToken() {
    return randomBytes(32).toString('base64url');
}
/** Validates settings read from an untyped source. Errors name the field, never its value. */
function parseKeyProxySettings(value) {
    const fail = (field, what) => {
        throw new Error(`key proxy config: '${field}' ${what}`);
    };
    if (!isRecord(value))
        return fail('(root)', 'must be a JSON object');
    const { upstream, apiKey, token, budgetUsd, prices, maxRequestBytes, upstreamIdleTimeoutMs } = value;
    let url;
    try {
        url = new URL(String(upstream));
    }
    catch {
        fail('upstream', 'must be an http(s) URL');
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
        fail('upstream', 'must be an http(s) URL without credentials, query or fragment');
    }
    if (typeof apiKey !== 'string' || apiKey === '')
        fail('apiKey', 'must be a non-empty string');
    if (typeof token !== 'string' || token.length < 32)
        fail('token', 'must be a string of at least 32 characters');
    if (!isPositive(budgetUsd))
        fail('budgetUsd', 'must be a number > 0');
    if (prices !== undefined && !isPriceTable(prices))
        fail('prices', 'must map families to non-negative prices');
    if (maxRequestBytes !== undefined && !isPositive(maxRequestBytes))
        fail('maxRequestBytes', 'must be > 0');
    if (upstreamIdleTimeoutMs !== undefined && !isPositive(upstreamIdleTimeoutMs)) {
        fail('upstreamIdleTimeoutMs', 'must be > 0');
    }
    return value;
}
/** The only request targets forwarded: the Messages API and its token counter, POST, any query string. */
function isModelApiTarget(method, target) {
    return method === 'POST' && /^\/v1\/messages(?:\/count_tokens)?(?:\?[^#]*)?$/.test(target ?? '');
}
/** True when `x-api-key` or `Authorization: Bearer` carries the token (constant-time comparison). */
function presentsToken(headers, token) {
    const wanted = sha256(token);
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
    return [headers['x-api-key'], bearer].some((offered) => typeof offered === 'string' && offered !== '' && (0,external_node_crypto_namespaceObject.timingSafeEqual)(sha256(offered), wanted));
}
const FORWARDED_HEADERS = new Set(['accept', 'content-type', 'content-length', 'user-agent', 'x-app']);
const FORWARDED_PREFIXES = ['anthropic-', 'x-stainless-', 'x-claude-code-'];
/** Request headers sent upstream: an allow-list, identity encoding, and the real key. */
function upstreamRequestHeaders(incoming, apiKey) {
    const headers = {};
    for (const [name, value] of Object.entries(incoming)) {
        if (value !== undefined &&
            (FORWARDED_HEADERS.has(name) || FORWARDED_PREFIXES.some((p) => name.startsWith(p)))) {
            headers[name] = value;
        }
    }
    headers['accept-encoding'] = 'identity';
    headers['x-api-key'] = apiKey;
    return headers;
}
const HOP_BY_HOP = new Set([
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
]);
/** Response headers passed back: all but hop-by-hop ones (including those the Connection header names). */
function downstreamResponseHeaders(upstream) {
    const named = new Set(String(upstream.connection ?? '')
        .toLowerCase()
        .split(',')
        .map((s) => s.trim()));
    return Object.fromEntries(Object.entries(upstream).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name) && !named.has(name)));
}
/** Prices for a model id: its family's, or for an unknown model the most expensive family's. */
function priceFor(model, table) {
    const id = model.toLowerCase();
    const family = Object.keys(table).find((f) => id.includes(f.toLowerCase()));
    if (family !== undefined)
        return { family, prices: table[family], known: true };
    const [dearest, prices] = Object.entries(table).reduce((a, b) => b[1].input + b[1].output > a[1].input + a[1].output ? b : a);
    return { family: dearest, prices, known: false };
}
function costUsd(tokens, p) {
    return ((tokens.inputTokens * p.input +
        tokens.outputTokens * p.output +
        tokens.cacheCreationInputTokens * p.cacheWrite +
        tokens.cacheReadInputTokens * p.cacheRead) /
        1e6);
}
function emptyUsage() {
    return { byModel: {}, costUsd: 0, requests: 0, refused: 0, unmetered: 0 };
}
function createKeyProxy(config) {
    const settings = parseKeyProxySettings(config);
    const { apiKey, token, budgetUsd } = settings;
    const prices = settings.prices ?? DEFAULT_PRICES;
    const maxRequestBytes = settings.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const idleTimeoutMs = settings.upstreamIdleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const upstream = new URL(settings.upstream);
    const basePath = upstream.pathname.replace(/\/+$/, '');
    const client = upstream.protocol === 'https:' ? (external_node_https_default()) : (external_node_http_default());
    const agent = new client.Agent({ keepAlive: true });
    const usage = emptyUsage();
    let unmeteredStop = false;
    const audit = (entry) => config.onAudit?.({ time: new Date().toISOString(), ...entry });
    const scrub = (target) => target
        .split(apiKey)
        .join('[key]')
        .split(token)
        .join('[token]')
        .replace(/[\u0000-\u001f\u007f]/g, '')
        .slice(0, AUDIT_PATH_CHARS);
    /** Adds a token delta to the totals; returns its cost. */
    const charge = (model, delta) => {
        const { family, prices: p, known } = priceFor(model, prices);
        let row = usage.byModel[model];
        if (!row) {
            row = { ...zeroTokens(), costUsd: 0, pricedAs: family, unknownModel: !known };
            usage.byModel[model] = row;
            if (!known)
                audit({ event: 'unknown-model', model: scrub(model), detail: `priced as ${family}` });
        }
        const cost = costUsd(delta, p);
        for (const k of TOKEN_KEYS)
            row[k] += delta[k];
        row.costUsd += cost;
        usage.costUsd += cost;
        return cost;
    };
    const spendStop = () => {
        if (unmeteredStop)
            return 'claude-guard stopped spending: a model response could not be metered';
        if (usage.costUsd >= budgetUsd)
            return `claude-guard budget of $${budgetUsd} reached`;
        return undefined;
    };
    const refuse = (res, status, type, message, entry) => {
        usage.refused++;
        audit({ ...entry, status });
        sendError(res, status, type, message, { 'x-should-retry': 'false' });
    };
    const tooLarge = (res, where) => {
        res.shouldKeepAlive = false; // the rest of the body is not read
        const message = `claude-guard proxy: request body over ${maxRequestBytes} bytes`;
        refuse(res, 413, 'request_too_large', message, { event: 'too-large', ...where });
    };
    const handle = (req, res) => {
        const method = req.method ?? '';
        const target = req.url ?? '';
        const where = { method, path: scrub(target) };
        if (!presentsToken(req.headers, token)) {
            refuse(res, 401, 'authentication_error', 'claude-guard proxy: missing or wrong token', {
                event: 'bad-token',
                ...where,
            });
            return;
        }
        if (!isModelApiTarget(method, target)) {
            const message = 'claude-guard proxy forwards only POST /v1/messages and POST /v1/messages/count_tokens';
            refuse(res, 403, 'permission_error', message, { event: 'refused-path', ...where });
            return;
        }
        const stop = spendStop();
        if (stop) {
            refuse(res, 402, 'budget_exceeded', stop, { event: 'budget-exceeded', ...where, detail: stop });
            return;
        }
        if (Number(req.headers['content-length'] ?? 0) > maxRequestBytes) {
            tooLarge(res, where);
            return;
        }
        forward(req, res, target, where);
    };
    const forward = (req, res, target, where) => {
        const started = performance.now();
        const ms = () => Math.round(performance.now() - started);
        let settled = false;
        const settle = (entry) => {
            if (settled)
                return;
            settled = true;
            audit({ ...where, ...entry, ms: ms() });
        };
        usage.requests++;
        const upstreamReq = client.request({
            protocol: upstream.protocol,
            hostname: upstream.hostname,
            port: upstream.port,
            path: basePath + target,
            method: 'POST',
            headers: upstreamRequestHeaders(req.headers, apiKey),
            agent,
        });
        upstreamReq.setTimeout(idleTimeoutMs, () => upstreamReq.destroy(Object.assign(new Error('upstream idle timeout'), { code: 'ETIMEDOUT' })));
        upstreamReq.on('error', (err) => {
            if (settled)
                return;
            const code = err.code ?? 'error';
            settle({ event: 'upstream-error', detail: code });
            if (res.headersSent || res.destroyed)
                res.destroy();
            else
                sendError(res, 502, 'api_error', `claude-guard proxy could not reach the model API (${code})`);
        });
        res.on('close', () => {
            if (!res.writableFinished)
                upstreamReq.destroy();
        });
        let received = 0;
        req.on('data', (chunk) => {
            received += chunk.length;
            if (received <= maxRequestBytes || settled)
                return;
            req.unpipe(upstreamReq);
            settled = true;
            upstreamReq.destroy();
            tooLarge(res, where);
        });
        req.pipe(upstreamReq);
        upstreamReq.on('response', (up) => {
            const status = up.statusCode ?? 502;
            res.writeHead(status, up.statusMessage, downstreamResponseHeaders(up.headers));
            const meter = status < 300 && !target.startsWith('/v1/messages/count_tokens') ? new ResponseMeter(up) : null;
            (0,external_node_stream_namespaceObject.pipeline)(up, res, (err) => {
                if (meter?.finish(charge) === false) {
                    usage.unmetered++;
                    unmeteredStop = true;
                    audit({
                        event: 'unmetered',
                        ...where,
                        status,
                        detail: 'no usage in a model response; refusing from now on',
                    });
                }
                settle({
                    event: 'forwarded',
                    status,
                    model: meter?.model === undefined ? undefined : scrub(meter.model),
                    costUsd: meter?.costUsd,
                    detail: err ? 'interrupted' : undefined,
                });
            });
            meter?.watch(up, charge);
        });
    };
    const server = external_node_http_default().createServer(handle);
    return {
        listen: () => new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve(server.address().port));
        }),
        close: () => new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
            agent.destroy();
        }),
        usage: () => structuredClone(usage),
    };
}
const TOKEN_KEYS = [
    'inputTokens',
    'outputTokens',
    'cacheCreationInputTokens',
    'cacheReadInputTokens',
];
const API_FIELDS = {
    inputTokens: 'input_tokens',
    outputTokens: 'output_tokens',
    cacheCreationInputTokens: 'cache_creation_input_tokens',
    cacheReadInputTokens: 'cache_read_input_tokens',
};
/**
 * Reads usage from one model response as it streams by: SSE `message_start.message.usage` and
 * `message_delta.usage` (cumulative counts), or a JSON body's `usage`. Charges only the growth of each
 * count, so a partial stream is charged for what it reported.
 */
class ResponseMeter {
    model;
    costUsd = 0;
    seen = zeroTokens();
    metered = false;
    encoded;
    sse;
    parts = [];
    bytes = 0;
    constructor(up) {
        this.encoded = !/^(identity)?$/i.test(String(up.headers['content-encoding'] ?? '').trim());
        this.sse = String(up.headers['content-type'] ?? '').includes('text/event-stream');
    }
    watch(up, charge) {
        if (this.encoded)
            return;
        up.on('data', (chunk) => (this.sse ? this.scanSse(chunk, charge) : this.collect(chunk)));
    }
    /** Completes metering; false when the response carried no readable usage. */
    finish(charge) {
        const rest = Buffer.concat(this.parts);
        this.parts = [];
        if (this.sse)
            this.scanLines(rest, charge);
        else if (!this.encoded && this.bytes <= MAX_JSON_RESPONSE_BYTES) {
            const body = parseJson(rest.toString('utf8'));
            if (isRecord(body))
                this.record(body.model, body.usage, charge);
        }
        return this.metered;
    }
    /**
     * Scans complete lines only, and only those that can hold a usage object. Copies nothing but the one
     * line that spans chunks; the rest of a chunk is searched in place.
     */
    scanSse(chunk, charge) {
        const first = chunk.indexOf(10);
        if (first === -1) {
            this.parts.push(chunk);
            return;
        }
        const last = chunk.lastIndexOf(10);
        const spanning = this.parts.length ? Buffer.concat([...this.parts, chunk.subarray(0, first + 1)]) : null;
        this.parts = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
        for (const lines of [spanning ?? chunk.subarray(0, first + 1), chunk.subarray(first + 1, last + 1)]) {
            if (lines.includes('"usage"'))
                this.scanLines(lines, charge);
        }
    }
    scanLines(text, charge) {
        for (const line of text.toString('utf8').split('\n')) {
            if (!line.startsWith('data:') || !line.includes('"usage"'))
                continue;
            const event = parseJson(line.slice(5));
            if (!isRecord(event))
                continue;
            if (event.type === 'message_start' && isRecord(event.message)) {
                this.record(event.message.model, event.message.usage, charge);
            }
            else if (event.type === 'message_delta') {
                this.record(undefined, event.usage, charge);
            }
        }
    }
    collect(chunk) {
        this.bytes += chunk.length;
        if (this.bytes <= MAX_JSON_RESPONSE_BYTES)
            this.parts.push(chunk);
    }
    record(model, usage, charge) {
        if (typeof model === 'string' && model !== '')
            this.model = model;
        if (!isRecord(usage))
            return;
        const delta = zeroTokens();
        for (const k of TOKEN_KEYS) {
            const reported = usage[API_FIELDS[k]];
            if (typeof reported === 'number' && Number.isFinite(reported) && reported > this.seen[k]) {
                delta[k] = reported - this.seen[k];
                this.seen[k] = reported;
            }
        }
        this.metered = true;
        this.costUsd += charge(this.model ?? 'unknown', delta);
    }
}
function sendError(res, status, type, message, extra = {}) {
    const body = JSON.stringify({ type: 'error', error: { type, message } });
    res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...extra,
    });
    res.end(body);
}
function zeroTokens() {
    return { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
}
function sha256(s) {
    return (0,external_node_crypto_namespaceObject.createHash)('sha256').update(s).digest();
}
function parseJson(text) {
    try {
        return JSON.parse(text);
    }
    catch {
        return undefined;
    }
}
function isRecord(v) {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isPositive(v) {
    return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
function isPriceTable(v) {
    const price = (n) => typeof n === 'number' && Number.isFinite(n) && n >= 0;
    return (isRecord(v) &&
        Object.keys(v).length > 0 &&
        !Object.hasOwn(v, '') &&
        Object.values(v).every((p) => isRecord(p) && price(p.input) && price(p.output) && price(p.cacheWrite) && price(p.cacheRead)));
}

;// CONCATENATED MODULE: ./src/proxy.ts
/**
 * Entry of the key-proxy process (threat-model defence 3; rows S1, X6). It reads its settings, the real
 * API key included, as one JSON line on stdin — never argv or the environment, which any process of the
 * same user can read under /proc/<pid> — then serves on 127.0.0.1 and reports on stdout, one JSON object
 * per line: `{"port":N}` once listening, `{"audit":{…},"usage":{…}}` per audit entry, `{"usage":{…}}` last.
 * Anything after the config line is ignored. It exits when stdin closes (the parent is done or gone) or on
 * SIGTERM. Its error messages never echo the config line.
 */

const MAX_CONFIG_CHARS = 1024 * 1024;
function emit(message, then) {
    process.stdout.write(`${JSON.stringify(message)}\n`, then);
}
function fail(message) {
    process.stderr.write(`claude-guard key proxy: ${message}\n`);
    process.exit(2);
}
async function start(line) {
    let parsed;
    try {
        parsed = JSON.parse(line);
    }
    catch {
        fail('the config line on stdin is not valid JSON'); // the parser's message would quote the line
    }
    let settings;
    try {
        settings = parseKeyProxySettings(parsed);
    }
    catch (err) {
        fail(err.message);
    }
    const proxy = createKeyProxy({
        ...settings,
        onAudit: (audit) => emit({ audit, usage: proxy.usage() }),
    });
    emit({ port: await proxy.listen() });
    return proxy;
}
let pending = '';
let proxy;
let stopping = false;
async function stop() {
    if (stopping)
        return;
    stopping = true;
    if (!proxy)
        fail('stdin closed before the config line');
    const running = await proxy;
    await running.close();
    emit({ usage: running.usage() }, () => process.exit(0));
}
process.stdout.on('error', () => process.exit(1));
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
    if (proxy)
        return;
    pending += chunk;
    const end = pending.indexOf('\n');
    if (end === -1) {
        if (pending.length > MAX_CONFIG_CHARS)
            fail('the config line on stdin is too long');
        return;
    }
    proxy = start(pending.slice(0, end));
    pending = '';
    proxy.catch((err) => fail(`could not listen on 127.0.0.1 (${err.code ?? 'error'})`));
});
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.on('SIGTERM', () => void stop());

