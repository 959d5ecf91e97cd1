/**
 * Stage 7: the isolation level the plan decided (fail closed when an explicit or required level cannot
 * be had), prepared and recorded for the teardown before anything else happens (`isolate`), and at
 * strict proven as the agent user before the agent starts (`proveIsolation`).
 */
import { IsolationError } from '../isolation/preflight.js';
import type { AgentLauncher } from '../isolation/launcher.js';
import type { TeardownRecord } from '../teardown/record.js';
import type { Outcome } from './outcome.js';
import type { RunPlan } from './plan.js';
import type { MainPorts } from './ports.js';

export async function isolate(
  p: RunPlan,
  ports: MainPorts,
  at: {
    proxyPort: number;
    fixPaths: string[] | undefined;
    git: string;
    teardown: TeardownRecord;
    outcome: Outcome;
  },
): Promise<AgentLauncher> {
  const { settings, context: ctx } = p;
  const { teardown, outcome } = at;
  if (p.isolation.refusal) throw new IsolationError(p.isolation.refusal);
  outcome.notes.push(...p.isolation.notes);
  if (p.isolation.warning) ports.core.warning(p.isolation.warning);
  const runnerHome = ports.env.HOME ?? '/root';
  const pinned = teardown.instructions;
  const launcher = await ports.isolation.prepare(p.isolation.decision.level, {
    workspace: ctx.workspace,
    runnerTemp: ctx.runnerTemp,
    runnerHome,
    proxyPort: at.proxyPort,
    mode: settings.mode,
    fixPaths: at.fixPaths,
    git: at.git,
    pinned: typeof pinned === 'object' ? pinned.files.map((f) => f.path) : undefined,
    cliPath: settings.claudePath || undefined,
  });
  teardown.isolation = launcher.undo;
  ports.core.saveState('undo', JSON.stringify(launcher.undo));
  outcome.isolation = launcher.level;
  return launcher;
}

/** At strict, the proof as the agent user in its world, before the agent starts (a no-op elsewhere). */
export async function proveIsolation(
  p: RunPlan,
  ports: MainPorts,
  launcher: AgentLauncher,
  at: { proxyPort: number; teardown: TeardownRecord; outcome: Outcome },
): Promise<void> {
  const { settings, context: ctx } = p;
  const { teardown, outcome } = at;
  const runnerHome = ports.env.HOME ?? '/root';
  if (launcher.level === 'strict') {
    const credentials = teardown.credentials?.backup;
    const checks = await ports.isolation.proveStrict({
      launcher,
      proxyPort: at.proxyPort,
      // fix mode: only the granted files are writable; creating a file must still be blocked
      mode: settings.mode === 'fix' ? 'review' : settings.mode,
      paths: {
        runnerTemp: ctx.runnerTemp,
        runnerHome,
        workspace: ctx.workspace,
        credentialFiles: credentials?.credentialFiles ?? [],
        sensitivePids: [process.pid, process.ppid],
      },
    });
    outcome.notes.push(
      `Isolation proof: ${checks.length} checks passed as the agent user (${checks.filter((c) => c.expected === 'blocked').length} forbidden actions blocked).`,
    );
  }
}
