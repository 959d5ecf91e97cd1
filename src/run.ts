/**
 * The main step, as a short sequence of named stages. Each stage is a call into a module named for
 * what it does; this file only orders them and keeps the fail-closed rule: the agent never starts
 * on a doubtful configuration, and any failure ends as `conclusion: failed` with a clear message.
 */
import * as core from '@actions/core';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, readSettings, type Settings } from './inputs.js';
import { readRunContext, type RunContext } from './context.js';
import { AGENT_PGID_FILE, INSTRUCTIONS_FILE, saveState } from './state.js';
import { markIsolationUndone } from './isolation/teardown-mark.js';
import { buildRules, CRITICAL_DENIALS } from './policy/permissions.js';
import { bashHookFor, hookScriptPath } from './policy/hook-setup.js';
import {
  buildSettingsDocument,
  serializeSettings,
  settingsCliArgs,
  toolsForMode,
} from './policy/settings-file.js';
import { buildChildEnv, isRedactionTarget } from './policy/child-env.js';
import { buildPrompt } from './agent/prompt.js';
import { buildClaudeArgs, killGroup, runClaude, type ClaudeExit } from './agent/claude-cli.js';
import { createProcessTree, endTree, type ProcessTree } from './agent/process-tree.js';
import { onCancel } from './cancel.js';
import { StreamAudit } from './agent/stream.js';
import {
  REVIEW_OUTPUT_SCHEMA,
  validateReview,
  severityRank,
  type Severity,
  type RejectedFinding,
  type Finding,
} from './findings/schema.js';
import type { FileDiff } from './findings/diff.js';
import { loadDiffFor, planDiff } from './diff-source.js';
import { createRedactor, derivedForms, type Redactor } from './findings/redact.js';
import { gateFindings } from './findings/gate.js';
import { createBackstopRedactor, randomCandidates, stringsOf } from './findings/backstop.js';
import { knownInRepository } from './findings/repo-strings.js';
import { createGitHub, type GitHubPort } from './github/client.js';
import { renderSummaryComment } from './report/summary-comment.js';
import { renderJobSummary, writeJobSummary } from './report/job-summary.js';
import type { AgentRun, Conclusion, GateResult, ReportInput } from './report/types.js';
import { startKeyProxyProcess, type KeyProxyProcess } from './isolation/key-proxy-process.js';
import { auditNote } from './isolation/proxy/audit.js';
import { snapshotFileCommands, verifyUnchanged, discardTampering } from './isolation/file-commands.js';
import {
  removeCheckoutCredentials,
  restoreCheckoutCredentials,
  execGitConfig,
  sealBackup,
  SEALED_BACKUP_FILE,
  type CredentialsBackup,
} from './isolation/credentials.js';
import { createGit, systemGit } from './git-runner.js';
import { resolveTool } from './system-tools.js';
import { realSystem } from './isolation/system.js';
import {
  decideLevel,
  meetsRequirement,
  probeCapabilities,
  levelsToProbe,
  proveStrict,
  IsolationError,
} from './isolation/preflight.js';
import { prepareIsolation, type AgentLauncher } from './isolation/launcher.js';
import { sandboxSettings } from './isolation/sandbox.js';
import { freeSpace, runnerTempProblem } from './runner-temp.js';
import type { Capabilities } from './isolation/preflight.js';
import { guardTrigger, auditCallingWorkflow, withWorkflowRunPull, type RunConstraints } from './guard.js';
import { TriggerRefused } from './policy/trigger-guard.js';
import { explainFailure, type FailureExplanation } from './report/failure.js';
import { deliverToPullRequest, deliverToRun, fingerprintIn } from './deliver.js';
import {
  instructionChanges,
  pinInstructionsToBase,
  restoreInstructions,
  execGit,
  type PinRecord,
} from './isolation/agent-instructions.js';
import { buildUntrustedContext } from './agent/untrusted-block.js';
import { guidanceBlock, readGuidance } from './agent/guidance.js';
import { excludedBy, splitExcluded } from './policy/exclude-paths.js';
import { installClaude } from './install/claude-install.js';
import { registryUrl } from './install/npm-registry.js';
import { actionsToolCache } from './install/tool-cache.js';
import { loadPolicy } from './policy-source.js';
import { applyPolicy } from './policy/central-policy.js';
import { explicitInputs } from './inputs.js';
import { fixRules } from './fix/fix-scope.js';
import { applyAgentProviderEnv, prepareProvider, type ProviderProxyConfig } from './providers/setup.js';
import { restoreHiddenFiles } from './providers/credential-files.js';
import { refusedCredentialHint, type ProviderSettings } from './providers/provider.js';
import { takeBaseline, workspaceGit } from './fix/change-check.js';
import { checkFix, deliverFix, fixablePaths } from './fix/fix-mode.js';
import { placeReviewedHead } from './triggers/workspace.js';
import { startProgress, type Progress } from './report/progress.js';
import { reviewScopeFor } from './review-range.js';

const MAX_BODY_CHARS = 8000;

