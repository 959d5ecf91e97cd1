/**
 * What the agent is given besides the rules: the PR's own words as a sanitised data block, and the list
 * of values that must never appear in anything the run emits.
 */
import type { RunContext } from '../context.js';
import type { Settings } from '../inputs.js';
import { buildUntrustedContext } from '../agent/untrusted-block.js';
import { isRedactionTarget } from '../policy/child-env.js';
import { MAX_UNTRUSTED_CHARS } from './plan.js';
import type { MainPorts } from './ports.js';

/**
 * The PR's title, body and commit subjects (include-pr-description) and a comment's request, sanitised
 * into a nonce-delimited data block.
 */
export async function untrustedBlock(
  ctx: RunContext,
  what: { description: boolean; request: string },
  git: string,
  ports: Pick<MainPorts, 'workspace'>,
  notes: string[],
): Promise<string | undefined> {
  const pull = ctx.pull;
  if (!pull) return undefined;
  const commits = what.description
    ? await ports.workspace.commitSubjects(git, `${pull.baseSha}..${pull.headSha}`)
    : [];
  const context = buildUntrustedContext(
    what.description ? { title: pull.title, body: pull.body, commits } : undefined,
    { maxChars: MAX_UNTRUSTED_CHARS, request: what.request },
  );
  notes.push(...context.removals);
  for (const signal of context.signals) {
    notes.push(
      `Possible prompt injection in the ${signal.field} (${signal.kind}): \`${signal.excerpt.replace(/[`\r\n]/g, ' ')}\``,
    );
  }
  return context.block;
}

/**
 * Every value that must never appear in anything we emit: secret inputs, the proxy token and withheld
 * variables that look like credentials — never ordinary input values (policy/child-env.ts).
 */
export function secretValues(
  settings: Settings,
  proxyToken: string,
  withheld: string[],
  env: NodeJS.ProcessEnv,
): string[] {
  const values = [settings.anthropicApiKey, settings.claudeCodeOauthToken, settings.githubToken, proxyToken];
  for (const name of withheld) {
    const value = env[name];
    if (value && isRedactionTarget(name, value)) values.push(value);
  }
  return values.filter((v) => v.length > 0);
}
