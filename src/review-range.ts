/**
 * Incremental review, the edges: read the last reviewed head back from our summary comment, ask git
 * about it, and build what the agent is given — the range and the files that changed in it. The
 * decision itself is pure (review-scope.ts).
 *
 * What stays whole-PR on purpose: the gate places findings on the pull request's diff (GitHub accepts
 * a comment on any line of it, so a finding next to the new commits still goes inline), instruction
 * files are pinned from the whole PR's changes, and de-duplication compares with everything posted.
 * The incremental file list is the new range's files that the pull request itself changes: files that
 * changed only because the base branch was merged into the PR branch are not the PR's to review.
 */
import * as core from '@actions/core';
import { loadDiffFor } from './diff-source.js';
import type { FileDiff } from './findings/diff.js';
import type { GitHubPort, IssueComment } from './github/client.js';
import type { RunContext } from './context.js';
import { createGit } from './git-runner.js';
import { isSummaryComment } from './report/summary-comment.js';
import {
  commitToCheck,
  decideReviewScope,
  parseReviewedMarker,
  wantsIncremental,
  type Recorded,
  type RecordedFacts,
  type ReviewScopeSetting,
  type ScopeDecision,
} from './review-scope.js';

export interface ReviewScope {
  decision: ScopeDecision;
  /** The changed files the agent is told about, and the range it is told to inspect. */
  files: FileDiff[];
  range: string;
  /** For the summaries: which commits were reviewed, and any fallback. */
  notes: string[];
  /** Which earlier findings this run may call gone: on an incremental run, only those on code it saw. */
  mayResolve: (p: { path: string; line: number | null }) => boolean;
}

export interface ScopePorts {
  /** `git <args>` in the checkout: its exit code (0 yes, 1 no for --is-ancestor; other codes are errors). */
  gitExit: (args: string[]) => Promise<number>;
  /** `git <args>` in the checkout, stdout; rejects on failure. */
  gitText: (args: string[]) => Promise<string>;
  /** The pull request's issue comments (absent without a GitHub client). */
  listIssueComments?: () => Promise<IssueComment[]>;
}

/** The record in our newest summary comment (the same comment upsertSummaryComment updates). */
export async function readRecorded(
  ports: Pick<ScopePorts, 'listIssueComments'>,
): Promise<Recorded | undefined> {
  if (!ports.listIssueComments) return { unreadable: 'no GitHub client' };
  try {
    const ours = (await ports.listIssueComments()).filter(isSummaryComment);
    const newest = ours.reduce<IssueComment | undefined>((a, c) => (!a || c.id > a.id ? c : a), undefined);
    return newest ? parseReviewedMarker(newest.body) : undefined;
  } catch (err) {
    return { unreadable: (err as Error).message.split('\n')[0].slice(0, 200) };
  }
}

/** What git knows about `sha`, relative to the pull request's head and base. Undefined when git failed. */
export async function recordedFacts(
  sha: string,
  pull: { baseSha: string; headSha: string },
  gitExit: ScopePorts['gitExit'],
): Promise<RecordedFacts | undefined> {
  const yesNo = async (args: string[]) => {
    const code = await gitExit(args);
    if (code !== 0 && code !== 1) throw new Error(`git ${args[0]} exit ${code}`);
    return code === 0;
  };
  try {
    if (!(await yesNo(['rev-parse', '--verify', '--quiet', '--end-of-options', `${sha}^{commit}`])))
      return { exists: false, ancestorOfHead: false, ancestorOfBase: false };
    return {
      exists: true,
      ancestorOfHead: await yesNo(['merge-base', '--is-ancestor', sha, pull.headSha]),
      ancestorOfBase: await yesNo(['merge-base', '--is-ancestor', sha, pull.baseSha]),
    };
  } catch {
    return undefined;
  }
}

/** Pure: can an earlier finding at `p` be called gone by a run that saw only `files`' changes? */
export function touchedBy(files: readonly FileDiff[]): (p: { path: string; line: number | null }) => boolean {
  const byPath = new Map<string, FileDiff>();
  for (const f of files) {
    byPath.set(f.path, f);
    if (f.previousPath) byPath.set(f.previousPath, f);
  }
  return (p) => {
    const f = byPath.get(p.path);
    if (!f) return false; // the new commits did not touch the file: the finding still stands
    const line = p.line;
    if (f.status === 'removed' || f.path !== p.path || line === null) return true; // gone, moved or outdated
    return f.hunks.some((h) => line >= h.startLine && line <= h.endLine);
  };
}

