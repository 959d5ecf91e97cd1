/**
 * Claude Code's own sandbox (`sandbox.enabled`) and git, on the REAL CLI (docs/claude-code-facts.md,
 * "Sandbox and git"): a Read deny rule on `.git/config` becomes a file Bash cannot open inside the
 * sandbox, so every git command fails; and the sandbox leaves mount-point stubs in the working
 * directory's `.git` and `.claude`. Why the sandbox level gives the agent a clean copy of the
 * repository as its working directory and no `.git/config` read deny (isolation/launcher.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPullRepo, startModelServer, toolResults, type ModelServer } from '../e2e/support/index.mjs';

const CLAUDE = fs.realpathSync(new URL('../../node_modules/.bin/claude', import.meta.url).pathname);

function bubblewrapWorks(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v socat']);
    execFileSync('bwrap', ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '/bin/true']);
    return true;
  } catch {
    return false;
  }
}
const maybe = process.platform === 'linux' && bubblewrapWorks() ? describe : describe.skip;

/** Every path under dir, its object store aside. */
const tree = (dir: string): string[] =>
  (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => !p.startsWith(path.join('.git', 'objects')))
    .sort();

maybe("Claude Code's sandbox and git (real CLI)", () => {
  let model: ModelServer;
  let root: string;
  beforeAll(async () => {
    model = await startModelServer();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cg-sandbox-git-'));
  });
  afterAll(async () => {
    await model.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** Runs `git log -1 --format=%s` as a sandboxed Bash call under `deny`; returns its result and what appeared. */
  async function gitLogUnder(deny: string[]) {
    const repo = createPullRepo({ base: { 'a.txt': 'one\n' }, head: { 'a.txt': 'one\ntwo\n' } });
    try {
      const dir = fs.mkdtempSync(path.join(root, 'run-'));
      for (const d of ['home', 'config', 'tmp']) fs.mkdirSync(path.join(dir, d));
      const settings = path.join(dir, 'settings.json');
      fs.writeFileSync(
        settings,
        JSON.stringify({
          permissions: { allow: ['Bash(git log:*)'], deny, defaultMode: 'dontAsk' },
          sandbox: {
            enabled: true,
            failIfUnavailable: true,
            autoAllowBashIfSandboxed: false,
            allowUnsandboxedCommands: false,
            network: { allowedDomains: [] },
          },
        }),
      );
      const before = tree(repo.dir);
      model.setScript([
        { toolUse: { name: 'Bash', id: 'toolu_gitlog', input: { command: 'git log -1 --format=%s' } } },
        { text: 'done' },
      ]);
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          CLAUDE,
          [
            '--print',
            '--output-format',
            'json',
            '--settings',
            settings,
            '--setting-sources',
            '',
            '--strict-mcp-config',
            '--tools',
            'Bash',
            '--',
            'go',
          ],
          {
            cwd: repo.dir,
            stdio: ['ignore', 'ignore', 'ignore'],
            env: {
              PATH: process.env.PATH,
              HOME: path.join(dir, 'home'),
              CLAUDE_CONFIG_DIR: path.join(dir, 'config'),
              TMPDIR: path.join(dir, 'tmp'),
              ANTHROPIC_BASE_URL: model.url,
              ANTHROPIC_API_KEY: 'sk-ant-test',
              CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
            },
          },
        );
        child.on('close', resolve);
      });
      const result = toolResults(model.requests).find((r) => r.tool_use_id === 'toolu_gitlog');
      model.requests.length = 0;
      const after = tree(repo.dir);
      return { code, result, added: after.filter((p) => !before.includes(p)) };
    } finally {
      repo.cleanup();
    }
  }

  test('a Read deny on .git/config makes every git command fail inside the sandbox; without it git works', async () => {
    const denied = await gitLogUnder(['Read(.git/config)']);
    expect(denied.code).toBe(0);
    expect(denied.result?.is_error).toBe(true);
    expect(denied.result?.content).toMatch(/unable to access '\.git\/config': Permission denied/);

    const open = await gitLogUnder([]);
    expect(open.code).toBe(0);
    expect(open.result).toMatchObject({ is_error: false, content: 'Change under review' });
  });

  test('the sandbox leaves stubs in the working directory (.git and .claude) that nothing removes', async () => {
    const { added } = await gitLogUnder([]);
    expect(added).toEqual(
      expect.arrayContaining([
        '.claude',
        path.join('.git', 'info', '.claude-sandbox-noreplace'),
        path.join('.git', 'worktrees'),
      ]),
    );
    expect(added.every((p) => p.startsWith('.claude') || p.startsWith('.git'))).toBe(true);
  });
});
