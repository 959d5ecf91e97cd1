/**
 * The settings file the agent runs under (settings.ci.json) and the CLI flags that make it the only
 * source of settings.
 *
 * Decides: the typed settings document (permission rules, `dontAsk`, bypass and auto mode disabled,
 * file tools confined to the working directories, no hooks but the action's own Bash hook, no env, no
 * apiKeyHelper, no MCP, no memory)
 * and the argv fragment `--settings FILE --setting-sources '' --strict-mcp-config --tools … --disallowed-tools …`.
 *
 * Defends X7 (a PR's `.claude/settings.json`, `.mcp.json`, hooks or `env` loosening the rules or
 * redirecting the API with the real key: `--setting-sources ''` + `--strict-mcp-config` ignore them) and
 * the silent drop of an invalid settings file in `--print` mode: the document is built from typed code,
 * tested against the real CLI, and the critical denials are repeated on the command line.
 */
import type { Mode } from '../inputs.js';

/** Claude Code's own sandbox for Bash (filled in by the isolation work). */
export interface SandboxSettings {
  enabled: true;
  /** Exit at start-up when bubblewrap cannot start, instead of running unsandboxed. */
  failIfUnavailable: true;
  /** Ignore the model's `dangerouslyDisableSandbox` parameter. */
  allowUnsandboxedCommands?: false;
  /** Keep Bash subject to the permission rules even when sandboxed. */
  autoAllowBashIfSandboxed?: false;
  network?: { allowedDomains?: string[] };
  filesystem?: { denyRead?: string[] };
}

export interface SettingsDocument {
  permissions: {
    allow: string[];
    deny: string[];
    /** Anything not allowed is denied without asking. */
    defaultMode: 'dontAsk';
    disableBypassPermissionsMode: 'disable';
    disableAutoMode: 'disable';
    /** A call that would prompt is denied at once. */
    denyInsteadOfPrompting: true;
    /** File tools (and shell commands naming a path) stay inside the working directories. */
    blockReadsOutsideWorkingDirectories: true;
    blockWritesOutsideWorkingDirectories: true;
  };
  /** True unless the action's own Bash hook is set; the checkout's hooks never load (`--setting-sources ''`). */
  disableAllHooks: boolean;
  hooks?: {
    PreToolUse: { matcher: 'Bash'; hooks: { type: 'command'; command: string; timeout: number }[] }[];
  };
  enableAllProjectMcpServers: false;
  autoMemoryEnabled: false;
  sandbox?: SandboxSettings;
}

export interface SettingsOptions {
  sandbox?: SandboxSettings;
  /** The command line of the Bash PreToolUse hook (policy/bash-hook.ts). */
  bashHook?: string;
}

export function buildSettingsDocument(
  rules: { allow: readonly string[]; deny: readonly string[] },
  opts: SettingsOptions = {},
): SettingsDocument {
  return {
    permissions: {
      allow: [...rules.allow],
      deny: [...rules.deny],
      defaultMode: 'dontAsk',
      disableBypassPermissionsMode: 'disable',
      disableAutoMode: 'disable',
      denyInsteadOfPrompting: true,
      blockReadsOutsideWorkingDirectories: true,
      blockWritesOutsideWorkingDirectories: true,
    },
    disableAllHooks: opts.bashHook === undefined,
    ...(opts.bashHook !== undefined
      ? {
          hooks: {
            PreToolUse: [
              {
                matcher: 'Bash' as const,
                hooks: [{ type: 'command' as const, command: opts.bashHook, timeout: 30 }],
              },
            ],
          },
        }
      : {}),
    enableAllProjectMcpServers: false,
    autoMemoryEnabled: false,
    ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
  };
}

/** Stable JSON: keys sorted at every level, two-space indent, trailing newline. */
export function serializeSettings(doc: SettingsDocument): string {
  const sortKeys = (_key: string, value: unknown): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value;
  return `${JSON.stringify(doc, sortKeys, 2)}\n`;
}

const REVIEW_TOOLS = ['Read', 'Grep', 'Glob', 'Bash'] as const;
const CUSTOM_TOOLS = [...REVIEW_TOOLS, 'Edit', 'Write', 'NotebookEdit'] as const;

/** The exact built-in tool set (`--tools`): review mode has no file-writing tool at all. In custom mode
 * the writing tools exist but stay denied unless an allowed-tools rule allows them. */
export function toolsForMode(mode: Mode): string[] {
  // fix: the edit tools, confined by one Edit rule per PR file (fix/fix-scope.ts); review: none.
  if (mode === 'fix') return [...REVIEW_TOOLS, 'Edit', 'Write'];
  return [...(mode === 'review' ? REVIEW_TOOLS : CUSTOM_TOOLS)];
}

/**
 * The argv fragment that makes our file the only settings source. It ends with the variadic
 * --disallowed-tools, so the caller must put `--` before the prompt.
 */
export function settingsCliArgs(
  settingsPath: string,
  criticalDenials: readonly string[],
  tools: readonly string[] = REVIEW_TOOLS,
): string[] {
  return [
    '--settings',
    settingsPath,
    '--setting-sources',
    '',
    '--strict-mcp-config',
    '--tools',
    tools.join(','),
    ...(criticalDenials.length > 0 ? ['--disallowed-tools', ...criticalDenials] : []),
  ];
}