/** Everything main has set up that must be undone, whatever happens. */
interface Teardown {
  /** The agent's process tree and its process group: killed first, whatever happens. */
  tree?: ProcessTree;
  agentPid?: number;
  proxy?: KeyProxyProcess;
  /** The key proxy while it starts (beside the GitHub and git work); undo waits for it and stops it. */
  proxyStarting?: Promise<KeyProxyProcess>;
  launcher?: AgentLauncher;
  credentials?: { backup: CredentialsBackup; key: string; sealedFile: string };
  instructions?: PinRecord;
  /** The run dir, when provider credential files were moved into it. */
  hiddenFilesIn?: string;
  /** Puts the job's checkout back after an on-demand run checked out the PR's head. */
  checkoutBack?: () => Promise<void>;
}

interface Outcome {
  conclusion: Conclusion;
  error?: string;
  gate?: GateResult;
  rejected: RejectedFinding[];
  run?: AgentRun;
  withheldEnv: string[];
  notes: string[];
  costUsd: number;
  isolation: string;
  findingsFile?: string;
  sarifFile?: string;
  /** Extra markdown sections for the job summary (e.g. the workflow audit). */
  sections: string[];
  redactor?: Redactor;
  failure?: FailureExplanation;
  onPullRequest?: boolean;
  skipReason?: string;
  excluded?: { files: string[]; findings: number };
  /** The report under way or written: a second caller (the cancel handler) waits for it, never exits mid-way. */
  reported?: Promise<void>;
  /** Set on SIGINT/SIGTERM: the run's error, whatever the interrupted stages report afterwards. */
  cancelled?: string;
  /** The "reviewing…" summary comment, finished by delivery or by report(). */
  progress?: Progress;
  skipHint?: string;
  reviewed?: ReportInput['reviewed'];
}

export async function run(): Promise<void> {
  const teardown: Teardown = {};
  const outcome: Outcome = {
    conclusion: 'failed',
    rejected: [],
    withheldEnv: [],
    notes: [],
    costUsd: 0,
    isolation: 'none',
    sections: [],
  };
  let settings: Settings | undefined;
  let runDir: string | undefined;
  // Cancelled (SIGINT/SIGTERM): kill the agent's tree at once, undo, report, exit.
  const stopCancel = onCancel(async (signal) => {
    outcome.cancelled = `The run was cancelled (${signal}): the agent's processes were killed and the changes it made to the runner undone.`;
    await undo(teardown, outcome, { cancelling: true });
    await report(settings, outcome);
  });
  try {
    settings = parseInputs();
    const context = readRunContext();
    const full = runnerTempProblem(context.runnerTemp, freeSpace(context.runnerTemp));
    if (full) throw new Error(full);
    runDir = createRunDir(context.runnerTemp);
    outcome.findingsFile = path.join(runDir, 'findings.json');
    await review(settings, context, runDir, teardown, outcome);
  } catch (err) {
    if (
      err instanceof TriggerRefused &&
      err.notAllowed &&
      (err.nothingToDo || settings?.onRefused !== 'fail')
    ) {
      outcome.conclusion = 'skipped';
      outcome.skipReason = err.message;
      outcome.skipHint = err.nothingToDo
        ? ''
        : ' (on-refused: skip; set on-refused: fail to fail the step instead)';
      outcome.notes.push(
        `${err.message} The step ends successfully with conclusion 'skipped'${outcome.skipHint}.`,
      );
    } else {
      outcome.conclusion = 'failed';
      outcome.error = (err as Error).message;
      outcome.failure = explainFailure({
        errorName: (err as Error).name,
        message: outcome.error,
        budgetExceeded: outcome.notes.some((n) => n.includes('budget-exceeded')),
      });
    }
  } finally {
    if ((await undo(teardown, outcome)) && runDir) markIsolationUndone(runDir);
  }
  await report(settings, outcome);
  stopCancel();
}

/** Stage 1: inputs. The key is masked before anything can print it. */
function parseInputs(): Settings {
  for (const name of ['anthropic-api-key', 'claude-code-oauth-token']) {
    const raw = core.getInput(name);
    if (raw) core.setSecret(raw);
  }
  const settings = readSettings((name) => core.getInput(name), process.env);
  for (const secret of [settings.anthropicApiKey, settings.claudeCodeOauthToken, settings.githubToken]) {
    if (!secret) continue;
    for (const form of [secret, ...derivedForms(secret)]) core.setSecret(form);
  }
  return settings;
}

/** A fresh 0700 directory under RUNNER_TEMP for everything this run generates; post removes it. */
function createRunDir(runnerTemp: string): string {
  let dir: string;
  try {
    dir = mkdtempSync(path.join(runnerTemp, 'claude-guard-'));
  } catch (err) {
    throw new Error(
      `Cannot create the run directory in RUNNER_TEMP (${runnerTemp}): ${(err as Error).message}`,
    );
  }
  chmodSync(dir, 0o700);
  saveState('runDir', dir);
  return dir;
}

