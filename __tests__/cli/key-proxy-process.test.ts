/**
 * The key proxy as the process the action starts (src/proxy.ts bundled by scripts/bundle.mjs, driven by
 * src/isolation/key-proxy-process.ts): the key reaches it only on stdin, never argv or the environment; it
 * serves with its own token only and exits when its stdin closes. It bundles, so it lives in the cli project.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeyProxyProcess } from '../../src/isolation/key-proxy-process.js';
import { newProxyToken, type PriceTable } from '../../src/isolation/proxy/index.js';
// @ts-expect-error -- a plain ESM build script without type declarations
import { bundleEntry } from '../../scripts/bundle.mjs';

const KEY = 'sk-ant-api03-REAL-KEY-never-leaves-the-proxy-0123456789';
const TOKEN = newProxyToken();
const PRICES: PriceTable = { haiku: { input: 1, output: 5, cacheWrite: 2, cacheRead: 0.1 } };

/** A model API stand-in: records each request's x-api-key, answers with a metered JSON message. */
const seen: { headers: IncomingHttpHeaders }[] = [];
let upstreamPort = 0;
const upstream = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    seen.push({ headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        type: 'message',
        model: 'claude-haiku-4-5',
        content: [],
        usage: { input_tokens: 10, output_tokens: 20 },
      }),
    );
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

function send(port: number, o: { headers: Record<string, string> }): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/messages?beta=true',
        headers: { 'content-type': 'application/json', ...o.headers },
        agent: false,
      },
      (res) => (res.resume(), res.on('end', () => resolve({ status: res.statusCode ?? 0 }))),
    );
    req.on('error', reject);
    req.end('{"model":"claude-haiku-4-5","messages":[]}');
  });
}

async function until(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('key proxy process', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'key-proxy-bundle-'));
  const entryPath = join(outDir, 'index.js');

  beforeAll(async () => {
    // The real artefact: the entry bundled the way the action ships it.
    await bundleEntry('proxy', outDir);
  }, 120_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  const start = (config: Record<string, unknown> = {}) =>
    startKeyProxyProcess({
      nodePath: process.execPath,
      entryPath,
      config: {
        upstream: `http://127.0.0.1:${upstreamPort}`,
        apiKey: KEY,
        budgetUsd: 100,
        prices: PRICES,
        ...config,
      },
    });

  test('serves with the key held only in memory: not in its argv, not in its environment (PATH only)', async () => {
    const proxy = await start();
    try {
      expect(existsSync(`/proc/${proxy.pid}`)).toBe(true);
      const cmdline = readFileSync(`/proc/${proxy.pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${proxy.pid}/environ`, 'utf8');
      expect(cmdline).toContain(entryPath);
      for (const secret of [KEY, proxy.token]) {
        expect(cmdline).not.toContain(secret);
        expect(environ).not.toContain(secret);
      }
      expect(
        environ
          .split('\0')
          .filter(Boolean)
          .map((v) => v.split('=')[0]),
      ).toEqual(['PATH']);

      const port = Number(new URL(proxy.url).port);
      expect(proxy.url).toBe(`http://127.0.0.1:${port}`);
      expect((await send(port, { headers: { 'x-api-key': proxy.token } })).status).toBe(200);
      expect((await send(port, { headers: { 'x-api-key': TOKEN } })).status).toBe(401); // its own token only
      expect(seen[0].headers['x-api-key']).toBe(KEY);
      await until('the audit line', () => proxy.audit().length === 2);
      expect(proxy.usage()).toMatchObject({ requests: 1, refused: 1 });
      expect(proxy.usage().costUsd).toBeCloseTo((10 * 1 + 20 * 5) / 1e6, 12);
    } finally {
      await proxy.stop();
    }
  });

  test('exits on its own when its stdin closes', async () => {
    const proxy = await start();
    const started = Date.now();
    const summary = await proxy.stop(); // closes stdin; signals only after 5 s
    expect(Date.now() - started).toBeLessThan(4000);
    expect(summary).toMatchObject({ exitCode: 0, signal: null });
    expect(summary.usage).toMatchObject({ requests: 0, refused: 0 });
    expect(existsSync(`/proc/${proxy.pid}`)).toBe(false);
  });

  test('its stdin (holding the key on the way in) cannot be reopened through /proc', async () => {
    const proxy = await start();
    try {
      // Node's stdio "pipes" are socket pairs: another process of the same user cannot open fd/0 to read or
      // inject a config line.
      expect(() => readFileSync(`/proc/${proxy.pid}/fd/0`)).toThrow(/ENXIO/);
      expect(() => writeFileSync(`/proc/${proxy.pid}/fd/0`, '{}\n')).toThrow(/ENXIO/);
      const port = Number(new URL(proxy.url).port);
      expect((await send(port, { headers: { 'x-api-key': proxy.token } })).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });

  test('a bad config fails the start with the field named and no secret echoed', async () => {
    const attempt = start({ budgetUsd: -1 });
    await expect(attempt).rejects.toThrow(/Starting the key proxy .* failed: .*'budgetUsd'/);
    await expect(attempt).rejects.not.toThrow(KEY);
  });
});
