/**
 * `execute(plan, ports)`: the main step's stages 4–15 in their order, carried out through the injected
 * ports (ports.ts). The order is the security argument: the agent starts only after the guard passed
 * (admit.ts, before the plan exists), the checkout credentials are out, the isolation is built (and at
 * strict proven) and the rules are written. Everything set up goes into the teardown record the moment
 * it exists, so whatever fails, `undoAll` (teardown/undo-all.ts) undoes it.
 */
import path from 'node:path';
import { CRITICAL_DENIALS } from '../policy/permissions.js';
import { buildSettingsDocument, serializeSettings, settingsCliArgs } from '../policy/settings-file.js';
import { buildChildEnv } from '../policy/child-env.js';
import { asIs } from '../policy/hook-setup.js';
import { buildPrompt } from '../agent/prompt.js';
import { buildClaudeArgs } from '../agent/claude-cli.js';
import { StreamAudit } from '../agent/stream.js';
import { REVIEW_OUTPUT_SCHEMA, validateReview } from '../findings/schema.js';
import { createRedactor } from '../findings/redact.js';
import { auditNote } from '../isolation/proxy/audit.js';
import { sealBackup, SEALED_BACKUP_FILE } from '../isolation/credentials.js';
import { instructionChanges } from '../isolation/agent-instructions.js';
import { applyAgentProviderEnv } from '../providers/setup.js';
import { excludedBy, splitExcluded } from '../policy/exclude-paths.js';
import { AGENT_PGID_FILE, INSTRUCTIONS_FILE } from '../state.js';
import type { TeardownRecord } from '../teardown/record.js';
import { rulesWith, sandboxFor, type RunPlan } from './plan.js';
import { agentFailure, type Outcome } from './outcome.js';
import { isolate, proveIsolation } from './isolate.js';
import { untrustedBlock, secretValues } from './agent-input.js';
import { gateAndDeliver, runUrl } from './findings-stage.js';
import { progressWhenPosted } from '../report/progress.js';
import type { MainPorts } from './ports.js';

export interface RunRecord {
  runDir: string;
  /** What to undo: filled in as the stages go. */
  teardown: TeardownRecord;
  outcome: Outcome;
}

