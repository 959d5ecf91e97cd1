/**
 * The real ports of the main step (ports.ts): @actions/core, the runner's environment, git through the
 * one git runner, GitHub through the one client, the key proxy process, the isolation on this machine and
 * the real Claude Code CLI. Only wiring: every decision lives in the module each line calls.
 */
import * as core from '@actions/core';
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, explicitInputs, type Settings } from '../inputs.js';
import type { RunContext } from '../context.js';
import { saveState } from '../state.js';
import { createGit, systemGit } from '../git-runner.js';
import { resolveTool } from '../system-tools.js';
import { createGitHub, type GitHubPort } from '../github/client.js';
import { withIssueCommentMemo } from '../github/comment-memo.js';
import { loadPolicy } from '../policy-source.js';
import { applyPolicy } from '../policy/central-policy.js';
import { auditCallingWorkflow, guardTrigger, withWorkflowRunPull } from '../guard.js';
import { realSystem } from '../isolation/system.js';
import { probeCapabilities, proveStrict } from '../isolation/preflight.js';
import { prepareIsolation } from '../isolation/launcher.js';
import { startKeyProxyProcess } from '../isolation/key-proxy-process.js';
import { discardTampering, snapshotFileCommands, verifyUnchanged } from '../isolation/file-commands.js';
import { execGitConfig, removeCheckoutCredentials } from '../isolation/credentials.js';
import { execGit, pinInstructionsToBase } from '../isolation/agent-instructions.js';
import { prepareProvider } from '../providers/setup.js';
import { derivedForms } from '../findings/redact.js';
import { knownInRepository } from '../findings/repo-strings.js';
import { loadDiffFor } from '../diff-source.js';
import { guidanceBlock, readGuidance } from '../agent/guidance.js';
import { runClaude } from '../agent/claude-cli.js';
import { createProcessTree } from '../agent/process-tree.js';
import { installClaude } from '../install/claude-install.js';
import { registryUrl } from '../install/npm-registry.js';
import { actionsToolCache } from '../install/tool-cache.js';
import { takeBaseline, workspaceGit } from '../fix/change-check.js';
import { checkFix, deliverFix, fixablePaths } from '../fix/fix-mode.js';
import { deliverToPullRequest, deliverToRun, fingerprintIn } from '../deliver.js';
import { writeJobSummary } from '../report/job-summary.js';
import { bashHookFor, hookScriptPath } from '../policy/hook-setup.js';
import { placeReviewedHead } from '../triggers/workspace.js';
import { reviewScopeFor } from '../review-range.js';
import { startProgress } from '../report/progress.js';
import { loadEarlierComments } from '../report/review-sync.js';
import type { CorePort, MainPorts } from './ports.js';

export const realCore: CorePort = {
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
  info: (message) => core.info(message),
  notice: (message) => core.notice(message),
  warning: (message) => core.warning(message),
  error: (message) => core.error(message),
  setOutput: (name, value) => core.setOutput(name, value),
  setFailed: (message) => core.setFailed(message),
  saveState,
};

/** Masks a secret and every form of it a log could show (base64, URL-encoded, …). */
export function maskAll(secret: string, c: CorePort = realCore): void {
  for (const form of [secret, ...derivedForms(secret)]) c.setSecret(form);
}

/** Input 'claude-path' must name an executable file: checked before the agent's launcher runs it. */
function executable(file: string): string {
  try {
    accessSync(file, constants.X_OK);
    if (statSync(file).isFile()) return file;
  } catch {
    // reported below
  }
  throw new InputError('claude-path', `${file} is not an executable file.`);
}

/** The run's one GitHub client; it reads a pull request's conversation once (github/comment-memo.ts). */
function githubFor(settings: Settings, ctx: RunContext, env: NodeJS.ProcessEnv): GitHubPort | undefined {
  return ctx.pull || env.GITHUB_ACTIONS === 'true'
    ? withIssueCommentMemo(
        createGitHub({ token: settings.githubToken, baseUrl: ctx.apiUrl, log: { warn: core.warning } }),
      )
    : undefined;
}

