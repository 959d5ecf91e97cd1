import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { createGit, GIT_BASE_ENV, gitSubcommand, splitNul } from '../../src/git-runner.js';
import { execGitConfig } from '../../src/isolation/credentials.js';
import { resolveTool } from '../../src/system-tools.js';
import { git, tempDirs } from '../support/git-sandbox.js';

const tempDir = tempDirs('cg-git-runner-');

/** Variables a job (or a step before ours) may set to steer git; none may reach the action's git. */
const JOB_GIT_ENV: Record<string, string> = {
  GIT_DIR: '/nonexistent/.git',
  GIT_WORK_TREE: '/nonexistent',
  GIT_CONFIG_PARAMETERS: "'core.pager'='touch /tmp/cg-pwned'",
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'core.fsmonitor',
  GIT_CONFIG_VALUE_0: 'touch /tmp/cg-pwned',
  GIT_EXEC_PATH: '/nonexistent',
  GIT_SSH_COMMAND: 'touch /tmp/cg-pwned',
  GIT_EXTERNAL_DIFF: 'touch /tmp/cg-pwned',
  LD_PRELOAD: '/nonexistent.so',
};

let saved: Record<string, string | undefined> = {};
beforeEach(() => {
  saved = Object.fromEntries(Object.keys(JOB_GIT_ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, JOB_GIT_ENV);
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A "git" that prints its environment and argv instead of running. */
function envDumper(): string {
  const file = path.join(tempDir(), 'git');
  fs.writeFileSync(file, '#!/bin/sh\nenv -0\nprintf "ARGV"\nprintf "\\0%s" "$@"\n', { mode: 0o755 });
  return file;
}

function repoWithCommit(): string {
  const dir = tempDir();
  git(dir, ['init', '-q', '-b', 'main']);
  fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
  fs.writeFileSync(path.join(dir, 'b c.txt'), 'b\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'first']);
  return dir;
}

describe('createGit', () => {
  test('git sees exactly the base environment plus the caller’s variables, none of the job’s', async () => {
    const out = await createGit(envDumper()).run(['status'], { env: { GIT_INDEX_FILE: '/tmp/i' } });
    const [envPart, argvPart] = out.toString().split('ARGV');
    const env = Object.fromEntries(
      splitNul(envPart).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    delete env.PWD; // the shell of the stand-in adds it
    expect(env).toEqual({ ...GIT_BASE_ENV, GIT_INDEX_FILE: '/tmp/i' });
    const argv = splitNul(argvPart);
    expect(argv.at(-1)).toBe('status');
    for (const flag of ['core.fsmonitor=false', 'core.hooksPath=/dev/null', 'protocol.allow=never'])
      expect(argv).toContain(flag);
  });

  test('a workspace is the one safe.directory and the directory git runs in', async () => {
    const out = await createGit(envDumper(), { workspace: '/ws' }).text(['log']);
    const argv = splitNul(out.split('ARGV')[1]);
    expect(argv.slice(-3)).toEqual(['-C', '/ws', 'log']);
    expect(argv).toContain('safe.directory=/ws');
  });

  test('real git: text and NUL-list helpers, in the workspace, ignoring the job’s GIT_DIR', async () => {
    const repo = repoWithCommit();
    const g = createGit(await resolveTool('git'), { workspace: repo });
    expect((await g.text(['log', '--format=%s'])).trim()).toBe('first');
    expect(await g.nulList(['ls-files', '-z'])).toEqual(['a.txt', 'b c.txt']);
  });

  test('a repository’s config cannot make git run a program (fsmonitor, hooks) or use the git:// transport', async () => {
    const repo = repoWithCommit();
    const marker = path.join(tempDir(), 'ran');
    const script = path.join(repo, 'evil.sh');
    fs.writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    git(repo, ['config', 'core.fsmonitor', script]);
    git(repo, ['config', 'core.hooksPath', repo]);
    fs.copyFileSync(script, path.join(repo, 'post-checkout'));
    fs.chmodSync(path.join(repo, 'post-checkout'), 0o755);
    const g = createGit(await resolveTool('git'), { workspace: repo });
    await g.run(['status']);
    await g.run(['checkout', '-q', '-b', 'other']);
    const plain = await g.exec(['ls-remote', 'git://127.0.0.1:9/x']);
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stderr).toMatch(/transport 'git' not allowed/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('a failure names the subcommand, the exit code and stderr; okCodes widens success', async () => {
    const g = createGit(await resolveTool('git'), { workspace: tempDir() });
    await expect(g.run(['-c', 'x.y=z', 'rev-parse', 'HEAD'])).rejects.toThrow(
      /^git rev-parse failed \(exit 128\): fatal: not a git repository/,
    );
    await expect(g.run(['rev-parse', 'HEAD'], { okCodes: [0, 128] })).resolves.toBeInstanceOf(Buffer);
  });

  test('stdin is passed through', async () => {
    const g = createGit(await resolveTool('git'), { workspace: repoWithCommit() });
    expect((await g.text(['hash-object', '--stdin'], { input: Buffer.from('x\n') })).trim()).toBe(
      git(tempDir(), ['hash-object', '--stdin'], Buffer.from('x\n')).trim(),
    );
  });
});

test('gitSubcommand skips options and the values of -c and -C', () => {
  expect(gitSubcommand(['-c', 'a=b', '-C', '/x', '--no-pager', 'diff', '--stat'])).toBe('diff');
  expect(gitSubcommand(['--version'])).toBe('');
});

test('credentials: git config runs through the runner, so the job’s GIT_* variables do not reach it', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, '[http "https://github.com/"]\n\textraheader = x\n');
  // GIT_TRACE would make git write its trace (config keys included) wherever the job says.
  const trace = path.join(dir, 'trace');
  process.env.GIT_TRACE = trace;
  try {
    const listed = await execGitConfig(await resolveTool('git')).list(file);
    expect(listed).toEqual([{ key: 'http.https://github.com/.extraheader', value: 'x' }]);
  } finally {
    delete process.env.GIT_TRACE;
  }
  expect(fs.existsSync(trace)).toBe(false);
});
