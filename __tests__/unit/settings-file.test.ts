import { describe, expect, test } from '@jest/globals';
import { CRITICAL_DENIALS } from '../../src/policy/permissions.js';
import {
  buildSettingsDocument,
  serializeSettings,
  settingsCliArgs,
  toolsForMode,
} from '../../src/policy/settings-file.js';

const rules = { allow: ['Read', 'Bash(git log:*)'], deny: ['Bash(curl:*)', 'Read(.env*)'] };

describe('buildSettingsDocument', () => {
  const doc = buildSettingsDocument(rules);

  test('permissions: our rules, dontAsk, bypass and auto mode disabled, file tools confined', () => {
    expect(doc.permissions).toEqual({
      allow: rules.allow,
      deny: rules.deny,
      defaultMode: 'dontAsk',
      disableBypassPermissionsMode: 'disable',
      disableAutoMode: 'disable',
      denyInsteadOfPrompting: true,
      blockReadsOutsideWorkingDirectories: true,
      blockWritesOutsideWorkingDirectories: true,
    });
  });

  test.each(['env', 'hooks', 'apiKeyHelper', 'additionalDirectories', 'sandbox', 'enabledMcpjsonServers'])(
    'has no %s key',
    (key) => {
      expect(Object.keys(doc)).not.toContain(key);
    },
  );

  test('hooks and project MCP servers are off, memory is off', () => {
    expect(doc).toMatchObject({
      disableAllHooks: true,
      enableAllProjectMcpServers: false,
      autoMemoryEnabled: false,
    });
  });

  test('the Bash hook: hooks on, one PreToolUse command hook for Bash, nothing else', () => {
    const withHook = buildSettingsDocument(rules, { bashHook: "'/node' '/hook.js' 'e30'" });
    expect(withHook.disableAllHooks).toBe(false);
    expect(withHook.hooks).toEqual({
      PreToolUse: [
        { matcher: 'Bash', hooks: [{ type: 'command', command: "'/node' '/hook.js' 'e30'", timeout: 30 }] },
      ],
    });
  });

  test('copies the rule arrays (later changes to the input do not leak in)', () => {
    const allow = ['Read'];
    const built = buildSettingsDocument({ allow, deny: [] });
    allow.push('Bash');
    expect(built.permissions.allow).toEqual(['Read']);
  });

  test('an optional sandbox block is included as given', () => {
    const sandbox = { enabled: true, failIfUnavailable: true, allowUnsandboxedCommands: false } as const;
    expect(buildSettingsDocument(rules, { sandbox }).sandbox).toEqual(sandbox);
  });
});

describe('serializeSettings', () => {
  test('stable: sorted keys, same output for the same document, valid JSON that round-trips', () => {
    const doc = buildSettingsDocument(rules);
    const text = serializeSettings(doc);
    expect(JSON.parse(text)).toEqual(doc);
    expect(serializeSettings(JSON.parse(text))).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    const topKeys = Object.keys(JSON.parse(text));
    expect(topKeys).toEqual([...topKeys].sort());
    expect(text.indexOf('"allow"')).toBeLessThan(text.indexOf('"blockReadsOutsideWorkingDirectories"'));
  });

  test('array order is kept (rule order is meaningful to readers)', () => {
    const text = serializeSettings(buildSettingsDocument({ allow: ['b', 'a'], deny: [] }));
    expect(JSON.parse(text).permissions.allow).toEqual(['b', 'a']);
  });
});

describe('toolsForMode', () => {
  test.each([
    ['review', ['Read', 'Grep', 'Glob', 'Bash']],
    ['custom', ['Read', 'Grep', 'Glob', 'Bash', 'Edit', 'Write', 'NotebookEdit']],
  ] as const)('%s → %j', (mode, tools) => {
    expect(toolsForMode(mode)).toEqual(tools);
  });
});

describe('settingsCliArgs', () => {
  test('our file is the only source; critical denials follow --disallowed-tools as separate items', () => {
    expect(settingsCliArgs('/run/settings.ci.json', ['Bash(curl:*)', 'WebFetch'])).toEqual([
      '--settings',
      '/run/settings.ci.json',
      '--setting-sources',
      '',
      '--strict-mcp-config',
      '--tools',
      'Read,Grep,Glob,Bash',
      '--disallowed-tools',
      'Bash(curl:*)',
      'WebFetch',
    ]);
  });

  test('a given tool set is used; no --disallowed-tools without denials', () => {
    const args = settingsCliArgs('/s.json', [], toolsForMode('custom'));
    expect(args).toContain('Read,Grep,Glob,Bash,Edit,Write,NotebookEdit');
    expect(args).not.toContain('--disallowed-tools');
  });

  test('every critical denial is one argv item (rules with spaces are not split)', () => {
    const args = settingsCliArgs('/s.json', CRITICAL_DENIALS);
    expect(args.slice(args.indexOf('--disallowed-tools') + 1)).toEqual([...CRITICAL_DENIALS]);
    expect(args).toContain('Bash(git diff *--output*)');
  });
});
