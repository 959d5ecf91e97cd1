/**
 * How an accepted fix (a patch the action computed itself, see change-check.ts) reaches people — input
 * `fix-delivery` — without anything unreviewed landing (threat model X4) and without the agent ever
 * holding a token (S4):
 *
 * - `suggestions` (default): `hunksToSuggestions` turns each hunk into a `Finding` carrying a GitHub
 *   suggestion for exactly the PR-head lines it replaces; the existing gate and review post them, and a
 *   person commits each one or not. A hunk whose lines do not lie within one hunk of the PR's diff
 *   cannot be a suggestion GitHub accepts, and is reported instead.
 * - `patch`: the patch file is written under the run directory for the workflow to upload.
 * - `push`: one commit on the PR branch, made by the action after the agent has ended, with the
 *   github-token the agent never saw. Same-repository PRs only, never forks. The commit is built in a
 *   fresh repository whose config the action wrote (the workspace's config, hooks and attributes
 *   play no part): the PR head is fetched, refused if the branch moved, the patch applied to the
 *   index, committed (`--signoff`, hooks off, no signing program) and pushed fast-forward only. The
 *   token reaches git only as an `http.<server>/.extraheader` entry in GIT_CONFIG_COUNT/KEY/VALUE
 *   environment variables, never on a command line.
 */