async function review(
  inputSettings: Settings,
  ctx: RunContext,
  runDir: string,
  teardown: Teardown,
  outcome: Outcome,
) {
  const github =
    ctx.pull || process.env.GITHUB_ACTIONS === 'true'
      ? createGitHub({ token: inputSettings.githubToken, baseUrl: ctx.apiUrl, log: { warn: core.warning } })
      : undefined;

  // Stage 2: the organisation's policy — the repository's inputs can only tighten it.
  const settings = await applyOrganisationPolicy(inputSettings, ctx, github, outcome);

  // Stage 3: may this run go ahead? (trigger, actor, the calling workflow)
  // Only the requested level's prerequisites are probed; every level's only when needed (auto, or a run
  // on an untrusted trigger, which must use the strongest level the machine can reach).
  const capabilities = await probeCapabilities(realSystem, levelsToProbe(settings.isolation));
  const strongest = async () => {
    const known = decideLevel('auto', capabilities).level; // strict here means strict was probed and works
    return known === 'strict' || settings.isolation === 'auto'
      ? known
      : decideLevel('auto', await probeCapabilities(realSystem)).level;
  };
  const constraints = await guardTrigger(settings, ctx, github, strongest);
  ctx = await withWorkflowRunPull(ctx, github); // workflow_run: the verified pull request (fork-safe pattern)
  const workflowAudit = await auditCallingWorkflow(settings, ctx);
  outcome.notes.push(...workflowAudit.notes);
  outcome.sections.push(workflowAudit.markdown);
  teardown.checkoutBack = await placeReviewedHead(
    ctx,
    constraints.onDemand,
    settings.githubToken,
    runDir,
    outcome.notes,
  );
  if (github && ctx.pull && settings.comment)
    outcome.progress = await startProgress(github, ctx.pull, {
      headSha: ctx.pull.headSha,
      runUrl: runUrl(ctx),
      onDemand: constraints.onDemand,
    });
  // The provider's credential, found and masked now; it goes to the key proxy only (src/providers).
  teardown.hiddenFilesIn = runDir;
  const provider = await prepareProvider(settings, process.env, ctx.workspace, runDir, (secret) => {
    for (const form of [secret, ...derivedForms(secret)]) core.setSecret(form);
  });
  // The key proxy (stage 6) starts now, once the run is allowed, and comes up beside stages 4–5.
  teardown.proxyStarting = startProxy(settings, provider.proxy);

  // Stage 4: what changed; in fix mode, exactly which files the agent may edit; the PR's
  // agent-instruction files replaced by the base branch's.
  const { files: allChanges, range } = await loadDiff(github, ctx, settings, outcome);
  const isExcluded = excludedBy(settings.excludePaths);
  const { kept: diff, excluded } = splitExcluded(allChanges, (f) => f.path, isExcluded);
  if (settings.excludePaths.length) outcome.excluded = { files: excluded.map((f) => f.path), findings: 0 };
  const git = await resolveTool('git');
  const fixPaths = settings.mode === 'fix' ? await fixablePaths(diff, ctx, outcome.notes) : undefined;
  await pinInstructions(allChanges, ctx, runDir, git, teardown, outcome);
  const untrusted = await untrustedText(settings, ctx, git, outcome, constraints.onDemand);
  const guidance = await loadGuidance(settings, ctx, git, outcome, range);
  // What the agent is asked to review: the whole PR, or only the commits since the last review.
  // A comment's `/review` asks for the whole PR, `/review incremental` for the new commits only.
  const requested = constraints.onDemand?.kind === 'comment' ? constraints.onDemand.command.scope : undefined;
  const scope = await reviewScopeFor(settings, ctx, diff, git, github, requested);
  outcome.reviewed = scope?.decision;
  outcome.notes.push(...(scope?.notes ?? []));

  // Stage 5: checkout credentials out of the repository's git config.
  const backup = await removeCheckoutCredentials(ctx.workspace, execGitConfig(git));
  // Sealed for the post step; the key stays in memory until the agent has ended (isolation/credentials.ts).
  const { sealed, key } = sealBackup(backup);
  core.setSecret(key);
  teardown.credentials = { backup, key, sealedFile: path.join(runDir, SEALED_BACKUP_FILE) };
  writeFileSync(teardown.credentials.sealedFile, sealed, { mode: 0o600 });
  if (backup.files.some((f) => f.removed.length > 0)) {
    outcome.notes.push(
      'Checkout credentials were removed from .git/config for the run and restored afterwards.',
    );
  }

  // Stage 6: the key proxy — the agent gets a per-run token, never the key or cloud credential.
  teardown.proxy = await teardown.proxyStarting;
  teardown.proxyStarting = undefined;
  saveState('proxyPid', String(teardown.proxy.pid));
  core.setSecret(teardown.proxy.token);
  const proxyPort = Number(new URL(teardown.proxy.url).port);

  // Stage 7: isolation — the strongest level this machine allows, proven before the agent starts.
  const launcher = await isolate(
    settings,
    ctx,
    capabilities,
    constraints,
    proxyPort,
    teardown,
    outcome,
    fixPaths,
    git,
  );

  // Stage 8: the rules — our generated settings file is the only source of them.
  const rules = buildRules(settings.mode, settings.allowedTools, settings.deniedTools, {
    workspace: ctx.workspace,
    runnerTemp: ctx.runnerTemp,
    home: process.env.HOME,
    sandboxed: launcher.level === 'sandbox',
  });
  if (fixPaths) rules.allow.push(...fixRules(fixPaths, ctx.workspace));
  const sandbox =
    launcher.level === 'sandbox'
      ? sandboxSettings({
          runnerTemp: ctx.runnerTemp,
          runnerHome: process.env.HOME,
          // Working in a clean copy: the live checkout (untracked files, .git/config) is hidden from Bash.
          extraDenyRead: launcher.cwd !== ctx.workspace ? [ctx.workspace] : [],
        })
      : undefined;
  // At strict the hook runs inside the agent's world, where the launcher bound the action's hook bundle.
  const bashHook = bashHookFor(
    rules.allow,
    launcher.level,
    (c, a, e) => launcher.wrap(c, a, e),
    launcher.world?.hook,
  );
  await launcher.writeSettings(
    serializeSettings(buildSettingsDocument(rules, { sandbox, bashHook: bashHook.commandLine })),
  );

  // Stage 9: the agent's environment, from an allow-list.
  const { env, withheld } = buildChildEnv(process.env, {
    home: launcher.paths.home,
    configDir: launcher.paths.configDir,
    tmpDir: launcher.paths.tmpDir,
    baseUrl: teardown.proxy.url,
    apiKey: teardown.proxy.token,
    workspace: ctx.workspace,
  });
  applyAgentProviderEnv(env, settings, teardown.proxy.url, teardown.proxy.token);
  outcome.withheldEnv = withheld;
  const secrets = [...secretValues(settings, teardown.proxy.token, withheld), ...provider.secrets];
  const redactor = createRedactor(secrets);
  outcome.redactor = redactor;

  // Stage 10: run the agent. From here until it ends the action writes nothing to the runner's
  // file commands (state included), so any change to them is the agent's.
  teardown.tree = createProcessTree();
  saveState('tree', JSON.stringify(teardown.tree));
  // The tree the agent edits: at strict its own copy (the workspace is not in its world), else the workspace.
  const tree = launcher.world?.copy ?? ctx.workspace;
  const wsGit = workspaceGit(git, tree);
  const baseline = fixPaths ? await takeBaseline(tree, wsGit) : undefined;
  const fileCommands = snapshotFileCommands(process.env);
  const audit = new StreamAudit((t) => redactor.redact(t).text);
  const agent = launcher.wrap(
    settings.claudePath ? executable(settings.claudePath) : await installCli(settings, runDir),
    buildClaudeArgs({
      settings,
      settingsArgs: settingsCliArgs(
        launcher.paths.settingsFile,
        CRITICAL_DENIALS,
        toolsForMode(settings.mode),
      ),
      outputSchema: REVIEW_OUTPUT_SCHEMA,
    }),
    env,
  );
  await bashHook.proven; // the self-test ran beside the set-up above; no agent without a working hook
  const exit = await runClaude({
    ...agent,
    cwd: launcher.cwd,
    prompt: buildPrompt({
      mode: settings.mode,
      instructions: settings.prompt,
      files: (scope?.files ?? diff).map((f) => ({ path: f.path, status: f.status })),
      range: scope?.range ?? range,
      incremental: scope?.decision.scope === 'incremental',
      untrusted,
      fixPaths,
      guidance,
    }),
    timeoutMs: settings.timeoutMinutes * 60_000,
    onLine: (line) => audit.push(line),
    onSpawn: (pid) => {
      teardown.agentPid = pid;
      writeFileSync(path.join(runDir, AGENT_PGID_FILE), String(pid), { mode: 0o600 });
    },
    killAll: () => launcher.killAll(),
    tree: teardown.tree,
  });
  const proxySummary = await teardown.proxy.stop();
  teardown.proxy = undefined;
  outcome.costUsd = proxySummary.usage.costUsd;
  for (const entry of proxySummary.audit) {
    const note = auditNote(entry);
    if (note) outcome.notes.push(note);
  }

  // Stage 11: nothing the agent did may reach later steps through the runner's file commands.
  const tampered = verifyUnchanged(fileCommands);
  if (tampered.length) {
    discardTampering(fileCommands);
    throw new Error(
      `The agent changed runner file-command files (${tampered.map((t) => t.name).join(', ')}); the changes were discarded and the run failed.`,
    );
  }

  // Stage 12: in fix mode, the action computes what the agent changed, checks it, and puts the tree back.
  const fix =
    baseline && fixPaths
      ? await checkFix(
          tree,
          wsGit,
          baseline,
          fixPaths,
          launcher.world ? undefined : teardown.credentials?.backup,
        )
      : undefined;

  // Stage 13: the result — a failure is never an empty "clean" review.
  const agentRun = audit.summary(exit.durationMs, agentFailure(exit, audit, settings));
  outcome.run = {
    ...agentRun,
    costUsd: Math.max(agentRun.costUsd, outcome.costUsd),
    error: agentRun.error && redactor.redact(agentRun.error).text,
  };
  if (agentRun.error) throw new Error(outcome.run.error);

  // Stage 14: findings are data — validated, confined, capped, neutralised, redacted.
  const { review: result, rejected } = validateReview(audit.result?.structured_output);
  if (fix && baseline)
    result.findings.push(
      ...(await deliverFix(fix, baseline.head, settings, ctx, diff, runDir, outcome.notes)),
    );
  outcome.rejected = rejected;
  const onExcluded = result.findings.filter((f) => isExcluded(f.path));
  if (onExcluded.length && outcome.excluded) {
    outcome.excluded.findings = onExcluded.length;
    result.findings = result.findings.filter((f) => !isExcluded(f.path));
  }
  // The backstop: obfuscated secrets, and random-looking strings the PR's own files do not hold.
  const candidates = randomCandidates(stringsOf(result), ctx.githubHost);
  const revs = ctx.pull ? [ctx.pull.headSha, ctx.pull.baseSha] : ['HEAD', 'HEAD~1'];
  const known = await knownInRepository(createGit(git, { workspace: ctx.workspace }), revs, candidates);
  const gate = gateFindings({
    review: result,
    diff,
    repoRoot: ctx.workspace,
    redactor: createBackstopRedactor(redactor, { secrets, known, githubHost: ctx.githubHost }),
    maxComments: settings.maxComments,
    maxBodyChars: MAX_BODY_CHARS,
    githubHost: ctx.githubHost,
  });
  outcome.gate = gate;
  outcome.conclusion = gate.inline.length + gate.summaryOnly.length > 0 ? 'findings' : 'clean';

  // Stage 15: deliver — annotations and SARIF always, the review and summary comment on the PR.
  outcome.sarifFile = deliverToRun(gate, ctx, runDir);
  if (github && ctx.pull && settings.comment) {
    const pr = { owner: ctx.pull.owner, repo: ctx.pull.repo, number: ctx.pull.number };
    const delivery = await deliverToPullRequest(
      github,
      pr,
      ctx.pull.headSha,
      gate,
      fingerprintIn(ctx.workspace),
      (extra, delivered, ids) =>
        renderSummaryComment({
          ...reportInput(outcome),
          gate: delivered,
          prNotes: extra,
          onPullRequest: true,
          inlineLinks: commentLinks(ids, `${ctx.serverUrl}/${ctx.repository}/pull/${pr.number}`),
          runUrl: runUrl(ctx),
          headSha: ctx.pull?.headSha,
        }),
      scope?.mayResolve,
    );
    await outcome.progress?.finish(true);
    outcome.onPullRequest = true;
    outcome.notes.push(...delivery.notes);
    outcome.gate = delivery.gate;
  }
}

