/**
 * A scripted Anthropic Messages API on 127.0.0.1 that drives the REAL Claude Code CLI in end-to-end
 * tests: each main-loop request (one that offers tools) gets the next scripted turn — a tool call, text,
 * the StructuredOutput answer, an API error or a hang — streamed as the SSE events the CLI expects.
 * Every request is recorded, so tests can prove what reached the model (threat-model X5: no canary
 * may ever appear in `requests`) and what the agent's tools returned (tool_result blocks).
 */
import http from 'node:http';
import path from 'node:path';
import { parseHunks, splitGitDiff } from './diff-lines.mjs';

/**
 * @typedef {{ name: string, input: Record<string, unknown>, id?: string }} ToolUse
 * @typedef {{ input_tokens?: number, output_tokens?: number, cache_creation_input_tokens?: number,
 *   cache_read_input_tokens?: number }} Usage
 * @typedef {{ toolUse?: ToolUse, toolUses?: ToolUse[], text?: string, structured?: Record<string, unknown>,
 *   status?: number, body?: unknown, hang?: boolean, usage?: Usage, headers?: Record<string, string>,
 *   fault?: 'cut' | 'malformed-sse' | 'drip' }} Turn
 * `fault`: 'cut' ends the stream (socket destroyed) after message_start; 'malformed-sse' answers 200 with an
 * event stream whose data is not JSON; 'drip' sends the event stream one byte per second.
 * @typedef {{ method: string, url: string, path: string, headers: http.IncomingHttpHeaders, body: any,
 *   mainLoop: boolean, turn?: number }} RecordedRequest
 * @typedef {{ tool_use_id: string, content: string, is_error: boolean }} ToolResult
 * @typedef {{ turn: number, requests: RecordedRequest[], toolResults: ToolResult[], prompt: string,
 *   cwd: string | undefined, hasTool: (name: string) => boolean }} ScriptContext
 * @typedef {Turn[] | ((request: RecordedRequest, ctx: ScriptContext) => Turn)} Script
 */

const ERROR_TYPES = /** @type {Record<number, string>} */ ({
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
});

/**
 * Start the scripted model API.
 * @param {{ script?: Script, port?: number }} [options]
 */
