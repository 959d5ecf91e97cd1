/**
 * The bundle's stand-in for the npm undici (scripts/bundle/undici-on-demand.mjs): without a proxy a request
 * goes out through Node's own fetch; with the ProxyAgent @actions/http-client builds when HTTPS_PROXY is
 * set, it goes through that proxy (a CONNECT proxy on 127.0.0.1 here), loading the npm undici only then.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- a plain .mjs module without type declarations
import { fetch, ProxyAgent } from '../../scripts/bundle/undici-on-demand.mjs';

const proxied: string[] = [];
let target: http.Server;
let proxy: http.Server;
const port = (s: http.Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  target = http.createServer((req, res) => res.end(`hello ${req.method} ${req.url}`));
  proxy = http.createServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    proxied.push(`${req.method} ${req.url} ${req.headers['proxy-authorization'] ?? ''}`.trim());
    const [host, p] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(p), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
  });
  await Promise.all([target, proxy].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});

afterAll(async () => {
  await Promise.all(
    [target, proxy].map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))),
  );
});

describe('undici on demand', () => {
  test('without a dispatcher: a direct request through Node’s fetch, the proxy never asked', async () => {
    proxied.length = 0;
    const res = await fetch(`http://127.0.0.1:${port(target)}/direct`, { method: 'GET' });
    expect(await res.text()).toBe('hello GET /direct');
    expect(proxied).toEqual([]);
  });

  test('with the ProxyAgent http-client builds: through the proxy, with its credentials', async () => {
    proxied.length = 0;
    const token = `Basic ${Buffer.from('u:p').toString('base64')}`;
    const dispatcher = new ProxyAgent({ uri: `http://127.0.0.1:${port(proxy)}`, pipelining: 1, token });
    const url = `http://127.0.0.1:${port(target)}/via-proxy`;
    const res = await fetch(url, { method: 'GET', dispatcher });
    expect(await res.text()).toBe('hello GET /via-proxy');
    // The same agent serves a second request (built once).
    const again = await fetch(url, { method: 'GET', dispatcher });
    expect(await again.text()).toBe('hello GET /via-proxy');
    expect(proxied[0]).toBe(`CONNECT 127.0.0.1:${port(target)} ${token}`);
  });
});