/** Load the organisation policy (input `policy`) and merge the repository's inputs under it. */
async function applyOrganisationPolicy(
  settings: Settings,
  ctx: RunContext,
  github: GitHubPort | undefined,
  outcome: Outcome,
): Promise<Settings> {
  const policy = await loadPolicy(settings.policy, { workspace: ctx.workspace, github });
  if (!policy) return settings;
  const { effective, summary } = applyPolicy(
    settings,
    policy,
    explicitInputs((name) => core.getInput(name)),
  );
  outcome.sections.push(summary);
  return effective;
}

/** Install the pinned (or requested) Claude Code, verified, from the tool cache when it is there. */
async function installCli(settings: Settings, runDir: string): Promise<string> {
  const installed = await installClaude({
    version: settings.claudeVersion,
    registry: registryUrl(),
    toolCache: actionsToolCache,
    workDir: runDir,
  });
  return installed.path;
}

/** The PR's CLAUDE.md & co. would be instructions to the agent: run it with the base branch's versions. */
async function pinInstructions(
  diff: FileDiff[],
  ctx: RunContext,
  runDir: string,
  git: string,
  teardown: Teardown,
  outcome: Outcome,
): Promise<void> {
  if (!ctx.pull) return;
  const changed = instructionChanges(
    diff.map((f) => ({ path: f.path, status: f.status, previousPath: f.previousPath })),
  );
  if (!changed.length) return;
  const record = await pinInstructionsToBase({
    workspace: ctx.workspace,
    baseSha: ctx.pull.baseSha,
    changed,
    git: execGit(ctx.workspace, git),
    backupDir: path.join(runDir, 'instructions'),
  });
  teardown.instructions = record;
  writeFileSync(path.join(runDir, INSTRUCTIONS_FILE), JSON.stringify(record), { mode: 0o600 });
  outcome.notes.push(
    `PR changes agent instructions (${changed.map((p) => `\`${p.replace(/`/g, '')}\``).join(', ')}): the agent ran with the base branch's versions.`,
  );
}

