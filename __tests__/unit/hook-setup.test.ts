import { describe, expect, test } from '@jest/globals';
import { bashHookFor, hookRefuses, hookScriptPath } from '../../src/policy/hook-setup.js';

describe('the Bash hook self-test (the CLI ignores a hook that cannot start)', () => {
  test('a hook that prints a deny decision passes; one that cannot start or stays silent fails', async () => {
    expect(await hookRefuses(`printf %s '{"hookSpecificOutput":{"permissionDecision":"deny"}}'`)).toBe(true);
    expect(await hookRefuses('/nonexistent/node /nonexistent/hook.js')).toBe(false);
    expect(await hookRefuses('cat >/dev/null')).toBe(false);
    expect(
      await hookRefuses(`printf %s '{"hookSpecificOutput":{"permissionDecision":"deny"}}'; exit 1`),
    ).toBe(false);
    // It reads the probe from stdin, as the CLI gives it: a hook that echoes its input back is judged on it.
    expect(await hookRefuses('grep -q "git blame --contents" && echo \'"permissionDecision":"deny"\'')).toBe(
      true,
    );
  });

  test('it runs as the agent: through the launcher’s wrap', async () => {
    const seen: string[] = [];
    await hookRefuses('true', (command, args, env) => {
      seen.push(command, ...args);
      return { command, args, env };
    });
    expect(seen).toEqual(['/bin/sh', '-c', 'true']);
  });

  test('the hook lives beside the main bundle', () => {
    expect(hookScriptPath('/a/dist/main/index.js')).toBe('/a/dist/hook/index.js');
  });

  test('a hook that does not answer fails the run at every level, naming it', async () => {
    // Under jest there is no dist/hook beside the entry script: the self-test fails.
    for (const level of ['rules-only', 'sandbox', 'strict'])
      await expect(bashHookFor([], level).proven).rejects.toThrow(
        /did not refuse its self-test.*agent was not started/,
      );
  });

  test('in the agent’s world the command names node and the hook where the world binds them', async () => {
    const lines: string[] = [];
    const deny = `printf %s '{"hookSpecificOutput":{"permissionDecision":"deny"}}'`;
    const hook = bashHookFor(
      ['Bash(make test:*)'],
      'strict',
      (command, args, env) => {
        lines.push(args[1]);
        return { command, args: ['-c', deny], env };
      },
      { node: '/opt/node/bin/node', script: '/claude-guard/hook/index.js' },
    );
    await expect(hook.proven).resolves.toBeUndefined();
    expect(hook.commandLine).toMatch(
      /^'\/opt\/node\/bin\/node' '\/claude-guard\/hook\/index\.js' '[A-Za-z0-9_-]+'$/,
    );
    expect(lines).toEqual([hook.commandLine]);
  });
});
