/**
 * Stages 2 and 3, before anything is set up: the organisation's policy over the inputs, then may this
 * run go ahead at all (trigger, actor, the calling workflow). Their answers, with what the machine can
 * do, make the plan (plan.ts). On workflow_run the plan's context carries the verified pull request:
 * execute with `ports.withContext(plan.context)`.
 */
import type { Settings } from '../inputs.js';
import type { RunContext } from '../context.js';
import type { RunConstraints } from '../guard.js';
import { decideLevel, levelsToProbe } from '../isolation/preflight.js';
import { plan, type RunPlan } from './plan.js';
import type { Outcome } from './outcome.js';
import type { MainPorts } from './ports.js';

export async function admit(
  inputSettings: Settings,
  ctx: RunContext,
  ports: MainPorts,
  outcome: Outcome,
): Promise<RunPlan> {
  // Stage 2: the organisation's policy — the repository's inputs can only tighten it.
  const policy = await ports.applyPolicy(inputSettings);
  if (policy.summary !== undefined) outcome.sections.push(policy.summary);
  const settings = policy.settings;

  // Stage 3: may this run go ahead? (trigger, actor, the calling workflow)
  // Only the requested level's prerequisites are probed; every level's only when needed (auto, or a run
  // on an untrusted trigger, which must use the strongest level the machine can reach).
  // The probes (processes on this machine) run beside the guard's GitHub reads (the actor's permission,
  // an on-demand comment); only an untrusted run's strongest level waits for them. They ran before the
  // guard's answer already, so nothing runs earlier than it did; a probe failure surfaces after the guard.
  const probing = ports.guard.probe(levelsToProbe(settings.isolation));
  probing.catch(() => undefined); // awaited below
  const strongest = async () => {
    // strict here means strict was probed and works
    const known = decideLevel('auto', await probing).level;
    return known === 'strict' || settings.isolation === 'auto'
      ? known
      : decideLevel('auto', await ports.guard.probe()).level;
  };
  let constraints: RunConstraints;
  try {
    constraints = await ports.guard.trigger(settings, strongest);
  } finally {
    await probing.catch(() => undefined); // a refused run ends with no probe still running
  }
  const capabilities = await probing;
  // workflow_run: the verified pull request (fork-safe pattern); from here on the run is about it.
  const context = await ports.guard.workflowRunPull(ctx);
  const workflowAudit = await ports.guard.auditWorkflow(settings);
  outcome.notes.push(...workflowAudit.notes);
  outcome.sections.push(workflowAudit.markdown);
  return plan({
    settings,
    context,
    capabilities,
    constraints,
    home: ports.env.HOME,
    github: ports.github !== undefined,
  });
}