/**
 * The range this run reviews and the files the agent is told about. `prFiles` is the pull request's
 * diff after `exclude-paths`; on a full review it is given as is.
 */
export async function chooseReviewScope(
  input: {
    setting: ReviewScopeSetting;
    /** An explicit request (a comment command such as `/review incremental`): overrides the event rule,
     * not the workflow's `review-scope: full` (the workflow owner's choice, e.g. for code scanning). */
    requested?: ReviewScopeSetting;
    /** `fail-on-severity` is set: the whole pull request is always reviewed (review-scope.ts). */
    gate?: boolean;
    eventName: string;
    action: unknown;
    pull: { baseSha: string; headSha: string };
    prFiles: FileDiff[];
  },
  ports: ScopePorts,
): Promise<ReviewScope> {
  const incremental =
    input.setting !== 'full' &&
    (input.requested
      ? input.requested === 'incremental'
      : wantsIncremental(input.setting, input.eventName, input.action));
  const gate = input.gate === true;
  const recorded = incremental && !gate ? await readRecorded(ports) : undefined;
  const sha = commitToCheck({ incremental, gate, pull: input.pull, recorded });
  const facts = sha ? await recordedFacts(sha, input.pull, ports.gitExit) : undefined;
  let decision = decideReviewScope({ incremental, gate, pull: input.pull, recorded, facts });
  let files = input.prFiles;
  if (decision.scope === 'incremental') {
    try {
      const source = await loadDiffFor(
        { kind: 'range', base: decision.base, head: decision.head, range: decision.range, notice: '' },
        { git: ports.gitText },
      );
      const inPr = new Set(input.prFiles.map((f) => f.path));
      files = source.files.filter((f) => inPr.has(f.path));
    } catch (err) {
      decision = {
        ...decideReviewScope({ incremental: false, pull: input.pull }),
        fallback: `git could not diff the new commits (${(err as Error).message.split('\n')[0]}): the whole pull request was reviewed.`,
      };
    }
  }
  const notes: string[] = [];
  if (decision.fallback) notes.push(`Incremental review not possible: ${decision.fallback}`);
  if (decision.scope === 'incremental')
    notes.push(
      'Only the commits pushed since the last review were given to the agent; earlier findings stay in their review threads (a thread is resolved only when the new commits changed its code).',
    );
  return {
    decision,
    files,
    range: decision.range,
    notes,
    mayResolve: decision.scope === 'incremental' ? touchedBy(files) : () => true,
  };
}

/**
 * For the main step: the scope of a pull-request run (undefined without a pull request), with git in the
 * checkout and the GitHub client as ports; a fallback is also a notice on the run.
 */
export async function reviewScopeFor(
  settings: {
    reviewScope: ReviewScopeSetting;
    comment: boolean;
    failOnSeverity: string;
  },
  ctx: Pick<RunContext, 'eventName' | 'payload' | 'pull' | 'workspace'>,
  prFiles: FileDiff[],
  gitPath: string,
  github: GitHubPort | undefined,
  requested?: ReviewScopeSetting,
): Promise<ReviewScope | undefined> {
  const pull = ctx.pull;
  if (!pull) return undefined;
  const git = createGit(gitPath, { workspace: ctx.workspace });
  const pr = { owner: pull.owner, repo: pull.repo, number: pull.number };
  const scope = await chooseReviewScope(
    {
      // Without the summary comment (comment: false) no review is recorded: every run reviews the whole PR.
      setting: settings.comment ? settings.reviewScope : 'full',
      requested: settings.comment ? requested : undefined,
      gate: settings.failOnSeverity !== 'none',
      eventName: ctx.eventName,
      action: (ctx.payload as { action?: unknown } | null)?.action,
      pull,
      prFiles,
    },
    {
      gitExit: async (args) => (await git.exec(args)).exitCode,
      gitText: (args) => git.text(args),
      listIssueComments: github ? () => github.listIssueComments(pr) : undefined,
    },
  );
  if (scope.decision.fallback)
    core.notice(`claude-guard: incremental review not possible: ${scope.decision.fallback}`);
  return scope;
}
