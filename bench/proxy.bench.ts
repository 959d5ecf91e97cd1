/**
 * Key proxy overhead (threat-model defence 3): the bundled proxy process, as the action runs it, against a
 * direct connection to the same local upstream, side by side in one run.
 * - Throughput: a 50 MB SSE response (metered on the way), proxied vs direct. Target ≥ 0.95× direct.
 * - Latency: 2,000 small metered JSON requests over keep-alive, proxied vs direct, interleaved.
 *   Target: added p50 ≤ 1 ms (p99 reported).
 * A bare pass-through (a Node pipe with no checks and no metering) runs alongside: it separates what any
 * extra loopback hop costs on this machine from what the proxy itself adds. The proxy's CPU time per 50 MB
 * is reported too; unlike the ratios it barely depends on how many idle cores the machine has.
 * The upstream and the bare hop run in worker threads, the proxy in its own process, the client here, so no
 * two of them share an event loop. Prints measured vs target; asserts nothing about speed.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { startKeyProxyProcess, type KeyProxyProcess } from '../src/isolation/key-proxy-process.js';
// @ts-expect-error -- a plain ESM build script without type declarations
import { bundleEntry } from '../scripts/bundle.mjs';

const STREAM_BYTES = 50 * 1024 * 1024;
const STREAM_ROUNDS = 5;
const SMALL_REQUESTS = 2000;
const WARMUP_REQUESTS = 200;

/** CommonJS source for the upstream worker: a scripted Messages API on 127.0.0.1. */
const UPSTREAM = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const ev = (type, data) => 'event: ' + type + '\\ndata: ' + JSON.stringify({ type, ...data }) + '\\n\\n';
const delta = ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'x'.repeat(1000) } });
const block = Buffer.from(delta.repeat(Math.floor(65536 / delta.length)));
const start = Buffer.from(ev('message_start', { message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 1 } } }));
const end = Buffer.from(ev('message_delta', { usage: { output_tokens: 12000 } }) + ev('message_stop', {}));
const small = JSON.stringify({ type: 'message', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 10, output_tokens: 2 } });
const server = http.createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8').on('data', (c) => (body += c));
  req.on('end', () => {
    if (!body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(small) });
      return res.end(small);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(start);
    let sent = 0;
    const pump = () => {
      while (sent < workerData.streamBytes) {
        sent += block.length;
        if (!res.write(block)) return res.once('drain', pump);
      }
      res.end(end);
    };
    pump();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/** CommonJS source for the bare hop: request and response piped through, nothing else. */
const BARE_HOP = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => {
  const up = http.request({ host: '127.0.0.1', port: workerData.upstreamPort, method: req.method, path: req.url, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

const outDir = mkdtempSync(join(tmpdir(), 'key-proxy-bench-'));
let workers: Worker[] = [];
let upstreamPort = 0;
let barePort = 0;
let proxy: KeyProxyProcess;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  await bundleEntry('proxy', outDir); // the artefact the action ships
  const startWorker = (source: string, workerData: object): Promise<number> => {
    const worker = new Worker(source, { eval: true, workerData });
    workers.push(worker);
    return new Promise((resolve) => worker.once('message', resolve));
  };
  upstreamPort = await startWorker(UPSTREAM, { streamBytes: STREAM_BYTES });
  barePort = await startWorker(BARE_HOP, { upstreamPort });
  proxy = await startKeyProxyProcess({
    nodePath: process.execPath,
    entryPath: join(outDir, 'index.js'),
    config: { upstream: `http://127.0.0.1:${upstreamPort}`, apiKey: 'sk-ant-bench-key', budgetUsd: 1e9 },
  });
}, 120000);

afterAll(async () => {
  agent.destroy();
  await proxy?.stop();
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
  rmSync(outDir, { recursive: true, force: true });
});

/** One POST; resolves with the body size and the time from sending to the last byte, in ms. */
function fetchOnce(
  port: number,
  kind: 'stream' | 'small',
  apiKey: string,
): Promise<{ bytes: number; ms: number }> {
  const path = '/v1/messages?beta=true';
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'x-api-key': apiKey } },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve({ bytes, ms: performance.now() - started })
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'claude-sonnet-4-5', messages: [], stream: kind === 'stream' }));
  });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** CPU time (user + system) a process has used, in ms (Linux; USER_HZ is 100). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type Path = 'direct' | 'bare' | 'proxied';