import { mkdtemp, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import parseDiff from 'parse-diff';
import type { FileDiff } from '../findings/diff.js';
import { unquoteGitPath } from '../findings/diff.js';
import type { Finding } from '../findings/schema.js';
import { createGit } from '../git-runner.js';
import type { ScopeRefusal } from './fix-scope.js';

export const FIX_DELIVERIES = ['suggestions', 'patch', 'push'] as const;
export type FixDelivery = (typeof FIX_DELIVERIES)[number];

export const FIX_PATCH_FILE = 'fix.patch';
/** GitHub's own limit on a review comment is 65536 characters; leave room for the comment around it. */
const SUGGESTION_MAX = 60000;

interface Row {
  type: ' ' | '-' | '+';
  text: string;
  /** Old-side (PR head) line number, for context and deleted rows. */
  oldLine?: number;
}

interface PatchFile {
  path: string;
  binary: boolean;
  hunks: { rows: Row[]; newlineChange: boolean }[];
}

/**
 * Our own `git diff --binary` output, per file (no renames or copies: the change check refuses them).
 * Paths are read here (C-quoted as git writes them); the hunks by parse-diff, as in findings/diff.ts.
 */
export function parsePatch(patch: string): PatchFile[] {
  const files: PatchFile[] = [];
  for (const section of patch.split(/^(?=diff --git )/m).filter((s) => s.startsWith('diff --git '))) {
    const lines = section.replace(/\n$/, '').split('\n');
    const plus = lines.find((l) => l.startsWith('+++ '));
    const minus = lines.find((l) => l.startsWith('--- '));
    const side = (l: string | undefined) => (l ? unquoteGitPath(l.slice(4).replace(/\t.*$/, '')) : undefined);
    const named = side(plus) ?? side(minus) ?? '';
    const file: PatchFile = {
      path: named.replace(/^[ab]\//, ''),
      binary: lines.some((l) => l === 'GIT binary patch' || /^Binary files .* differ$/.test(l)),
      hunks: [],
    };
    if (!plus && !minus) {
      // A header-only section (binary or mode change): `diff --git a/P b/P` names the path.
      const m = /^diff --git a\/(.*) b\/\1$/.exec(lines[0]);
      file.path = m?.[1] ?? lines[0];
    }
    for (const chunk of parseDiff(section)[0]?.chunks ?? []) {
      const hunk: PatchFile['hunks'][number] = { rows: [], newlineChange: false };
      for (const change of chunk.changes) {
        if (change.content.startsWith('\\')) {
          // "\ No newline at end of file" after a - or + row: the sides differ in their last newline.
          if (hunk.rows[hunk.rows.length - 1]?.type !== ' ') hunk.newlineChange = true;
          continue;
        }
        const text = change.content.slice(1);
        if (change.type === 'add') hunk.rows.push({ type: '+', text });
        else if (change.type === 'del') hunk.rows.push({ type: '-', text, oldLine: change.ln });
        else hunk.rows.push({ type: ' ', text, oldLine: change.ln1 });
      }
      file.hunks.push(hunk);
    }
    files.push(file);
  }
  return files;
}

/** The old-side range a set of rows replaces, and the text that replaces it. */
function replacement(rows: Row[]): { start: number; end: number; text: string } | undefined {
  const old = rows.filter((r) => r.oldLine !== undefined).map((r) => r.oldLine as number);
  if (old.length === 0) return undefined;
  return {
    start: old[0],
    end: old[old.length - 1],
    text: rows
      .filter((r) => r.type !== '-')
      .map((r) => r.text)
      .join('\n'),
  };
}

/**
 * Candidate row ranges for one hunk: its changed rows with the surrounding context trimmed; a pure
 * insertion needs one unchanged line to anchor on (the one before, else the one after).
 */
function candidates(rows: Row[]): Row[][] {
  const first = rows.findIndex((r) => r.type !== ' ');
  let last = rows.length - 1;
  while (last >= 0 && rows[last].type === ' ') last--;
  if (first < 0) return [];
  const core = rows.slice(first, last + 1);
  if (core.some((r) => r.type === '-')) return [core];
  return [
    ...(first > 0 ? [rows.slice(first - 1, last + 1)] : []),
    ...(last + 1 < rows.length ? [rows.slice(first, last + 2)] : []),
  ];
}

const SUGGESTION_BODY =
  'The agent changed these lines. The action read the change from disk after the run (not from what ' +
  'the agent reported); review it before committing the suggestion.';

/**
 * Pure: one suggestion finding per hunk of `patch`, replacing exactly the PR-head lines the hunk
 * changes; `skipped` says why a hunk (or a whole file) could not become one.
 */
export function hunksToSuggestions(
  patch: string,
  prDiff: readonly FileDiff[],
): { findings: Finding[]; skipped: ScopeRefusal[] } {
  const findings: Finding[] = [];
  const skipped: ScopeRefusal[] = [];
  for (const file of parsePatch(patch)) {
    const pr = prDiff.find((f) => f.path === file.path);
    const fileReason =
      pr === undefined || pr.status === 'removed'
        ? 'not a changed file of the pull request'
        : !pr.patchAvailable
          ? 'the pull request shows no diff for it'
          : file.binary
            ? 'binary change: it cannot be shown as a suggestion'
            : file.hunks.length === 0
              ? 'no line changes (a mode change?)'
              : undefined;
    if (fileReason !== undefined || pr === undefined) {
      skipped.push({ path: file.path, reason: fileReason ?? '' });
      continue;
    }
    for (const hunk of file.hunks) {
      const options = candidates(hunk.rows)
        .map(replacement)
        .filter((r) => r !== undefined);
      const fit = options.find((r) => pr.hunks.some((h) => h.startLine <= r.start && r.end <= h.endLine));
      const where = options[0] ? `lines ${options[0].start}-${options[0].end}` : 'a hunk';
      if (hunk.newlineChange) {
        skipped.push({ path: file.path, reason: `${where}: changes the newline at the end of the file` });
      } else if (fit === undefined) {
        skipped.push({ path: file.path, reason: `${where}: not within one hunk of the pull request's diff` });
      } else if (fit.text.length > SUGGESTION_MAX) {
        skipped.push({ path: file.path, reason: `${where}: too long for a review comment` });
      } else {
        findings.push({
          path: file.path,
          line: fit.start,
          ...(fit.end > fit.start ? { end_line: fit.end } : {}),
          severity: 'info',
          category: 'fix',
          title: 'Suggested fix',
          body: SUGGESTION_BODY,
          suggestion: fit.text,
        });
      }
    }
  }
  return { findings, skipped };
}

/** Writes the patch as `<runDir>/fix.patch` (0644) and returns its path, for the `fix-patch` output. */
export async function writePatchFile(runDir: string, patch: Buffer): Promise<string> {
  const file = path.join(runDir, FIX_PATCH_FILE);
  await writeFile(file, patch, { mode: 0o644, flag: 'wx' });
  await chmod(file, 0o644);
  return file;
}

/** Runs git in `cwd` with `env` over the git runner's base environment; resolves with stdout. */
export type GitRunner = (
  args: string[],
  options: { cwd: string; env: Record<string, string>; input?: Buffer },
) => Promise<string>;

/** The real runner: the git binary at `gitPath`. */
export function gitRunner(gitPath: string): GitRunner {
  const git = createGit(gitPath);
  return (args, options) => git.text(args, options);
}

export interface PushTarget {
  /** `pull_request.head.ref`: the branch to push to. */
  headRef: string;
  /** `owner/name` of the PR's head repository. */
  headRepo: string;
  /** `owner/name` of the repository the workflow runs in. */
  baseRepo: string;
  /** The head commit the fix was made against; the push is refused when the branch has moved. */
  headSha: string;
  /** GITHUB_SERVER_URL (https://github.com or the GHES URL). */
  serverUrl: string;
}

export class FixDeliveryError extends Error {
  override name = 'FixDeliveryError';
}

/** Pure: why a push to this target is refused, or undefined when it may go ahead. */
export function pushRefusal(target: PushTarget): string | undefined {
  const { headRef, headRepo, baseRepo } = target;
  if (headRef === '') return "the pull request's head branch is unknown";
  if (headRepo === '' || headRepo.toLowerCase() !== baseRepo.toLowerCase())
    return `the pull request comes from a fork (${headRepo || 'a deleted repository'}); the action never pushes to forks`;
  if (
    !/^[A-Za-z0-9._/-]+$/.test(headRef) ||
    /(^[-./]|\.\.|\/\/|\/\.|\.lock$|\.lock\/|[./]$)/.test(headRef) ||
    headRef === 'HEAD'
  )
    return `the head branch name '${headRef}' is not one the action pushes to`;
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(target.headSha)) return 'the head commit sha is not a full sha';
  return undefined;
}

export interface PushOptions {
  git: GitRunner;
  target: PushTarget;
  /** The github-token; travels only in the environment of these git processes. */
  token: string;
  patch: Buffer;
  /** A private directory (under the run directory) for the scratch repository. */
  workDir: string;
  message?: string;
  email?: string;
}

/**
 * Commits the patch on top of the PR head and pushes it to the head branch. Throws FixDeliveryError
 * saying why nothing was pushed.
 */
export async function pushFix(options: PushOptions): Promise<{ commit: string; ref: string }> {
  const { git, target, token, patch } = options;
  const refusal = pushRefusal(target);
  if (refusal !== undefined)
    throw new FixDeliveryError(`fix-delivery: push refused: ${refusal}. Use suggestions or patch.`);
  if (patch.length === 0)
    throw new FixDeliveryError('fix-delivery: push: the fix is empty; nothing to push.');
  if (token === '' || /[\s\u0000-\u001f\u007f]/.test(token))
    throw new FixDeliveryError("fix-delivery: push needs input 'github-token' (one line, no spaces).");
  const server = target.serverUrl.replace(/\/+$/, '');
  const url = `${server}/${target.headRepo}.git`;
  const ref = `refs/heads/${target.headRef}`;
  const cwd = await mkdtemp(path.join(options.workDir, 'fix-push-'));
  const env = {
    HOME: cwd,
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${server}/.extraheader`,
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
  };
  const safe = ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgSign=false', '-c', 'core.fsmonitor=false'];
  const run = (args: string[], input?: Buffer) => git([...safe, ...args], { cwd, env, input });
  await run(['init', '-q', '--template=', '.']);
  try {
    await run(['fetch', '-q', '--no-tags', '--depth=1', url, ref]);
  } catch (error) {
    throw new FixDeliveryError(
      `fix-delivery: push: fetching ${target.headRef} from ${url} failed (${(error as Error).message}); does the token have contents: write?`,
    );
  }
  const tip = (await run(['rev-parse', '--verify', 'FETCH_HEAD^{commit}'])).trim();
  if (tip !== target.headSha)
    throw new FixDeliveryError(
      `fix-delivery: push refused: ${target.headRef} moved to ${tip} while the agent worked on ${target.headSha}; re-run on the new head.`,
    );
  await run(['read-tree', tip]);
  try {
    await run(['apply', '--cached', '--whitespace=nowarn', '-'], patch);
  } catch (error) {
    throw new FixDeliveryError(
      `fix-delivery: push: the fix does not apply to the PR head ${tip} (${(error as Error).message}); check out the PR head (not the merge commit) or use suggestions or patch.`,
    );
  }
  await run(['update-ref', 'HEAD', tip]);
  await run([
    '-c',
    'user.name=claude-guard',
    '-c',
    `user.email=${options.email ?? 'claude-guard@users.noreply.github.com'}`,
    'commit',
    '-q',
    '--no-verify',
    '--no-gpg-sign',
    '--signoff',
    '-m',
    options.message ?? 'Apply the fix proposed by claude-guard',
  ]);
  const commit = (await run(['rev-parse', '--verify', 'HEAD'])).trim();
  try {
    await run(['push', '-q', '--no-verify', url, `HEAD:${ref}`]);
  } catch (error) {
    throw new FixDeliveryError(
      `fix-delivery: push to ${target.headRef} failed (${(error as Error).message}); the branch may have moved, or the token lacks contents: write.`,
    );
  }
  return { commit, ref };
}
