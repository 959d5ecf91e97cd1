/**
 * Entry of the key-proxy process (threat-model defence 3; rows S1, X6). It reads its settings, the real
 * API key included, as one JSON line on stdin — never argv or the environment, which any process of the
 * same user can read under /proc/<pid> — then serves on 127.0.0.1 and reports on stdout, one JSON object
 * per line: `{"port":N}` once listening, `{"audit":{…},"usage":{…}}` per audit entry, `{"usage":{…}}` last.
 * Anything after the config line is ignored. It exits when stdin closes (the parent is done or gone) or on
 * SIGTERM. Its error messages never echo the config line.
 */
import { createKeyProxy, parseKeyProxySettings, type KeyProxy } from '../isolation/proxy/index.js';
import { providerHooks } from '../providers/shape.js';

const MAX_CONFIG_CHARS = 1024 * 1024;

function emit(message: object, then?: () => void): void {
  process.stdout.write(`${JSON.stringify(message)}\n`, then);
}

function fail(message: string): never {
  process.stderr.write(`claude-guard key proxy: ${message}\n`);
  process.exit(2);
}

async function start(line: string): Promise<KeyProxy> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    fail('the config line on stdin is not valid JSON'); // the parser's message would quote the line
  }
  let settings;
  try {
    settings = parseKeyProxySettings(parsed);
  } catch (err) {
    fail((err as Error).message);
  }
  const proxy: KeyProxy = createKeyProxy({
    ...settings,
    ...providerHooks(settings), // a cloud provider or subscription token: credential, targets, shape
    onAudit: (audit) => emit({ audit, usage: proxy.usage() }),
  });
  emit({ port: await proxy.listen() });
  return proxy;
}

let pending = '';
let proxy: Promise<KeyProxy> | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (!proxy) fail('stdin closed before the config line');
  const running = await proxy;
  await running.close();
  emit({ usage: running.usage() }, () => process.exit(0));
}

process.stdout.on('error', () => process.exit(1));
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  if (proxy) return;
  pending += chunk;
  const end = pending.indexOf('\n');
  if (end === -1) {
    if (pending.length > MAX_CONFIG_CHARS) fail('the config line on stdin is too long');
    return;
  }
  proxy = start(pending.slice(0, end));
  pending = '';
  proxy.catch((err: NodeJS.ErrnoException) => fail(`could not listen on 127.0.0.1 (${err.code ?? 'error'})`));
});
process.stdin.on('end', () => void stop());
process.stdin.on('error', () => void stop());
process.on('SIGTERM', () => void stop());