test('key proxy: streaming throughput and added latency vs direct', async () => {
  const targets: [Path, { port: number; key: string }][] = [
    ['direct', { port: upstreamPort, key: 'sk-ant-bench-key' }],
    ['bare', { port: barePort, key: 'sk-ant-bench-key' }],
    ['proxied', { port: Number(new URL(proxy.url).port), key: proxy.token }],
  ];

  const mbps: Record<Path, number[]> = { direct: [], bare: [], proxied: [] };
  let proxyCpuMs = 0;
  for (let round = 0; round < STREAM_ROUNDS; round++) {
    for (const [name, target] of targets) {
      const cpuBefore = cpuMs(proxy.pid);
      const { bytes, ms } = await fetchOnce(target.port, 'stream', target.key);
      if (name === 'proxied') proxyCpuMs += cpuMs(proxy.pid) - cpuBefore;
      expect(bytes).toBeGreaterThanOrEqual(STREAM_BYTES);
      mbps[name].push(bytes / 1024 / 1024 / (ms / 1000));
    }
  }

  const latency: Record<Path, number[]> = { direct: [], bare: [], proxied: [] };
  for (let i = 0; i < WARMUP_REQUESTS + SMALL_REQUESTS; i++) {
    for (const [name, target] of targets) {
      const { ms } = await fetchOnce(target.port, 'small', target.key);
      if (i >= WARMUP_REQUESTS) latency[name].push(ms);
    }
  }
  for (const values of Object.values(latency)) values.sort((a, b) => a - b);

  const total = STREAM_ROUNDS + WARMUP_REQUESTS + SMALL_REQUESTS;
  for (let waited = 0; proxy.usage().requests < total && waited < 5000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10)); // the last audit lines are still on their way
  }
  const usage = proxy.usage();
  expect(usage.requests).toBe(total);
  expect(usage.unmetered).toBe(0);

  const throughput = (name: Path) => median(mbps[name]);
  const ms = (name: Path, p: number) => percentile(latency[name], p);
  const added = (name: Path, p: number) => `+${(ms(name, p) - ms('direct', p)).toFixed(3)}`;
  const widths = [34, 9, 9, 9, 22, 10];
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |\n`;
  process.stdout.write(
    '\nKey proxy benchmark (bundled proxy process, 127.0.0.1; measured = key proxy vs direct)\n' +
      row(['measure', 'direct', 'bare hop', 'proxy', 'measured', 'target']) +
      row([
        `50 MB SSE, median of ${STREAM_ROUNDS} (MB/s)`,
        throughput('direct').toFixed(0),
        throughput('bare').toFixed(0),
        throughput('proxied').toFixed(0),
        `${(throughput('proxied') / throughput('direct')).toFixed(2)}× (bare hop ${(
          throughput('bare') / throughput('direct')
        ).toFixed(2)}×)`,
        '≥ 0.95×',
      ]) +
      row([
        'proxy CPU per 50 MB (ms)',
        '',
        '',
        (proxyCpuMs / STREAM_ROUNDS).toFixed(0),
        `${((50 * 1000 * STREAM_ROUNDS) / Math.max(proxyCpuMs, 1)).toFixed(0)} MB/s per core`,
        '',
      ]) +
      row([
        `small request p50, n=${SMALL_REQUESTS} (ms)`,
        ms('direct', 50).toFixed(3),
        ms('bare', 50).toFixed(3),
        ms('proxied', 50).toFixed(3),
        `${added('proxied', 50)} ms (bare ${added('bare', 50)})`,
        '≤ +1 ms',
      ]) +
      row([
        `small request p99, n=${SMALL_REQUESTS} (ms)`,
        ms('direct', 99).toFixed(3),
        ms('bare', 99).toFixed(3),
        ms('proxied', 99).toFixed(3),
        `${added('proxied', 99)} ms (bare ${added('bare', 99)})`,
        '',
      ]) +
      `metered by the proxy: ${usage.requests} requests, $${usage.costUsd.toFixed(2)} at list prices\n\n`,
  );
});