export function realPorts(
  settings: Settings,
  ctx: RunContext,
  env = process.env,
  github = githubFor(settings, ctx, env),
): MainPorts {
  const ws = ctx.workspace;
  const pull = ctx.pull;
  return {
    core: realCore,
    env,
    github,
    async applyPolicy(s) {
      const policy = await loadPolicy(s.policy, { workspace: ws, github });
      if (!policy) return { settings: s };
      const { effective, summary } = applyPolicy(
        s,
        policy,
        explicitInputs((n) => core.getInput(n)),
      );
      return { settings: effective, summary };
    },
    guard: {
      probe: (levels) => probeCapabilities(realSystem, levels),
      trigger: (s, strongest) => guardTrigger(s, ctx, github, strongest),
      workflowRunPull: (c) => withWorkflowRunPull(c, github),
      auditWorkflow: (s) => auditCallingWorkflow(s, ctx),
    },
    provider: {
      prepare: (s, runDir) => prepareProvider(s, env, ws, runDir, (secret) => maskAll(secret)),
      startProxy: (s, config) =>
        startKeyProxyProcess({
          nodePath: process.execPath,
          entryPath: path.join(path.dirname(process.argv[1]), '..', 'proxy', 'index.js'),
          config: { ...config, budgetUsd: s.budgetUsd },
        }),
    },
    workspace: {
      git: () => resolveTool('git'),
      async loadDiff(plan) {
        const git = await systemGit({ workspace: ws });
        return loadDiffFor(plan, {
          git: (args) => git.text(args),
          listPullFiles:
            github && pull
              ? () => github.listPullFiles({ owner: pull.owner, repo: pull.repo, number: pull.number })
              : undefined,
          changedFiles: pull?.changedFiles,
        });
      },
      fixablePaths: (diff, notes) => fixablePaths(diff, ctx, notes),
      placeReviewedHead: (onDemand, runDir, notes) =>
        placeReviewedHead(ctx, onDemand, settings.githubToken, runDir, notes),
      reviewScope: (s, diff, git, requested) => reviewScopeFor(s, ctx, diff, git, github, requested),
      pinInstructions: (changed, baseSha, runDir, git) =>
        pinInstructionsToBase({
          workspace: ws,
          baseSha,
          changed,
          git: execGit(ws, git),
          backupDir: path.join(runDir, 'instructions'),
        }),
      async commitSubjects(git, range) {
        const log = await createGit(git, { workspace: ws })
          .text(['log', '--no-show-signature', '--format=%s', range])
          .catch(() => '');
        return log.split('\n').filter(Boolean);
      },
      async guidance(git, base, files, notes) {
        try {
          const read = await readGuidance(execGit(ws, git), base, files);
          if (read.length) {
            notes.push(
              `Review guidance from the base commit: ${read.map((f) => `\`${f.path.replace(/`/g, '')}\`${f.truncated ? ' (cut)' : ''}`).join(', ')}.`,
            );
          }
          return guidanceBlock(read, base) || undefined;
        } catch (err) {
          notes.push(`Review guidance not read: ${(err as Error).message}`);
          return undefined;
        }
      },
      removeCredentials: (git) => removeCheckoutCredentials(ws, execGitConfig(git)),
      knownStrings: (git, revs, candidates) =>
        knownInRepository(createGit(git, { workspace: ws }), revs, candidates),
    },
    isolation: {
      prepare: (level, ictx) =>
        prepareIsolation(level, {
          ...ictx,
          system: realSystem,
          hookDir: path.dirname(hookScriptPath()),
          actionDir: path.resolve(path.dirname(process.argv[1]), '..', '..'),
        }),
      proveStrict: (o) => proveStrict({ ...o, system: realSystem }),
    },
    bashHook: (allowRules, level, wrap, world) => bashHookFor(allowRules, level, wrap, world),
    agent: {
      createTree: () => createProcessTree(),
      async cli(s, runDir) {
        if (s.claudePath) return executable(s.claudePath);
        const installed = await installClaude({
          version: s.claudeVersion,
          registry: registryUrl(),
          toolCache: actionsToolCache,
          workDir: runDir,
        });
        return installed.path;
      },
      run: (p) => runClaude(p),
    },
    fileCommands: {
      snapshot: () => snapshotFileCommands(env),
      verify: (before) => verifyUnchanged(before),
      discard: (before) => void discardTampering(before),
    },
    fix: {
      workspaceGit: (git, tree) => workspaceGit(git, tree),
      baseline: (tree, wsGit) => takeBaseline(tree, wsGit),
      check: (tree, wsGit, baseline, fixPaths, credentials) =>
        checkFix(tree, wsGit, baseline, fixPaths, credentials),
      deliver: (patch, head, s, diff, runDir, notes) => deliverFix(patch, head, s, ctx, diff, runDir, notes),
    },
    deliver: {
      startProgress: async (pull, input) => (github ? startProgress(github, pull, input) : undefined),
      toRun: (gate, runDir) => deliverToRun(gate, ctx, runDir),
      readEarlier: async (pr) => {
        if (!github) throw new Error('no GitHub client for the pull request delivery');
        return loadEarlierComments(github, pr);
      },
      toPullRequest: (pr, headSha, gate, summaryBody, mayResolve, earlier) => {
        if (!github) throw new Error('no GitHub client for the pull request delivery');
        return deliverToPullRequest(
          github,
          pr,
          headSha,
          gate,
          fingerprintIn(ws),
          summaryBody,
          mayResolve,
          earlier,
        );
      },
    },
    withContext: (c) => realPorts(settings, c, env, github),
    writeFile: (file, data) => writeFileSync(file, data, { mode: 0o600 }),
    writeJobSummary,
  };
}
