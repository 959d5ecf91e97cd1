/**
 * Runs the key proxy (threat-model defence 3; rows S1, X6) as its own process and talks to it. The real key
 * reaches the child as a JSON line on its stdin — not argv, not the environment, both readable under
 * /proc/<pid> by any process of the same user — and the child's environment is PATH alone, never a copy of
 * process.env (which holds INPUT_* and ACTIONS_* secrets). The per-run token is minted here. The child exits
 * when its stdin closes, so it cannot outlive this process.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  emptyUsage,
  newProxyToken,
  type AuditEntry,
  type KeyProxySettings,
  type Usage,
} from './proxy/index.js';

export interface KeyProxyProcessOptions {
  /** The node binary to run the entry with (the action's own: process.execPath). */
  nodePath: string;
  /** The bundled proxy entry (dist/proxy/index.js). */
  entryPath: string;
  config: Omit<KeyProxySettings, 'token'>;
  /** How long to wait for the child to report its port. Default 15 s. */
  startTimeoutMs?: number;
}

export interface KeyProxySummary {
  usage: Usage;
  audit: AuditEntry[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface KeyProxyProcess {
  /** ANTHROPIC_BASE_URL for the agent. */
  url: string;
  /** The per-run token for the agent (its ANTHROPIC_API_KEY). */
  token: string;
  pid: number;
  /** The latest usage the child reported. */
  usage(): Usage;
  audit(): AuditEntry[];
  /** Closes the child's stdin and waits for it to exit (SIGTERM after 5 s, SIGKILL after 2 s more). */
  stop(): Promise<KeyProxySummary>;
}

export async function startKeyProxyProcess(options: KeyProxyProcessOptions): Promise<KeyProxyProcess> {
  const token = newProxyToken();
  const child = spawn(options.nodePath, [options.entryPath], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let usage = emptyUsage();
  const audit: AuditEntry[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
  child.stdin.on('error', () => undefined); // EPIPE when the child died first; reported through 'close'
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );

  const port = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = parseLine(line);
      if (typeof message.port === 'number') resolve(message.port);
      if (message.audit) audit.push(message.audit as AuditEntry);
      if (message.usage) usage = message.usage as Usage;
    });
    child.on('error', (err) => reject(new Error(`could not start ${options.nodePath}: ${err.message}`)));
    void closed.then(({ code, signal }) =>
      reject(new Error(`it exited before listening (code ${code}, signal ${signal}): ${stderr.trim()}`)),
    );
    setTimeout(
      () =>
        reject(new Error(`no port reported within ${options.startTimeoutMs ?? 15000} ms: ${stderr.trim()}`)),
      options.startTimeoutMs ?? 15000,
    ).unref();
  });
  child.stdin.write(`${JSON.stringify({ ...options.config, token })}\n`);

  let listening: number;
  try {
    listening = await port;
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`Starting the key proxy (${options.entryPath}) failed: ${(err as Error).message}`);
  }

  let stopped: Promise<KeyProxySummary> | undefined;
  const stop = async (): Promise<KeyProxySummary> => {
    child.stdin.end();
    const escalate = (signal: NodeJS.Signals, ms: number) =>
      setTimeout(
        () => child.exitCode === null && child.signalCode === null && child.kill(signal),
        ms,
      ).unref();
    const timers = [escalate('SIGTERM', 5000), escalate('SIGKILL', 7000)];
    const { code, signal } = await closed;
    timers.forEach(clearTimeout);
    return { usage, audit: [...audit], exitCode: code, signal };
  };

  return {
    url: `http://127.0.0.1:${listening}`,
    token,
    pid: child.pid as number,
    usage: () => usage,
    audit: () => [...audit],
    stop: () => (stopped ??= stop()),
  };
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
