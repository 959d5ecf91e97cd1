/**
 * The probe the agent user runs (with node, through the launcher) to attempt each action of
 * proof-attempts.ts and report what happened.
 */

/** The probe, run by the agent user with node. Plain CommonJS; reads the attempts from argv[2]. */
export const PROBE_SCRIPT = String.raw`'use strict';
const fs = require('fs'), net = require('net'), dgram = require('dgram'), cp = require('child_process');
const errText = (e) => (e && (e.code || e.message)) || String(e);
const DNS_QUERY = Buffer.from('123401000001000000000000076578616d706c6503636f6d0000010001', 'hex');
function tcp(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok, detail) => { s.destroy(); resolve([ok, detail]); };
    s.setTimeout(3000, () => done(false, 'timeout'));
    s.on('connect', () => done(true, 'connected'));
    s.on('error', (e) => done(false, errText(e)));
  });
}
function udp(host, port, payload) {
  return new Promise((resolve) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (ok, detail) => { clearTimeout(t); try { s.close(); } catch {} resolve([ok, detail]); };
    const t = setTimeout(() => done(false, 'no answer'), 2000);
    s.on('message', (m) => done(true, 'answered (' + m.length + ' bytes)'));
    s.on('error', (e) => done(false, errText(e)));
    s.connect(port, host, () => s.send(payload, (e) => e && done(false, errText(e))));
  });
}
function inventory(skip) {
  const readable = [], writable = [], stack = ['/'];
  let count = 0;
  while (stack.length && count < 200000) {
    const dir = stack.pop();
    let entries;
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { continue; }
    try { fs.accessSync(dir, fs.constants.W_OK); writable.push(dir); } catch {}
    for (const e of entries) {
      count++;
      const full = (dir === '/' ? '' : dir) + '/' + e.name;
      if (skip.includes(full)) continue;
      if (e.isDirectory()) { stack.push(full); continue; }
      if (e.isSymbolicLink()) continue;
      try { fs.closeSync(fs.openSync(full, 'r')); readable.push(full); } catch {}
    }
  }
  return [true, JSON.stringify({ readable, writable })];
}
async function attempt(op) {
  try {
    switch (op.kind) {
      case 'inventory': return inventory(op.skip);
      case 'read': return [true, 'read ' + fs.readFileSync(op.target).length + ' bytes'];
      case 'list': return [true, fs.readdirSync(op.target).length + ' entries'];
      case 'append': fs.closeSync(fs.openSync(op.target, 'a')); return [true, 'opened for append'];
      case 'create': fs.writeFileSync(op.target, 'probe', { flag: 'wx' }); fs.unlinkSync(op.target); return [true, 'created (and removed)'];
      case 'tcp': return await tcp(op.host, op.port);
      case 'udp': return await udp(op.host, op.port, Buffer.from('probe'));
      case 'dns': return await udp(op.host, op.port, DNS_QUERY);
      case 'whoami': return [true, String(process.getuid())];
      case 'sudo': {
        const r = cp.spawnSync('sudo', ['-n', 'true'], { timeout: 5000, stdio: 'ignore' });
        return [r.status === 0, r.error ? errText(r.error) : 'exit ' + r.status];
      }
    }
    return [false, 'unknown attempt'];
  } catch (e) {
    return [false, errText(e)];
  }
}
(async () => {
  const attempts = JSON.parse(process.argv[2]);
  const outcomes = await Promise.all(attempts.map(async (a) => {
    const [succeeded, detail] = await attempt(a.op);
    return { name: a.name, succeeded, detail };
  }));
  process.stdout.write(JSON.stringify(outcomes));
})();
`;
