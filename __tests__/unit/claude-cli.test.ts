import { describe, expect, test } from '@jest/globals';
import { buildClaudeArgs, runClaude } from '../../src/agent/claude-cli.js';

const base = { model: undefined, maxTurns: 30, claudeArgs: [] as string[] };

describe('buildClaudeArgs', () => {
  test.each([
    [{ ...base }, ['--max-turns', '30'], ['--model']],
    [{ ...base, model: 'claude-x' }, ['--model', 'claude-x'], []],
    [{ ...base, claudeArgs: ['--effort', 'high'] }, ['--effort', 'high'], []],
  ])('%j', (settings, contains, absent) => {
    const args = buildClaudeArgs({
      settings,
      settingsArgs: ['--settings', '/s.json'],
      outputSchema: { type: 'object' },
    });
    const joined = args.join('\u0000');
    expect(joined).toContain(contains.join('\u0000'));
    for (const a of absent) expect(args).not.toContain(a);
    for (const required of ['--print', '--no-session-persistence', '--verbose'])
      expect(args).toContain(required);
    expect(args.slice(args.indexOf('--output-format'), args.indexOf('--output-format') + 2)).toEqual([
      '--output-format',
      'stream-json',
    ]);
    expect(args.slice(args.indexOf('--permission-mode'), args.indexOf('--permission-mode') + 2)).toEqual([
      '--permission-mode',
      'dontAsk',
    ]);
    // our settings flags come after anything the user passed
    expect(args.indexOf('--settings')).toBeGreaterThan(args.indexOf('--print'));
    expect(args).not.toContain('--dangerously-skip-permissions');
  });
});

describe('runClaude', () => {
  test('streams lines, passes the prompt on stdin, reports the exit', async () => {
    const lines: string[] = [];
    const exit = await runClaude({
      command: '/bin/sh',
      args: ['-c', 'read p; echo "got:$p"; echo second; exit 3'],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      prompt: 'hello prompt\n',
      timeoutMs: 10_000,
      onLine: (l) => lines.push(l),
    });
    expect(lines).toEqual(['got:hello prompt', 'second']);
    expect(exit).toMatchObject({ code: 3, timedOut: false });
  });

  test('a hang past the timeout kills the whole process group, grandchildren included', async () => {
    const marker = `cg-test-${process.pid}-${Date.now()}`;
    const exit = await runClaude({
      command: '/bin/sh',
      // a background grandchild plus a foreground sleep: both must die
      args: ['-c', `sleep 300 & exec -a ${marker} sleep 301`],
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      prompt: '',
      timeoutMs: 300,
      onLine: () => undefined,
    });
    expect(exit.timedOut).toBe(true);
    const { execFileSync } = await import('node:child_process');
    const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(ps).not.toContain(marker);
    expect(ps).not.toMatch(/^sleep 300$/m);
  });

  test('a missing binary is reported, not thrown', async () => {
    const exit = await runClaude({
      command: '/nonexistent/claude',
      args: [],
      env: {},
      cwd: '/',
      prompt: '',
      timeoutMs: 5000,
      onLine: () => undefined,
    });
    expect(exit.spawnError).toMatch(/ENOENT/);
  });
});
