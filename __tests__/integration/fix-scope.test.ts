/**
 * mode: fix at the strict level on the real machine (Linux, as root, setfacl and setpriv present): the
 * agent user gets write on exactly the granted file through a real ACL. Each attempt runs as the agent's
 * uid; the allowed write is shown to fail before the grant and after the undo, so the test can fail.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ensureAgentUser,
  grantFixScope,
  grantWorkspace,
  restoreAcl,
  type AclChange,
  type AgentUser,
} from '../../src/isolation/agent-user.js';
import { realSystem } from '../../src/isolation/system.js';

const missing = ['setfacl', 'getfacl', 'setpriv', 'useradd'].filter(
  (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0,
);
const skipReason =
  process.platform !== 'linux'
    ? 'not Linux'
    : process.getuid?.() !== 0
      ? 'not root'
      : missing.length
        ? `missing ${missing.join(', ')}`
        : '';
if (skipReason) console.warn(`fix-scope integration tests skipped: ${skipReason}`);
const maybe = skipReason ? describe.skip : describe;

maybe('grantFixScope on the real machine', () => {
  let base: string;
  let ws: string;
  let user: AgentUser;
  const acls: AclChange[] = [];

  /** Runs a shell snippet as the agent user in the workspace; true when it succeeded. */
  const asAgent = (script: string): boolean =>
    spawnSync(
      'setpriv',
      [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', 'sh', '-c', script],
      { cwd: ws, env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' },
    ).status === 0;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-scope-it-'));
    ws = path.join(base, 'ws');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(ws, 'src/allowed.ts'), 'export const a = 1;\n', { mode: 0o644 });
    fs.writeFileSync(path.join(ws, 'src/other.ts'), 'export const b = 1;\n', { mode: 0o644 });
    fs.writeFileSync(path.join(base, 'outside.txt'), 'runner file\n', { mode: 0o644 });
    fs.symlinkSync(path.join(base, 'outside.txt'), path.join(ws, 'src/link.ts'));
    user = await ensureAgentUser(realSystem);
    await grantWorkspace(realSystem, user, ws, false, acls);
  });

  afterAll(async () => {
    for (const change of [...acls].reverse()) await restoreAcl(realSystem, change);
    fs.rmSync(base, { recursive: true, force: true });
  });

  test('before the grant the agent can read but not write the file', () => {
    expect(asAgent('cat src/allowed.ts')).toBe(true);
    expect(asAgent('printf x >> src/allowed.ts')).toBe(false);
  });

  test('a file reached through a link is refused and its target gets no ACL', async () => {
    await expect(grantFixScope(realSystem, user, ws, ['src/link.ts'], acls)).rejects.toThrow(/symbolic link/);
    const facl = spawnSync('getfacl', ['--omit-header', '--skip-base', path.join(base, 'outside.txt')], {
      encoding: 'utf8',
    });
    expect(facl.stdout).not.toContain(user.name);
  });

  test('after the grant: the allowed file only — no other file, no new file, no chmod, no rename', async () => {
    await grantFixScope(realSystem, user, ws, ['src/allowed.ts'], acls);
    expect(asAgent('printf "// fixed\\n" >> src/allowed.ts')).toBe(true);
    expect(fs.readFileSync(path.join(ws, 'src/allowed.ts'), 'utf8')).toBe('export const a = 1;\n// fixed\n');
    expect(asAgent('printf x >> src/other.ts')).toBe(false);
    expect(asAgent(': > src/new.ts')).toBe(false);
    expect(asAgent(': > .git/hooks/pre-commit')).toBe(false);
    expect(asAgent('chmod +x src/allowed.ts')).toBe(false);
    expect(asAgent('mv src/allowed.ts src/renamed.ts')).toBe(false);
    expect(asAgent('rm -f src/allowed.ts')).toBe(false);
    expect(fs.existsSync(path.join(ws, 'src/new.ts'))).toBe(false);
    expect(fs.statSync(path.join(ws, 'src/allowed.ts')).mode & 0o111).toBe(0);
  });

  test('undoing the recorded ACLs takes the write away again', async () => {
    for (const change of acls.splice(0).reverse()) await restoreAcl(realSystem, change);
    expect(asAgent('printf x >> src/allowed.ts')).toBe(false);
  });
});
