/**
 * Which files a `mode: fix` agent may edit, and the permission rules that say so. Pure.
 *
 * The scope is the pull request's own changed files — added, modified, renamed (new path) or copied —
 * minus everything whose change would reach past the code under review (threat model X4, X7):
 * - removed files (there is nothing to fix) and files without a patch (binary or too large: a change
 *   to them cannot be reviewed line by line);
 * - `.github/**` (workflows, actions, CI configuration: a fix must never change what CI runs);
 * - git's own control files at any depth: any `.git` component, `.gitmodules`, `.gitattributes`
 *   (filters, diff drivers, `-diff` hiding a change from review) and `.gitignore` (it decides which new
 *   files `git status` — and so the action's own change check — can see), and `.husky/**` hooks;
 * - agent configuration: CLAUDE.md, CLAUDE.local.md, AGENTS.md, `.claude/**`, `.mcp.json` (X7);
 * - lockfiles: a hand-edited lockfile can point a dependency at another tarball and checksum, the
 *   change is unreviewable in practice, and it runs in every later install (X4). Real fixes regenerate
 *   lockfiles with the package manager, which the agent is denied anyway.
 * - paths the permission-rule syntax would read as patterns (`*`, `?`, `[`, `{`, `\`, `!`, `#`,
 *   parentheses, surrounding spaces, control characters) or that are not plain relative paths: an
 *   `Edit(//ws/src/*)` rule would open a whole directory.
 *
 * Protected names compare case-insensitively (macOS runners are). `fixRules` turns the scope into
 * exact `Edit(//<absolute path>)` allow rules — Edit rules cover Write and NotebookEdit — one per file;
 * reading stays allowed by the default rules.
 */
import type { FileDiff } from '../findings/diff.js';

export interface ScopeRefusal {
  path: string;
  reason: string;
}

export interface FixScope {
  /** Repository-relative paths the agent may edit, sorted, unique. */
  paths: string[];
  refused: ScopeRefusal[];
}

const AGENT_CONFIG_NAMES = ['claude.md', 'claude.local.md', 'agents.md', '.mcp.json'];
const GIT_CONTROL_NAMES = ['.gitmodules', '.gitattributes', '.gitignore'];

/** Lockfiles of the common package managers (exact base names, compared case-insensitively). */
export const LOCKFILE_NAMES: readonly string[] = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'deno.lock',
  'cargo.lock',
  'gemfile.lock',
  'poetry.lock',
  'pipfile.lock',
  'uv.lock',
  'pdm.lock',
  'composer.lock',
  'go.sum',
  'packages.lock.json',
  'pubspec.lock',
  'mix.lock',
  'flake.lock',
  'podfile.lock',
  'package.resolved',
  'gradle.lockfile',
];

/** Characters Claude Code's path rules (gitignore-style) or the rule syntax itself could read as syntax. */
const RULE_SPECIAL = /[*?[\]{}()\\!#\u0000-\u001f\u007f]/;

/** Why `path` must never be edited by a fix, or undefined when it may be. Also used on the agent's changes. */
export function protectedReason(path: string): string | undefined {
  const parts = path.toLowerCase().split('/');
  const name = parts[parts.length - 1];
  if (parts.includes('.git')) return 'inside a .git directory';
  if (parts[0] === '.github') return 'GitHub configuration (workflows, actions): a fix never changes CI';
  if (GIT_CONTROL_NAMES.includes(name))
    return `${name} is a git control file: it changes what git checks out, runs or shows`;
  if (parts.includes('.husky')) return 'git hooks (.husky) run on later git commands';
  if (parts.includes('.claude') || AGENT_CONFIG_NAMES.includes(name))
    return 'agent configuration: the agent may not rewrite its own instructions';
  if (LOCKFILE_NAMES.includes(name))
    return 'lockfile: regenerate it with the package manager instead; a hand edit can swap a dependency unseen';
  return undefined;
}

/** Why `path` is not a plain repository-relative path usable in an exact rule, or undefined. */
export function pathSyntaxReason(path: string): string | undefined {
  if (path === '' || path.startsWith('/')) return 'not a repository-relative path';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..'))
    return 'has an empty, "." or ".." component';
  if (RULE_SPECIAL.test(path)) return 'contains characters that permission rules read as patterns';
  if (path !== path.trim()) return 'starts or ends with whitespace';
  return undefined;
}

/** The PR's changed files the agent may edit, and why each other one may not. */
export function fixScope(diff: readonly FileDiff[]): FixScope {
  const paths = new Set<string>();
  const refused: ScopeRefusal[] = [];
  const refuse = (path: string, reason: string) => {
    if (!refused.some((r) => r.path === path)) refused.push({ path, reason });
  };
  for (const file of diff) {
    if (file.status === 'removed') {
      refuse(file.path, 'removed in this pull request');
      continue;
    }
    if (file.status === 'unchanged') {
      refuse(file.path, 'not changed in this pull request');
      continue;
    }
    const reason =
      pathSyntaxReason(file.path) ??
      protectedReason(file.path) ??
      (file.patchAvailable ? undefined : 'no patch (binary or too large to review line by line)');
    if (reason !== undefined) refuse(file.path, reason);
    else paths.add(file.path);
  }
  return { paths: [...paths].sort(), refused };
}

/**
 * One exact allow rule per file: `Edit(//<workspace>/<path>)` (`//` marks an absolute path in Claude
 * Code's rules). Throws when a path or the workspace could be read as a pattern.
 */
export function fixRules(paths: readonly string[], workspace: string): string[] {
  const root = workspace.replace(/\/+$/, '');
  if (!root.startsWith('/') || RULE_SPECIAL.test(root)) {
    throw new Error(
      `Fix scope: the workspace path '${workspace}' is not absolute or contains pattern characters; check out the repository into a plain directory`,
    );
  }
  return paths.map((p) => {
    const reason = pathSyntaxReason(p);
    if (reason !== undefined) throw new Error(`Fix scope: '${p}' ${reason}; it cannot be an exact rule`);
    return `Edit(/${root}/${p})`;
  });
}
