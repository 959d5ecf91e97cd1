/**
 * What a run reviews, by event, and where its file list comes from. Pure decision (`planDiff`) plus a
 * loader with injected ports:
 * - a pull request: base...head from git in the checkout (no file limit), GitHub's file list only as a
 *   fallback (it stops at 3,000 files; the summary then says how many were not reviewed);
 * - push: the push's before..after, with a notice;
 * - any other event (workflow_dispatch, schedule, issue_comment, a payload without pull_request): the
 *   range given in input `diff-range`, or a refusal naming the event — never a silent `HEAD~1`.
 */
import { fromPullFiles, parseUnifiedDiff, type FileDiff } from './findings/diff.js';
import type { PullFile } from './github/client.js';

export type DiffPlan =
  | { kind: 'pull'; base: string; head: string; range: string }
  | { kind: 'range'; base: string; head: string; range: string; notice: string }
  | { kind: 'refuse'; reason: string };

const ZERO_SHA = /^0+$/;
const REV = String.raw`[A-Za-z0-9_][A-Za-z0-9_./~^@{}-]*`;
const RANGE = new RegExp(`^(${REV}?)(\\.{2,3})(${REV})$`);

/** Pure: a `BASE...HEAD` / `BASE..HEAD` range of git revisions, or undefined when it is not one. */
export function parseRange(text: string): { base: string; head: string; range: string } | undefined {
  const m = RANGE.exec(text.trim());
  if (!m || m[1].includes('..') || m[3].includes('..') || m[1].endsWith('.')) return undefined;
  return { base: m[1], head: m[3], range: `${m[1]}${m[2]}${m[3]}` };
}

export function planDiff(input: {
  eventName: string;
  payload: unknown;
  pull?: { baseSha: string; headSha: string };
  diffRange?: string;
}): DiffPlan {
  if (input.pull) {
    const { baseSha: base, headSha: head } = input.pull;
    return { kind: 'pull', base, head, range: `${base}...${head}` };
  }
  const event = input.eventName || '(no event)';
  if (input.diffRange) {
    const r = parseRange(input.diffRange);
    if (!r)
      return {
        kind: 'refuse',
        reason: `Input 'diff-range': '${input.diffRange}' is not a range of two git revisions (BASE...HEAD or BASE..HEAD).`,
      };
    return {
      kind: 'range',
      ...r,
      notice: `Reviewing ${r.range} (input 'diff-range') on the '${event}' event.`,
    };
  }
  const p = (input.payload ?? {}) as { before?: unknown; after?: unknown };
  if (input.eventName === 'push') {
    const before = typeof p.before === 'string' ? p.before : '';
    const after = typeof p.after === 'string' ? p.after : '';
    if (!/^[0-9a-f]{40,64}$/.test(after) || !/^[0-9a-f]{40,64}$/.test(before) || ZERO_SHA.test(before))
      return {
        kind: 'refuse',
        reason:
          "This push has no earlier commit to compare with (a new branch, or a payload without 'before'/'after'): set input 'diff-range' to say what to review.",
      };
    return {
      kind: 'range',
      base: before,
      head: after,
      range: `${before}..${after}`,
      notice: `Reviewing the push ${before.slice(0, 12)}..${after.slice(0, 12)}.`,
    };
  }
  return {
    kind: 'refuse',
    reason: `There is no pull request in the '${event}' event, so there is nothing to review: run claude-guard on pull_request (or push), or set input 'diff-range' (e.g. 'origin/main...HEAD').`,
  };
}

export interface DiffSource {
  files: FileDiff[];
  /** Notes for the summaries (fallbacks, truncation). */
  notes: string[];
}

export interface DiffPorts {
  /** `git <args>` in the checkout; rejects on failure. */
  git: (args: string[]) => Promise<string>;
  /** GitHub's file list for the pull request (a fallback). */
  listPullFiles?: () => Promise<PullFile[]>;
  /** The number of changed files GitHub reports for the pull request, when known. */
  changedFiles?: number;
}

/** GitHub's pull request files endpoint returns at most this many files. */
export const API_FILE_LIMIT = 3000;

export async function loadDiffFor(
  plan: Exclude<DiffPlan, { kind: 'refuse' }>,
  ports: DiffPorts,
): Promise<DiffSource> {
  const notes: string[] = [];
  const args = ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--find-renames', plan.range, '--'];
  let gitError: string;
  try {
    return { files: parseUnifiedDiff(await ports.git(args)), notes };
  } catch (err) {
    gitError = (err as Error).message.split('\n')[0];
  }
  if (plan.kind !== 'pull' || !ports.listPullFiles)
    throw new Error(
      `git could not diff ${plan.range} in the checkout (${gitError}): check out the commits to review (actions/checkout with fetch-depth: 0).`,
    );
  const files = fromPullFiles(await ports.listPullFiles());
  notes.push(
    `The file list came from GitHub's API (git could not diff ${plan.base.slice(0, 12)}...${plan.head.slice(0, 12)} in the checkout; fetch-depth: 0 lets it).`,
  );
  const total = ports.changedFiles ?? 0;
  if (total > files.length || files.length >= API_FILE_LIMIT)
    notes.push(
      `Not everything was reviewed: GitHub's file list stops at ${API_FILE_LIMIT} files and this pull request changes ${total > files.length ? total : `at least ${files.length}`}; ${total > files.length ? `${total - files.length} file(s) were` : 'any further files were'} not reviewed. Check out the pull request with fetch-depth: 0 so claude-guard lists the files with git.`,
    );
  const noPatch = files.filter((f) => !f.patchAvailable && f.status !== 'removed').length;
  if (noPatch)
    notes.push(
      `${noPatch} file(s) came without a diff from GitHub (binary or too large): findings on them are listed in the summary, not inline.`,
    );
  return { files, notes };
}