/** The maintainers' review guidance (guidance-files), read from the base commit with git, never the PR's. */
async function loadGuidance(
  settings: Settings,
  ctx: RunContext,
  git: string,
  outcome: Outcome,
  range: string,
) {
  if (settings.guidanceFiles.length === 0) return undefined;
  // The base of the reviewed range: the PR's base commit, or BASE of BASE..HEAD / BASE...HEAD.
  const base = ctx.pull?.baseSha ?? range.split(/\.{2,3}/)[0];
  if (!base) return undefined;
  try {
    const files = await readGuidance(execGit(ctx.workspace, git), base, settings.guidanceFiles);
    if (files.length) {
      outcome.notes.push(
        `Review guidance from the base commit: ${files.map((f) => `\`${f.path.replace(/`/g, '')}\`${f.truncated ? ' (cut)' : ''}`).join(', ')}.`,
      );
    }
    return guidanceBlock(files, base) || undefined;
  } catch (err) {
    outcome.notes.push(`Review guidance not read: ${(err as Error).message}`);
    return undefined;
  }
}

/** The PR's title, body and commit subjects, sanitised into a nonce-delimited data block. */
async function untrustedText(
  settings: Settings,
  ctx: RunContext,
  git: string,
  outcome: Outcome,
  onDemand: RunConstraints['onDemand'],
) {
  const request = onDemand?.kind === 'comment' ? onDemand.command.request : '';
  if (!ctx.pull || (!settings.includePrDescription && !request)) return undefined;
  const log = settings.includePrDescription
    ? await createGit(git, { workspace: ctx.workspace })
        .text(['log', '--no-show-signature', '--format=%s', `${ctx.pull.baseSha}..${ctx.pull.headSha}`])
        .catch(() => '')
    : '';
  const context = buildUntrustedContext(
    settings.includePrDescription
      ? { title: ctx.pull.title, body: ctx.pull.body, commits: log.split('\n').filter(Boolean) }
      : undefined,
    { maxChars: 8000, request },
  );
  outcome.notes.push(...context.removals);
  for (const signal of context.signals) {
    outcome.notes.push(
      `Possible prompt injection in the ${signal.field} (${signal.kind}): \`${signal.excerpt.replace(/[`\r\n]/g, ' ')}\``,
    );
  }
  return context.block;
}

