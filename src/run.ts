/**
 * The main step: inputs, then `admit` (policy and guard, orchestrator/admit.ts) makes the pure plan
 * (orchestrator/plan.ts) and `execute(plan, ports)` (orchestrator/execute.ts) carries it out. This file
 * keeps the fail-closed rule — the agent never starts on a doubtful configuration, and any failure ends
 * as `conclusion: failed` with a clear message — and the one teardown: whatever happened, on success,
 * failure or cancellation, `undoAll` undoes the teardown record the stages wrote (teardown/undo-all.ts).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSettings, type Settings } from './inputs.js';
import { readRunContext, type RunContext } from './context.js';
import { markIsolationUndone } from './isolation/teardown-mark.js';
import { onCancel } from './cancel.js';
import { TriggerRefused } from './policy/trigger-guard.js';
import { explainFailure } from './report/failure.js';
import { writeJobSummary } from './report/job-summary.js';
import { freeSpace, runnerTempProblem } from './runner-temp.js';
import type { TeardownRecord } from './teardown/record.js';
import { undoAll, type UndoLog, type UndoPorts } from './teardown/undo-all.js';
import { admit } from './orchestrator/admit.js';
import { execute } from './orchestrator/execute.js';
import { newOutcome, type Outcome } from './orchestrator/outcome.js';
import { report } from './orchestrator/report.js';
import type { CorePort, MainPorts } from './orchestrator/ports.js';
import { maskAll, realCore, realPorts } from './orchestrator/real-ports.js';

export interface MainStepDeps {
  core: CorePort;
  env: NodeJS.ProcessEnv;
  /** The ports for a run with these settings and context (orchestrator/real-ports.ts). */
  ports(settings: Settings, ctx: RunContext): MainPorts;
  /** Where the report goes (the job summary, the findings file): also when the inputs were refused. */
  report: Pick<MainPorts, 'core' | 'writeFile' | 'writeJobSummary'>;
  /** The teardown's effects (real by default). */
  undoPorts?: UndoPorts;
  /** SIGINT/SIGTERM handling (cancel.ts); returns its removal. */
  onCancel(stop: (signal: NodeJS.Signals) => Promise<void>): () => void;
}

const realDeps: MainStepDeps = {
  core: realCore,
  env: process.env,
  ports: (settings, ctx) => realPorts(settings, ctx),
  report: {
    core: realCore,
    writeFile: (file, data) => writeFileSync(file, data, { mode: 0o600 }),
    writeJobSummary,
  },
  onCancel: (stop) => onCancel(stop),
};

export async function run(deps: MainStepDeps = realDeps): Promise<Outcome> {
  const { core } = deps;
  const teardown: TeardownRecord = {};
  const outcome = newOutcome();
  let settings: Settings | undefined;
  const log: UndoLog = {
    done: () => undefined,
    failed: (stage, error) =>
      core.warning(`${stage.doing} failed (the post step will retry): ${error.message}`),
  };
  const undo = (cancelling = false) =>
    undoAll(
      teardown,
      { log, cancelling, onCredentialsLeft: (key) => core.saveState('credentialsKey', key) },
      deps.undoPorts,
    ).then((result) => {
      if (result.proxy) outcome.costUsd = Math.max(outcome.costUsd, result.proxy.usage.costUsd);
      return result;
    });
  // Cancelled (SIGINT/SIGTERM): kill the agent's tree at once, undo, report, exit.
  const stopCancel = deps.onCancel(async (signal) => {
    outcome.cancelled = `The run was cancelled (${signal}): the agent's processes were killed and the changes it made to the runner undone.`;
    await undo(true);
    await report(settings, outcome, deps.report);
  });
  try {
    settings = parseInputs(core, deps.env);
    const ctx = readRunContext(deps.env);
    const full = runnerTempProblem(ctx.runnerTemp, freeSpace(ctx.runnerTemp));
    if (full) throw new Error(full);
    const ports = deps.ports(settings, ctx);
    teardown.runDir = createRunDir(ctx.runnerTemp, core);
    outcome.findingsFile = path.join(teardown.runDir, 'findings.json');
    const runDir = teardown.runDir;
    const plan = await admit(settings, ctx, ports, outcome);
    const planned = plan.context === ctx ? ports : ports.withContext(plan.context);
    await execute(plan, planned, { runDir, teardown, outcome });
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
    if ((await undo()).isolationUndone && teardown.runDir) markIsolationUndone(teardown.runDir);
  }
  await report(settings, outcome, deps.report);
  stopCancel();
  return outcome;
}

/** Stage 1: inputs. The key is masked before anything can print it. */
function parseInputs(core: CorePort, env: NodeJS.ProcessEnv): Settings {
  for (const name of ['anthropic-api-key', 'claude-code-oauth-token']) {
    const raw = core.getInput(name);
    if (raw) core.setSecret(raw);
  }
  const settings = readSettings((name) => core.getInput(name), env);
  for (const secret of [settings.anthropicApiKey, settings.claudeCodeOauthToken, settings.githubToken]) {
    if (secret) maskAll(secret, core);
  }
  return settings;
}

/** A fresh 0700 directory under RUNNER_TEMP for everything this run generates; post removes it. */
function createRunDir(runnerTemp: string, core: CorePort): string {
  let dir: string;
  try {
    dir = mkdtempSync(path.join(runnerTemp, 'claude-guard-'));
  } catch (err) {
    throw new Error(
      `Cannot create the run directory in RUNNER_TEMP (${runnerTemp}): ${(err as Error).message}`,
    );
  }
  chmodSync(dir, 0o700);
  core.saveState('runDir', dir);
  return dir;
}