export async function startModelServer({ script = [], port = 0 } = {}) {
  /** @type {RecordedRequest[]} */
  const requests = [];
  /** Script mistakes (a turn of unknown shape, a throwing script function): answered 500, listed here. */
  /** @type {string[]} */
  const errors = [];
  let current = script;
  let turn = 0;
  let ids = 0;

  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      /** @type {RecordedRequest} */
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        headers: req.headers,
        body: raw,
        mainLoop: false,
      };
      requests.push(record);
      const reqId = `req_${requests.length}`;
      if (req.method !== 'POST' || !url.pathname.startsWith('/v1/messages')) {
        res.writeHead(200, { 'request-id': reqId }).end(); // HEAD /, /api/hello and the like
        return;
      }
      try {
        record.body = JSON.parse(raw);
      } catch {
        sendError(res, 400, undefined, reqId);
        return;
      }
      if (url.pathname === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: estimateTokens(raw) }, reqId);
        return;
      }
      if (url.pathname !== '/v1/messages') {
        sendError(res, 404, undefined, reqId);
        return;
      }
      /** @type {Turn} */
      let next;
      try {
        next = nextTurn(record);
      } catch (e) {
        errors.push(String(e instanceof Error ? e.message : e));
        sendError(
          res,
          500,
          { type: 'error', error: { type: 'api_error', message: `model-server script: ${e}` } },
          reqId,
        );
        return;
      }
      if (next.hang) return; // accepted, never answered; close() drops the socket
      if (next.status !== undefined) {
        sendError(res, next.status, next.body, reqId, next.headers);
        return;
      }
      if (next.fault) {
        sendFault(res, next.fault, reqId);
        return;
      }
      sendMessage(res, record.body, next, raw, reqId);
    });
  });

  /** @param {RecordedRequest} record @returns {Turn} */
  function nextTurn(record) {
    const body = record.body;
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const hasTool = (/** @type {string} */ name) => tools.some((/** @type {any} */ t) => t?.name === name);
    if (tools.length === 0) return { text: 'OK' }; // side requests (titles, summaries): not part of the script
    record.mainLoop = true;
    record.turn = turn;
    /** @type {Turn | undefined} */
    let chosen;
    if (typeof current === 'function') {
      chosen = current(record, {
        turn,
        requests,
        toolResults: toolResults([record]),
        prompt: promptText(body),
        cwd: workingDirectory(body),
        hasTool,
      });
    } else {
      chosen = current[turn];
    }
    turn++;
    if (!chosen) {
      return hasTool('StructuredOutput')
        ? { structured: { summary: 'script ended', findings: [] } }
        : { text: 'script ended' };
    }
    checkTurn(chosen);
    return chosen;
  }

  /** @param {Turn} t @param {string} raw */
  function blocksFor(t, raw) {
    /** @type {Record<string, unknown>[]} */
    const blocks = [];
    if (t.text !== undefined) blocks.push({ type: 'text', text: t.text });
    const uses = [...(t.toolUse ? [t.toolUse] : []), ...(t.toolUses ?? [])];
    if (t.structured) uses.push({ name: 'StructuredOutput', input: t.structured });
    for (const u of uses)
      blocks.push({
        type: 'tool_use',
        id: u.id ?? `toolu_${String(++ids).padStart(4, '0')}`,
        name: u.name,
        input: u.input,
      });
    const usage = {
      input_tokens: estimateTokens(raw),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: estimateTokens(JSON.stringify(blocks)),
      ...t.usage,
    };
    return { blocks, usage, stop: uses.length > 0 ? 'tool_use' : 'end_turn' };
  }

  /**
   * @param {http.ServerResponse} res @param {any} body @param {Turn} t @param {string} raw @param {string} reqId
   */
  function sendMessage(res, body, t, raw, reqId) {
    const { blocks, usage, stop } = blocksFor(t, raw);
    const message = {
      id: `msg_${reqId}`,
      type: 'message',
      role: 'assistant',
      model: body.model ?? 'claude-test',
      content: blocks,
      stop_reason: stop,
      stop_sequence: null,
      usage,
    };
    if (!body.stream) {
      sendJson(res, 200, message, reqId);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'request-id': reqId,
    });
    const send = (/** @type {string} */ event, /** @type {object} */ data) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    send('message_start', {
      message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    });
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
      } else {
        send('content_block_start', { index, content_block: { ...block, input: {} } });
        const json = JSON.stringify(block.input);
        const half = Math.floor(json.length / 2); // two deltas: the CLI must join partial JSON
        for (const part of [json.slice(0, half), json.slice(half)]) {
          send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } });
        }
      }
      send('content_block_stop', { index });
    });
    send('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage });
    send('message_stop', {});
    res.end();
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    errors,
    /** Main-loop requests answered so far. */
    get turns() {
      return turn;
    },
    /** Replace the script and start it from its first turn. @param {Script} script */
    setScript(script) {
      current = script;
      turn = 0;
    },
    /** Stop listening and drop every open connection (hung requests included). @returns {Promise<void>} */
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** @param {Turn} t */
function checkTurn(t) {
  const known = [
    'toolUse',
    'toolUses',
    'text',
    'structured',
    'status',
    'body',
    'hang',
    'usage',
    'headers',
    'fault',
  ];
  const unknown = Object.keys(t).filter((k) => !known.includes(k));
  if (unknown.length > 0 || Object.keys(t).every((k) => k === 'usage')) {
    throw new Error(`unknown turn shape ${JSON.stringify(t)}`);
  }
}

/** @param {http.ServerResponse} res @param {number} status @param {unknown} body @param {string} reqId */
function sendJson(res, status, body, reqId) {
  res
    .writeHead(status, { 'content-type': 'application/json', 'request-id': reqId })
    .end(JSON.stringify(body));
}

/**
 * An API error in Anthropic's shape.
 * @param {http.ServerResponse} res @param {number} status @param {unknown} body @param {string} reqId
 * @param {Record<string, string>} [headers]
 */
function sendError(res, status, body, reqId, headers = {}) {
  const type = ERROR_TYPES[status] ?? 'api_error';
  res
    .writeHead(status, { 'content-type': 'application/json', 'request-id': reqId, ...headers })
    .end(
      JSON.stringify(
        body ?? { type: 'error', error: { type, message: `scripted ${status} ${type}` }, request_id: reqId },
      ),
    );
}

/** A broken 200 stream. @param {http.ServerResponse} res @param {'cut' | 'malformed-sse' | 'drip'} fault @param {string} reqId */
function sendFault(res, fault, reqId) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': reqId,
  });
  const start = `event: message_start\ndata: ${JSON.stringify({
    type: 'message_start',
    message: {
      id: `msg_${reqId}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  })}\n\n`;
  if (fault === 'cut') {
    res.write(start, () => res.destroy());
  } else if (fault === 'malformed-sse') {
    res.end(`${start}event: content_block_start\ndata: {this is not json\n\n`);
  } else {
    const bytes = Buffer.from(start);
    let i = 0;
    const timer = setInterval(() => {
      if (i >= bytes.length || res.destroyed) {
        clearInterval(timer);
        return;
      }
      res.write(bytes.subarray(i, ++i));
    }, 1000);
    res.on('close', () => clearInterval(timer));
  }
}

/** @param {string} text */
function estimateTokens(text) {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** @param {unknown} content @returns {string} */
function flatten(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((c) => (typeof c?.text === 'string' ? c.text : '')).join('\n');
}

/**
 * Every tool_result the CLI sent back, in order, once each (each request repeats the conversation).
 * @param {RecordedRequest[]} requests
 * @returns {ToolResult[]}
 */
export function toolResults(requests) {
  /** @type {Map<string, ToolResult>} */
  const seen = new Map();
  for (const r of requests) {
    for (const m of Array.isArray(r.body?.messages) ? r.body.messages : []) {
      if (m.role !== 'user' || !Array.isArray(m.content)) continue;
      for (const b of m.content) {
        if (b?.type === 'tool_result' && !seen.has(b.tool_use_id)) {
          seen.set(b.tool_use_id, {
            tool_use_id: b.tool_use_id,
            content: flatten(b.content),
            is_error: b.is_error === true,
          });
        }
      }
    }
  }
  return [...seen.values()];
}

/** The user's prompt: the last text block of the first user message (earlier blocks are CLI reminders). @param {any} body */
function promptText(body) {
  const first = (body.messages ?? []).find((/** @type {any} */ m) => m.role === 'user');
  if (!first) return '';
  if (typeof first.content === 'string') return first.content;
  const texts = first.content
    .filter((/** @type {any} */ c) => c.type === 'text')
    .map((/** @type {any} */ c) => c.text);
  return texts.at(-1) ?? '';
}

/** The CLI states its working directory in the system prompt. @param {any} body */
function workingDirectory(body) {
  return /Primary working directory: ([^\n"\\]+)/.exec(JSON.stringify(body))?.[1]?.trim();
}

/**
 * A plausible review, adapting to the repository it finds: `git diff` (Bash), Read the first changed
 * file, then a StructuredOutput with one finding on that file's first added line. If the diff cannot be
 * read (denied, empty), it falls back to `options.path`/`options.line`, else to a review with no findings.
 * @param {{ diffCommand?: string, path?: string, line?: number, severity?: string, title?: string,
 *   body?: string, cwd?: string }} [options]
 * @returns {(request: RecordedRequest, ctx: ScriptContext) => Turn}
 */
export function defaultReviewScript(options = {}) {
  const DIFF_ID = 'toolu_review_diff';
  const READ_ID = 'toolu_review_read';
  return (_request, ctx) => {
    const diff = ctx.toolResults.find((r) => r.tool_use_id === DIFF_ID);
    if (!diff) {
      const command = options.diffCommand ?? 'git diff HEAD~1';
      return {
        toolUse: {
          id: DIFF_ID,
          name: 'Bash',
          input: { command, description: 'Show the changes under review' },
        },
      };
    }
    const target = pickTarget(diff.is_error ? '' : diff.content, options);
    if (!target) return { structured: { summary: 'No reviewable change found.', findings: [] } };
    if (!ctx.toolResults.some((r) => r.tool_use_id === READ_ID)) {
      const cwd = ctx.cwd ?? options.cwd ?? process.cwd();
      return { toolUse: { id: READ_ID, name: 'Read', input: { file_path: path.resolve(cwd, target.path) } } };
    }
    const finding = {
      path: target.path,
      line: target.line,
      severity: options.severity ?? 'medium',
      category: 'correctness',
      title: options.title ?? `Check the change in ${path.basename(target.path)}`,
      body: options.body ?? 'This added line deserves a second look.',
    };
    return { structured: { summary: `Reviewed ${target.path}.`, findings: [finding] } };
  };
}

/** @param {string} diff @param {{ path?: string, line?: number }} options */
function pickTarget(diff, options) {
  for (const file of splitGitDiff(diff)) {
    const added = parseHunks(file.patch).flatMap((h) => h.added);
    if (added.length > 0 && (!options.path || options.path === file.path))
      return { path: file.path, line: added[0] };
  }
  return options.path ? { path: options.path, line: options.line ?? 1 } : undefined;
}