/** Decide the level (fail closed when an explicit or required level cannot be had), prepare it, prove it. */
async function isolate(
  settings: Settings,
  ctx: RunContext,
  capabilities: Capabilities,
  constraints: RunConstraints,
  proxyPort: number,
  teardown: Teardown,
  outcome: Outcome,
  fixPaths: string[] | undefined,
  git: string,
): Promise<AgentLauncher> {
  const decision = decideLevel(settings.isolation, capabilities);
  if (constraints.requireIsolation && decision.level !== constraints.requireIsolation) {
    throw new IsolationError(
      `This run is on an untrusted trigger and the machine can reach '${constraints.requireIsolation}' isolation, but input 'isolation' asked for '${settings.isolation}': untrusted runs need the strongest level available.`,
    );
  }
  if (!meetsRequirement(decision.level, settings.requireIsolation)) {
    throw new IsolationError(
      `Input 'require-isolation': this machine reached '${decision.level}', below the required '${settings.requireIsolation}' (${decision.reasons.join('; ')}).`,
    );
  }
  for (const reason of decision.reasons) outcome.notes.push(`Isolation: ${reason}`);
  if (decision.level !== 'strict') {
    core.warning(
      `claude-guard isolation level is '${decision.level}', not 'strict': ${decision.reasons.join('; ') || 'as requested'}`,
    );
  }
  const runnerHome = process.env.HOME ?? '/root';
  const launcher = await prepareIsolation(decision.level, {
    system: realSystem,
    workspace: ctx.workspace,
    runnerTemp: ctx.runnerTemp,
    runnerHome,
    proxyPort,
    mode: settings.mode,
    fixPaths,
    git,
    pinned: teardown.instructions?.files.map((f) => f.path),
    hookDir: path.dirname(hookScriptPath()),
    actionDir: path.resolve(path.dirname(process.argv[1]), '..', '..'),
    cliPath: settings.claudePath || undefined,
  });
  teardown.launcher = launcher;
  saveState('undo', JSON.stringify(launcher.undo));
  outcome.isolation = launcher.level;
  if (launcher.level === 'strict') {
    const checks = await proveStrict({
      system: realSystem,
      launcher,
      proxyPort,
      // fix mode: only the granted files are writable; creating a file must still be blocked
      mode: settings.mode === 'fix' ? 'review' : settings.mode,
      paths: {
        runnerTemp: ctx.runnerTemp,
        runnerHome,
        workspace: ctx.workspace,
        credentialFiles: teardown.credentials?.backup.credentialFiles ?? [],
        sensitivePids: [process.pid, process.ppid],
      },
    });
    outcome.notes.push(
      `Isolation proof: ${checks.length} checks passed as the agent user (${checks.filter((c) => c.expected === 'blocked').length} forbidden actions blocked).`,
    );
  }
  return launcher;
}

/** What this event reviews (diff-source.ts): a refusal is an error naming the event or the input. */
async function loadDiff(
  github: GitHubPort | undefined,
  ctx: RunContext,
  settings: Settings,
  outcome: Outcome,
): Promise<{ files: FileDiff[]; range: string }> {
  const plan = planDiff({ ...ctx, diffRange: settings.diffRange });
  if (plan.kind === 'refuse') throw new Error(plan.reason);
  if (plan.kind === 'range') {
    core.notice(plan.notice);
    outcome.notes.push(plan.notice);
  }
  const git = await systemGit({ workspace: ctx.workspace });
  const pull = ctx.pull;
  const source = await loadDiffFor(plan, {
    git: (args) => git.text(args),
    listPullFiles:
      github && pull
        ? () => github.listPullFiles({ owner: pull.owner, repo: pull.repo, number: pull.number })
        : undefined,
    changedFiles: pull?.changedFiles,
  });
  outcome.notes.push(...source.notes);
  return { files: source.files, range: plan.range };
}

/** Every value that must never appear in anything we emit: secret inputs, the proxy token and withheld
 * variables that look like credentials — never ordinary input values (policy/child-env.ts). */
function secretValues(settings: Settings, proxyToken: string, withheld: string[]): string[] {
  const values = [settings.anthropicApiKey, settings.claudeCodeOauthToken, settings.githubToken, proxyToken];
  for (const name of withheld) {
    const value = process.env[name];
    if (value && isRedactionTarget(name, value)) values.push(value);
  }
  return values.filter((v) => v.length > 0);
}

