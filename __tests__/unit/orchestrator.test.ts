/**
 * Stage tests of the main step (src/run.ts → orchestrator/admit.ts, plan.ts, execute.ts) against a
 * stateful fake of every port (__tests__/support/main-step-fake.ts): the order of the security stages —
 * nothing starts the agent before the guard passed, the credentials are out, the isolation is built and
 * the rules are written — and every stage's failure ending in the one teardown (teardown/undo-all.ts).
 */
import { describe, expect, test } from '@jest/globals';
import { run } from '../../src/run.js';
import { FakeRunner, STAGE_PORTS, type StagePort } from '../support/main-step-fake.js';

const before = (log: string[], a: string, b: string) => {
  expect(log).toContain(a);
  expect(log).toContain(b);
  expect(log.indexOf(a)).toBeLessThan(log.indexOf(b));
};

describe('main step: the order of the security stages', () => {
  test.each(['strict', 'sandbox', 'rules-only'] as const)(
    'at %s the agent starts only after the guard, with the credentials out, isolated and the rules written',
    async (level) => {
      const runner = new FakeRunner();
      runner.level = level;
      const outcome = await run(runner.deps());
      expect(runner.failed).toBeUndefined();
      expect(outcome.conclusion).toBe('clean');
      expect(outcome.isolation).toBe(level);
      expect(runner.agentStart).toEqual({
        guardPassed: true,
        credentialsOut: true,
        isolated: true,
        rulesWritten: true,
        instructionsPinned: true,
        hookProven: true,
        proxyRunning: true,
      });
      const log = runner.log;
      for (const stage of [
        'trigger',
        'auditWorkflow',
        'removeCredentials',
        'prepareIsolation',
        'writeSettings',
      ])
        before(log, stage, 'agentRun');
      before(log, 'prepareIsolation', 'writeSettings'); // the settings file lives in the agent's directory
      before(log, 'trigger', 'workflowRunPull'); // a workflow_run's pull request only once the run may go ahead
      if (level === 'strict') before(log, 'proveStrict', 'agentRun');
      else expect(log).not.toContain('proveStrict');
      // The proxy is stopped once the agent ended, before anything is delivered.
      before(log, 'agentRun', 'proxy.stop');
      before(log, 'proxy.stop', 'toRun');
      expect(runner.leftovers()).toEqual([]);
      // Everything set up is undone by the one teardown, the secrets before the isolation.
      before(log, 'undo.credentials', 'undo.isolation');
      before(log, 'undo.endTree', 'undo.credentials');
    },
  );

  // The hook's self-test needs only the plan's rules where the agent runs as the action's own user: it
  // runs beside stages 4–7 there (issue 12); at strict it must run as the agent user in its world.
  test.each([
    ['rules-only', 'startProxy', 'loadDiff'],
    ['sandbox', 'startProxy', 'loadDiff'],
    ['strict', 'prepareIsolation', 'writeSettings'],
  ] as const)('at %s the hook self-test starts after %s and before %s', async (level, after, until) => {
    const runner = new FakeRunner();
    runner.level = level;
    await run(runner.deps());
    expect(runner.agentStart?.hookProven).toBe(true);
    expect(runner.log.filter((s) => s === 'bashHook')).toHaveLength(1);
    before(runner.log, after, 'bashHook');
    before(runner.log, 'bashHook', until);
  });

  test('the guard refusing the actor: skipped, nothing set up, the agent never started', async () => {
    const runner = new FakeRunner();
    runner.refuseTrigger = true;
    const outcome = await run(runner.deps());
    expect(outcome.conclusion).toBe('skipped');
    expect(runner.failed).toBeUndefined();
    expect(runner.agentStart).toBeUndefined();
    expect(runner.log).toEqual(['applyPolicy', 'probe', 'trigger', 'probe.done']);
    expect(runner.outputs.conclusion).toBe('skipped');
  });

  test('a level below the requirement fails closed before the agent, and everything is undone', async () => {
    const runner = new FakeRunner();
    runner.level = 'rules-only';
    runner.inputs['require-isolation'] = 'strict';
    const outcome = await run(runner.deps());
    expect(outcome.conclusion).toBe('failed');
    expect(outcome.error).toMatch(/require-isolation/);
    expect(runner.agentStart).toBeUndefined();
    expect(runner.log).not.toContain('prepareIsolation');
    expect(runner.leftovers()).toEqual([]);
  });
});