export async function execute(p: RunPlan, ports: MainPorts, run: RunRecord): Promise<void> {
  const { settings, context: ctx } = p;
  const { runDir, teardown, outcome } = run;
  const { core } = ports;

  // An on-demand comment run reviews the PR's head as the API reported it; the job's checkout comes back.
  const onDemand = p.constraints.onDemand;
  teardown.checkout = { undo: await ports.workspace.placeReviewedHead(onDemand, runDir, outcome.notes) };
  const pr = p.deliveries.pullRequest;
  // The "reviewing…" note (a read and a write on GitHub) is posted beside stages 4–10 and waited for before
  // delivery, which updates the same comment; a run that fails sooner still replaces it (progressWhenPosted).
  const progressPosted = pr
    ? ports.deliver.startProgress(pr, { headSha: pr.headSha, runUrl: runUrl(p, ports.env), onDemand })
    : undefined;
  progressPosted?.catch(() => undefined); // surfaces where it is awaited, below
  if (progressPosted) outcome.progress = progressWhenPosted(progressPosted);
  // The provider's credential, found and masked now; it goes to the key proxy only (src/providers).
  teardown.hiddenFilesIn = runDir;
  const provider = await ports.provider.prepare(settings, runDir);
  // The key proxy (stage 6) starts now, once the run is allowed, and comes up beside stages 4–5.
  teardown.proxy = { starting: ports.provider.startProxy(settings, provider.proxy) };
  // Awaited at stage 6; a failure before then must not surface as an unhandled rejection.
  teardown.proxy.starting?.catch(() => undefined);

  // The Bash hook's self-test needs only the plan's rules (fix mode's Edit rules do not change the hook's
  // command line) where the agent runs as the action's own user outside a world (rules-only, sandbox):
  // it starts now and runs beside stages 4–7. At strict it runs as the agent user in its world (stage 8).
  const level = p.isolation.decision.level;
  const earlyHook = level === 'strict' ? undefined : ports.bashHook(p.rules.allow, level, asIs);

  // Stage 4: what changed; in fix mode, exactly which files the agent may edit; the PR's
  // agent-instruction files replaced by the base branch's.
  if (p.diff.kind === 'refuse') throw new Error(p.diff.reason);
  if (p.diff.kind === 'range') {
    core.notice(p.diff.notice);
    outcome.notes.push(p.diff.notice);
  }
  const source = await ports.workspace.loadDiff(p.diff);
  outcome.notes.push(...source.notes);
  const allChanges = source.files;
  const range = p.diff.range;
  const isExcluded = excludedBy(settings.excludePaths);
  const { kept: diff, excluded } = splitExcluded(allChanges, (f) => f.path, isExcluded);
  if (settings.excludePaths.length) outcome.excluded = { files: excluded.map((f) => f.path), findings: 0 };
  const git = await ports.workspace.git();
  const fixPaths =
    settings.mode === 'fix' ? await ports.workspace.fixablePaths(diff, outcome.notes) : undefined;
  const changed = ctx.pull ? instructionChanges(allChanges) : [];
  if (ctx.pull && changed.length) {
    teardown.instructions = await ports.workspace.pinInstructions(changed, ctx.pull.baseSha, runDir, git);
    ports.writeFile(path.join(runDir, INSTRUCTIONS_FILE), JSON.stringify(teardown.instructions));
    outcome.notes.push(
      `PR changes agent instructions (${changed.map((f) => `\`${f.replace(/`/g, '')}\``).join(', ')}): the agent ran with the base branch's versions.`,
    );
  }
  // The agent's inputs — the untrusted PR text, the guidance files and what to review: the whole PR, or
  // only the commits since the last review (a comment's `/review` asks for the whole PR, `/review
  // incremental` for the new commits only) — are read at once: git and GitHub reads that do not depend
  // on each other. Their notes keep this order.
  const notes: { untrusted: string[]; guidance: string[] } = { untrusted: [], guidance: [] };
  const [untrusted, guidance, scope] = await Promise.all([
    p.untrusted ? untrustedBlock(ctx, p.untrusted, git, ports, notes.untrusted) : undefined,
    p.guidanceBase
      ? ports.workspace.guidance(git, p.guidanceBase, settings.guidanceFiles, notes.guidance)
      : undefined,
    ports.workspace.reviewScope(settings, diff, git, p.requestedScope),
  ]);
  outcome.notes.push(...notes.untrusted, ...notes.guidance);
  outcome.reviewed = scope?.decision;
  outcome.notes.push(...(scope?.notes ?? []));

  // Stage 5: checkout credentials out of the repository's git config.
  const backup = await ports.workspace.removeCredentials(git);
  // Sealed for the post step; the key stays in memory until the agent has ended (isolation/credentials.ts).
  const { sealed, key } = sealBackup(backup);
  core.setSecret(key);
  teardown.credentials = { backup, key, sealedFile: path.join(runDir, SEALED_BACKUP_FILE) };
  ports.writeFile(teardown.credentials.sealedFile, sealed);
  if (backup.files.some((f) => f.removed.length > 0)) {
    outcome.notes.push(
      'Checkout credentials were removed from .git/config for the run and restored afterwards.',
    );
  }

  // Stage 6: the key proxy — the agent gets a per-run token, never the key or cloud credential.
  const proxy = await teardown.proxy.starting;
  if (!proxy) throw new Error('the key proxy did not start');
  teardown.proxy = { running: proxy, pid: proxy.pid };
  core.saveState('proxyPid', String(proxy.pid));
  core.setSecret(proxy.token);
  const proxyPort = Number(new URL(proxy.url).port);

  // Stage 7: isolation — the strongest level this machine allows, proven before the agent starts.
  const launcher = await isolate(p, ports, { proxyPort, fixPaths, git, teardown, outcome });
  const rules = rulesWith(p, fixPaths);
  // At strict the hook runs inside the agent's world, where the launcher bound the action's hook bundle;
  // its self-test runs beside the proof.
  const bashHook =
    earlyHook && launcher.level === level && launcher.uid === undefined && !launcher.world
      ? earlyHook
      : ports.bashHook(
          rules.allow,
          launcher.level,
          (c, a, e) => launcher.wrap(c, a, e),
          launcher.world?.hook,
        );
  await proveIsolation(p, ports, launcher, { proxyPort, teardown, outcome });

  // Stage 8: the rules — our generated settings file is the only source of them.
  await launcher.writeSettings(
    serializeSettings(
      buildSettingsDocument(rules, {
        sandbox: sandboxFor(p, launcher.level, launcher.cwd),
        bashHook: bashHook.commandLine,
      }),
    ),
  );

  // Stage 9: the agent's environment, from an allow-list.
  const { env, withheld } = buildChildEnv(ports.env, {
    home: launcher.paths.home,
    configDir: launcher.paths.configDir,
    tmpDir: launcher.paths.tmpDir,
    baseUrl: proxy.url,
    apiKey: proxy.token,
    workspace: ctx.workspace,
  });
  applyAgentProviderEnv(env, settings, proxy.url, proxy.token);
  outcome.withheldEnv = withheld;
  const secrets = [...secretValues(settings, proxy.token, withheld, ports.env), ...provider.secrets];
  const redactor = createRedactor(secrets);
  outcome.redactor = redactor;

  // Stage 10: run the agent. From here until it ends the action writes nothing to the runner's
  // file commands (state included), so any change to them is the agent's.
  const tree = ports.agent.createTree();
  teardown.tree = tree;
  core.saveState('tree', JSON.stringify(tree));
  // The tree the agent edits: at strict its own copy (the workspace is not in its world), else the workspace.
  const edited = launcher.world?.copy ?? ctx.workspace;
  const wsGit = ports.fix.workspaceGit(git, edited);
  const baseline = fixPaths ? await ports.fix.baseline(edited, wsGit) : undefined;
  const fileCommands = ports.fileCommands.snapshot();
  const audit = new StreamAudit((t) => redactor.redact(t).text);
  const agent = launcher.wrap(
    await ports.agent.cli(settings, runDir),
    buildClaudeArgs({
      settings,
      settingsArgs: settingsCliArgs(launcher.paths.settingsFile, CRITICAL_DENIALS, p.tools),
      outputSchema: REVIEW_OUTPUT_SCHEMA,
    }),
    env,
  );
  await bashHook.proven; // the self-test ran beside the set-up above; no agent without a working hook
  const exit = await ports.agent.run({
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
    timeoutMs: p.timeoutMs,
    onLine: (line) => audit.push(line),
    onSpawn: (pid) => {
      teardown.agentPgid = pid;
      ports.writeFile(path.join(runDir, AGENT_PGID_FILE), String(pid));
    },
    killAll: () => launcher.killAll(),
    tree,
  });
  // What earlier runs posted on the pull request (review comments and threads) is read from now on,
  // beside the stages up to delivery (after our progress note, whose author counts as the action's);
  // a failure is handled where delivery awaits it.
  const readEarlier = async (pull: NonNullable<typeof pr>) => {
    await progressPosted?.catch(() => undefined);
    return ports.deliver.readEarlier({ owner: pull.owner, repo: pull.repo, number: pull.number });
  };
  const earlier = pr ? readEarlier(pr) : undefined;
  earlier?.catch(() => undefined);
  const proxySummary = await proxy.stop();
  teardown.proxy = undefined;
  outcome.costUsd = proxySummary.usage.costUsd;
  for (const entry of proxySummary.audit) {
    const note = auditNote(entry);
    if (note) outcome.notes.push(note);
  }

  // Stage 11: nothing the agent did may reach later steps through the runner's file commands.
  const tampered = ports.fileCommands.verify(fileCommands);
  if (tampered.length) {
    ports.fileCommands.discard(fileCommands);
    throw new Error(
      `The agent changed runner file-command files (${tampered.map((t) => t.name).join(', ')}); the changes were discarded and the run failed.`,
    );
  }

  // Stage 12: in fix mode, the action computes what the agent changed, checks it, and puts the tree back.
  const fix =
    baseline && fixPaths
      ? await ports.fix.check(
          edited,
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

  // Stage 14: findings are data — validated, confined, capped, neutralised, redacted (findings-stage.ts).
  const { review, rejected } = validateReview(audit.result?.structured_output);
  if (fix && baseline)
    review.findings.push(
      ...(await ports.fix.deliver(fix, baseline.head, settings, diff, runDir, outcome.notes)),
    );
  outcome.rejected = rejected;
  await progressPosted; // up before delivery looks for the summary comment (else it would post a second)
  await gateAndDeliver(p, ports, {
    review,
    diff,
    isExcluded,
    redactor,
    secrets,
    git,
    runDir,
    outcome,
    mayResolve: scope?.mayResolve,
    earlier,
  });
}