function agentFailure(exit: ClaudeExit, audit: StreamAudit, settings: Settings): string | undefined {
  const result = audit.result;
  if (exit.spawnError)
    return `Claude Code could not be started: ${exit.spawnError}. Set 'claude-path' or put 'claude' on PATH.`;
  if (exit.timedOut)
    return `The agent did not finish within timeout-minutes (${settings.timeoutMinutes}); its whole process tree was killed.`;
  if (!result) {
    return `Claude Code ended (exit code ${exit.code ?? 'none'}, signal ${exit.signal ?? 'none'}) without a result. Last output: ${exit.stderrTail.trim().slice(-500) || '(nothing)'}`;
  }
  // Limits first: the CLI marks them is_error too, and the user needs to know which limit to raise.
  if (result.subtype === 'error_max_turns')
    return `The agent hit max-turns (${settings.maxTurns}) before answering; raise input 'max-turns' or narrow the review.`;
  if (result.subtype === 'error_max_budget_usd')
    return `The agent hit the budget (input 'budget-usd': ${settings.budgetUsd}) before answering.`;
  if (result.subtype === 'error_max_structured_output_retries')
    return 'The agent never produced a structured review the CLI accepted (error_max_structured_output_retries).';
  if (result.api_error_status === 402)
    return `The run reached its budget (input 'budget-usd': $${settings.budgetUsd}): the key proxy refused further model calls.`;
  if (result.is_error) {
    const status = result.api_error_status
      ? ` (model API status ${result.api_error_status}${modelStatusHint(result.api_error_status, settings.provider)})`
      : '';
    return `Claude Code reported an error${status}: ${result.subtype}${result.result ? ` — ${String(result.result).slice(0, 500)}` : ''}`;
  }
  if (result.subtype !== 'success') return `Claude Code ended with '${result.subtype}'.`;
  if (result.structured_output === undefined)
    return 'The agent ended without calling StructuredOutput: there is no review to report.';
  return undefined;
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

/** What a model API status means for the user. */
function modelStatusHint(status: number, provider: ProviderSettings): string {
  if (status === 401) return `: ${refusedCredentialHint(provider)}`;
  if (status === 403) return ': the key may not use this model or endpoint';
  if (status === 429) return ': rate limited, retried until the CLI gave up';
  if (status === 529) return ': the model API is overloaded, retried until the CLI gave up';
  if (status >= 500) return ': the model API failed, retried until the CLI gave up';
  return '';
}

function startProxy(settings: Settings, provider: ProviderProxyConfig): Promise<KeyProxyProcess> {
  const starting = startKeyProxyProcess({
    nodePath: process.execPath,
    entryPath: path.join(path.dirname(process.argv[1]), '..', 'proxy', 'index.js'),
    config: { ...provider, budgetUsd: settings.budgetUsd },
  });
  // Awaited at stage 6; a failure before then must not surface as an unhandled rejection.
  starting.catch(() => undefined);
  return starting;
}

/**
 * Undo what main set up; each step on its own, failures become warnings (post tries again). True when
 * isolation was undone. Order: the agent's processes die first; then the runner's own files come back
 * (credentials, instruction files, hidden credential files) — on a cancellation the runner gives the step
 * only seconds, and these are what later steps need; then the isolation and the key proxy. If the agent's
 * processes could not be confirmed dead, its isolation is undone before anything secret is put back.
 */
async function undo(
  teardown: Teardown,
  outcome: Outcome,
  opts: { cancelling?: boolean } = {},
): Promise<boolean> {
  let isolationUndone = false;
  // Each part is taken out of `teardown` before it is undone: a cancellation during the normal undo
  // (or the reverse) never undoes anything twice.
  const { tree, agentPid, launcher } = teardown;
  teardown.tree = teardown.agentPid = teardown.launcher = undefined;
  if (agentPid) killGroup(agentPid);
  let agentGone = true;
  if (tree) {
    try {
      await endTree(tree);
    } catch (err) {
      agentGone = false;
      core.warning(
        `Stopping the agent's processes failed (the post step will retry): ${(err as Error).message}`,
      );
    }
  }
  const undoIsolation = async () => {
    if (!launcher) return;
    try {
      await launcher.teardown();
      isolationUndone = true;
    } catch (err) {
      core.warning(`Undoing isolation failed (the post step will retry): ${(err as Error).message}`);
    }
  };
  if (!agentGone) await undoIsolation();
  if (teardown.hiddenFilesIn) {
    try {
      restoreHiddenFiles(teardown.hiddenFilesIn);
    } catch (err) {
      core.warning(
        `Moving credential files back failed (the post step will retry): ${(err as Error).message}`,
      );
    }
  }
  const { instructions, credentials } = teardown;
  teardown.instructions = teardown.credentials = undefined;
  if (instructions) {
    try {
      await restoreInstructions(instructions);
    } catch (err) {
      core.warning(
        `Restoring the PR's agent-instruction files failed (the post step will retry): ${(err as Error).message}`,
      );
    }
  }
  if (credentials) {
    try {
      await restoreCheckoutCredentials(credentials.backup);
      rmSync(credentials.sealedFile, { force: true });
    } catch (err) {
      // Only now, with the agent gone, does the key leave memory: the post step needs it to retry.
      saveState('credentialsKey', credentials.key);
      core.warning(
        `Restoring checkout credentials failed (the post step will retry): ${(err as Error).message}`,
      );
    }
  }
  if (agentGone) await undoIsolation();
  const checkoutBack = teardown.checkoutBack;
  teardown.checkoutBack = undefined;
  await checkoutBack?.().catch((err: Error) =>
    core.warning(`Putting the job's checkout back failed: ${err.message}`),
  );
  teardown.proxy ??= await teardown.proxyStarting?.catch(() => undefined);
  const proxy = teardown.proxy;
  teardown.proxy = undefined;
  teardown.proxyStarting = undefined;
  if (proxy) {
    // A cancelled run has seconds before the runner kills the step, and the report still has to be
    // written: wait at most a second for the proxy (it may hold a hung upstream request); the post step
    // stops whatever is left, by the pid saved in state.
    const stopping = proxy.stop().catch(() => undefined);
    const summary = opts.cancelling
      ? await Promise.race([
          stopping,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000).unref()),
        ])
      : await stopping;
    if (summary) outcome.costUsd = Math.max(outcome.costUsd, summary.usage.costUsd);
  }
  return isolationUndone;
}

