/**
 * mode: fix in the main step: which of the PR's files the agent may edit, the action's own check of
 * what the agent changed (refused whole when anything is out of scope; the tree put back either way),
 * and the delivery of a checked fix as suggestions, a patch file or a commit pushed by the action.
 */
import * as core from '@actions/core';
import type { Settings } from '../inputs.js';
import type { RunContext } from '../context.js';
import type { Finding } from '../findings/schema.js';
import type { FileDiff } from '../findings/diff.js';
import { restoreCheckoutCredentials, type CredentialsBackup } from '../isolation/credentials.js';
import { resolveTool } from '../system-tools.js';
import { fixScope } from './fix-scope.js';
import {
  checkChanges,
  collectChanges,
  confirmScopeOnDisk,
  resetWorkingTree,
  type Baseline,
  type WorkspaceGit,
} from './change-check.js';
import { gitRunner, hunksToSuggestions, pushFix, writePatchFile } from './deliver-fix.js';

/** fix mode: the PR's files the agent may edit (not workflows, agent config, lockfiles, links, …). */
export async function fixablePaths(diff: FileDiff[], ctx: RunContext, notes: string[]): Promise<string[]> {
  if (!ctx.pull)
    throw new Error("Input 'mode': fix needs a pull_request event (it edits the pull request's files).");
  const scope = fixScope(diff);
  const disk = await confirmScopeOnDisk(ctx.workspace, scope.paths);
  for (const r of [...scope.refused, ...disk.refused])
    notes.push(`Not editable by the fix: \`${r.path}\` — ${r.reason}`);
  if (!disk.paths.length)
    throw new Error("Input 'mode': fix found no file of this pull request that the agent may edit.");
  return disk.paths;
}

/**
 * The agent's change, computed by the action from the tree the agent edited — the workspace, or at
 * strict the agent's own copy of it (isolation/repo-copy.ts) — and refused whole when anything is out
 * of scope. The tree is put back either way.
 */
export async function checkFix(
  tree: string,
  wsGit: WorkspaceGit,
  baseline: Baseline,
  fixPaths: string[],
  credentials: CredentialsBackup | undefined,
): Promise<Buffer> {
  // .git/config back first (byte for byte), so no git below runs with a config the agent could touch.
  if (credentials) await restoreCheckoutCredentials(credentials);
  const set = await collectChanges(tree, wsGit, baseline);
  const verdict = checkChanges(set, fixPaths);
  const left = await resetWorkingTree(tree, wsGit, set, baseline);
  for (const l of left) core.warning(`claude-guard: could not restore ${l.path}: ${l.reason}`);
  if (!verdict.ok) {
    throw new Error(
      `The fix was refused and nothing was delivered: ${verdict.violations.map((v) => `${v.path} (${v.reason})`).join('; ')}.`,
    );
  }
  return verdict.patch;
}

/** Deliver a checked fix: as suggestion findings (returned), a patch file, or a commit on the PR branch. */
export async function deliverFix(
  patch: Buffer,
  checkedOut: string,
  settings: Settings,
  ctx: RunContext,
  diff: FileDiff[],
  runDir: string,
  notes: string[],
): Promise<Finding[]> {
  if (!patch.length) {
    notes.push('The agent made no change.');
    return [];
  }
  if (settings.fixDelivery === 'patch') {
    core.setOutput('fix-patch', await writePatchFile(runDir, patch));
    return [];
  }
  if (settings.fixDelivery === 'push' && ctx.pull) {
    const pushed = await pushFix({
      git: gitRunner(await resolveTool('git')),
      target: {
        headRef: ctx.pull.headRef,
        headRepo: ctx.pull.headRepo,
        baseRepo: ctx.repository,
        headSha: ctx.pull.headSha,
        serverUrl: ctx.serverUrl,
      },
      token: settings.githubToken,
      patch,
      workDir: runDir,
    });
    notes.push(`The fix was pushed to ${pushed.ref} as ${pushed.commit.slice(0, 12)}.`);
    return [];
  }
  if (ctx.pull && checkedOut !== ctx.pull.headSha) {
    // Suggestions anchor on the PR head's lines; a merge-commit checkout can number them differently.
    core.setOutput('fix-patch', await writePatchFile(runDir, patch));
    notes.push(
      'The fix was made on a checkout other than the PR head (a merge commit?), so its line numbers may not match the diff: it is delivered as the fix-patch output instead of suggestions. Check out the PR head (ref: github.event.pull_request.head.sha) for suggestions.',
    );
    return [];
  }
  const { findings, skipped } = hunksToSuggestions(patch.toString('utf8'), diff);
  if (skipped.length)
    notes.push(
      `${skipped.length} part(s) of the fix could not become suggestions (outside the PR's diff hunks); use fix-delivery: patch.`,
    );
  return findings;
}