describe('main step: GitHub round trips beside the work that does not need them', () => {
  test('asked for before the set-up, neither it nor the agent waits for it, up before delivery', async () => {
    const runner = new FakeRunner();
    runner.progressDelayMs = 30; // GitHub's round trips
    const outcome = await run(runner.deps());
    expect(outcome.conclusion).toBe('clean');
    const log = runner.log;
    before(log, 'startProgress', 'prepareProvider');
    before(log, 'agentRun', 'progress.posted'); // the set-up and the agent did not wait for GitHub
    // Delivery updates the same comment: it must find the note there, not post a second summary.
    before(log, 'progress.posted', 'knownStrings');
    before(log, 'toPullRequest', 'progress.finish:true');
  });

  test('the trigger guard (the actor’s permission on GitHub) runs beside the capability probes', async () => {
    const runner = new FakeRunner();
    runner.probeDelayMs = 30;
    expect((await run(runner.deps())).conclusion).toBe('clean');
    before(runner.log, 'probe', 'trigger');
    before(runner.log, 'trigger', 'probe.done');
    before(runner.log, 'probe.done', 'auditWorkflow');
  });

  test('what earlier runs posted is read from the agent’s end on, beside the gate, and handed to delivery', async () => {
    const runner = new FakeRunner();
    await run(runner.deps());
    before(runner.log, 'agentRun', 'readEarlier');
    before(runner.log, 'readEarlier', 'knownStrings');
    expect(runner.earlierGiven).toBe(true);
  });

  test('a run that fails before the note is up still replaces it with the failure', async () => {
    const runner = new FakeRunner();
    runner.progressDelayMs = 30;
    runner.failAt = 'prepareProvider';
    const outcome = await run(runner.deps());
    expect(outcome.conclusion).toBe('failed');
    before(runner.log, 'prepareProvider', 'progress.posted');
    before(runner.log, 'progress.posted', 'progress.finish:false');
    expect(runner.log).not.toContain('agentRun');
  });
});

describe('main step: every stage that fails ends in the teardown', () => {
  const agentIndex = STAGE_PORTS.indexOf('agentRun');
  test.each([...STAGE_PORTS])('a failure at %s: the run fails, nothing is left behind', async (port) => {
    const runner = new FakeRunner();
    runner.failAt = port;
    const outcome = await run(runner.deps());
    expect(outcome.conclusion).toBe('failed');
    expect(runner.failed).toMatch(new RegExp(`claude-guard: .*fake: ${port} failed`));
    expect(runner.outputs.conclusion).toBe('failed');
    expect(runner.leftovers()).toEqual([]);
    // Stages after the failing one never ran; the agent only if the failure surfaced after it.
    const failedAt = runner.log.indexOf(port);
    expect(failedAt).toBeGreaterThanOrEqual(0);
    // The probes run beside the guard, the key proxy starts beside stages 4–5, the hook's self-test beside
    // the agent's set-up and the progress note beside stages 4–10: their failures surface when they are
    // waited for (after the guard; stage 6; just before the agent starts; before delivery).
    const waitedFor: Partial<Record<string, string>> = {
      startProxy: 'removeCredentials',
      bashHook: 'cli',
      startProgress: 'agentRun',
      probe: 'trigger',
    };
    const surfaces = STAGE_PORTS.indexOf((waitedFor[port] ?? port) as StagePort);
    const later = STAGE_PORTS.slice(surfaces + 1);
    expect(runner.log.slice(failedAt + 1).filter((s) => (later as readonly string[]).includes(s))).toEqual(
      [],
    );
    if (surfaces < agentIndex) expect(runner.agentStart).toBeUndefined();
    // Whatever was set up was undone, credentials included.
    if (runner.log.includes('removeCredentials') && port !== 'removeCredentials')
      expect(runner.log).toContain('undo.credentials');
    if (runner.log.includes('prepareIsolation') && port !== 'prepareIsolation')
      expect(runner.log).toContain('undo.isolation');
  });

  test('credentials that cannot be put back: the key is handed to the post step, after the agent ended', async () => {
    const runner = new FakeRunner();
    runner.undoPorts.restoreCredentials = async () => {
      throw new Error('fake: .git/config is locked');
    };
    await run(runner.deps());
    expect(runner.state.credentialsKey).toMatch(/\S/);
    expect(runner.warnings.join('\n')).toMatch(
      /Restoring checkout credentials failed \(the post step will retry\): fake: \.git\/config is locked/,
    );
  });

  test("the agent's processes not confirmed dead: the isolation is undone before the credentials", async () => {
    const runner = new FakeRunner();
    runner.failAt = 'knownStrings';
    runner.undoPorts.endTree = async () => {
      runner.log.push('undo.endTree');
      throw new Error('fake: a process survived');
    };
    await run(runner.deps());
    before(runner.log, 'undo.isolation', 'undo.credentials');
  });
});