function reportInput(outcome: Outcome): ReportInput {
  return {
    conclusion: outcome.conclusion,
    error: outcome.error,
    isolation: outcome.isolation,
    gate: outcome.gate,
    rejected: outcome.rejected,
    run: outcome.run,
    withheldEnv: outcome.withheldEnv,
    notes: outcome.notes,
    failure: outcome.failure,
    onPullRequest: outcome.onPullRequest,
    excluded: outcome.excluded,
    reviewed: outcome.reviewed,
  };
}

/** Links to inline review comments: the pull request's page anchored at each comment. */
function commentLinks(ids: ReadonlyMap<Finding, number>, prUrl: string): Map<Finding, string> {
  return new Map([...ids].map(([f, id]) => [f, `${prUrl}#discussion_r${id}`]));
}

function runUrl(ctx: RunContext): string | undefined {
  const id = process.env.GITHUB_RUN_ID;
  return id && /^\d+$/.test(id) ? `${ctx.serverUrl}/${ctx.repository}/actions/runs/${id}` : undefined;
}

/** Stage 13: the job summary, the findings file and the outputs — written only after the agent ended. */
function report(settings: Settings | undefined, outcome: Outcome): Promise<void> {
  outcome.reported ??= writeReport(settings, outcome);
  return outcome.reported;
}

async function writeReport(settings: Settings | undefined, outcome: Outcome) {
  if (outcome.cancelled) {
    outcome.conclusion = 'failed';
    outcome.error = outcome.cancelled;
  }
  const redact = (t: string) => (outcome.redactor ? outcome.redactor.redact(t).text : t);
  if (outcome.error) outcome.error = redact(outcome.error);
  const findings = [...(outcome.gate?.inline ?? []), ...(outcome.gate?.summaryOnly ?? [])];
  const maxSeverity = findings.reduce<Severity | undefined>(
    (max, f) => (!max || severityRank(f.severity) > severityRank(max) ? f.severity : max),
    undefined,
  );
  try {
    if (outcome.findingsFile) {
      writeFileSync(
        outcome.findingsFile,
        JSON.stringify(
          { conclusion: outcome.conclusion, summary: outcome.gate?.summary ?? '', findings },
          null,
          2,
        ),
        { mode: 0o600 },
      );
      core.setOutput('findings-file', outcome.findingsFile);
    }
    await writeJobSummary(
      [renderJobSummary(reportInput(outcome)), ...outcome.sections.filter(Boolean)].join('\n\n'),
    );
  } catch (err) {
    core.warning(`Writing the report failed: ${(err as Error).message}`);
  }
  await outcome.progress?.finish(outcome.conclusion !== 'failed', (p) =>
    renderSummaryComment({ ...reportInput(outcome), ...p, onPullRequest: true }),
  );
  try {
    core.setOutput('conclusion', outcome.conclusion);
    core.setOutput('findings-count', String(findings.length));
    core.setOutput('max-severity', maxSeverity ?? '');
    core.setOutput('denied-count', String(outcome.run?.deniedCount ?? 0));
    core.setOutput('cost-usd', outcome.costUsd.toFixed(4));
    core.setOutput('isolation', outcome.isolation);
    if (outcome.sarifFile) core.setOutput('sarif-file', outcome.sarifFile);
  } catch (err) {
    // The runner's file commands live in RUNNER_TEMP too: say so on the log, which always works.
    core.error(
      `Writing the step outputs (GITHUB_OUTPUT, under RUNNER_TEMP) failed: ${(err as Error).message}. Later steps see no outputs.`,
    );
    process.exitCode = 1;
  }

  if (outcome.conclusion === 'skipped') {
    core.notice(`${outcome.skipReason ?? 'claude-guard did not run'} — skipped${outcome.skipHint ?? ''}.`);
    return;
  }
  if (outcome.conclusion === 'failed') {
    const why = outcome.failure ? ` [${outcome.failure.reason}: ${outcome.failure.advice}]` : '';
    core.setFailed(`claude-guard: ${outcome.error ?? 'the run failed'}${why}`);
    return;
  }
  const denied = outcome.run?.deniedCount ?? 0;
  if (settings?.failOnDenial && denied > 0) {
    core.setFailed(
      `claude-guard: the agent attempted ${denied} tool call(s) the rules denied (fail-on-denial); see the audit in the job summary.`,
    );
    return;
  }
  const threshold = settings?.failOnSeverity ?? 'none';
  if (threshold !== 'none' && maxSeverity && severityRank(maxSeverity) >= severityRank(threshold)) {
    core.setFailed(`claude-guard: a ${maxSeverity} finding is at or above fail-on-severity (${threshold}).`);
  }
}
