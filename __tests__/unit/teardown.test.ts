/**
 * The one teardown (src/teardown): the record main writes as the run goes is the record the post step
 * rebuilds from state and the run directory, and `undoAll` undoes it the same way for both.
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/run.js';
import { readTeardownRecord } from '../../src/teardown/record.js';
import { realUndoPorts, undoAll, type UndoLog } from '../../src/teardown/undo-all.js';
import { FakeRunner } from '../support/main-step-fake.js';

function recordingLog(): UndoLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    done: (stage, message) => void lines.push(`${stage.name}: ${message}`),
    failed: (stage, error) => void lines.push(`${stage.name} FAILED: ${error.message}`),
  };
}

/** Runs main until its agent starts, and leaves it there (as if the runner killed it). */
async function mainKilledDuringTheAgent(): Promise<FakeRunner> {
  const runner = new FakeRunner();
  runner.hangAgent = true;
  void run(runner.deps());
  for (let i = 0; i < 200 && !runner.agentStart; i++) await new Promise((r) => setTimeout(r, 5));
  expect(runner.agentStart).toBeDefined();
  return runner;
}

describe('one teardown record for main and post', () => {
  test('post rebuilds from state and the run dir every part main had set up when it was killed', async () => {
    const runner = await mainKilledDuringTheAgent();
    const record = readTeardownRecord(runner.postEnv());
    expect(record.runDir).toMatch(/claude-guard-/);
    expect(record.hiddenFilesIn).toBe(record.runDir);
    expect(record.agentPgid).toBe(5151);
    expect(record.proxy).toEqual({ pid: 4242 });
    expect(JSON.parse(record.tree as string)).toEqual({ marker: 'cg-00000000-0000-4000-8000-000000000000' });
    expect(JSON.parse(record.isolation as string)).toMatchObject({ level: 'strict' });
    expect(JSON.parse(record.instructions as string)).toMatchObject({ files: [{ path: 'CLAUDE.md' }] });
    // The sealed backup is there; its key stays in main's memory while the agent runs.
    expect(existsSync(record.credentials?.sealedFile ?? '')).toBe(true);
    expect(record.credentials?.key).toBeUndefined();

    const log = recordingLog();
    await undoAll(record, { log, removeRunDir: { runnerTemp: runner.runnerTemp } }, runner.undoPorts);
    const undone = runner.log.filter((l) => l.startsWith('undo.'));
    expect(undone).toEqual([
      'undo.killGroup 5151',
      'undo.endTree',
      'undo.hiddenFiles',
      'undo.instructions',
      'undo.isolation',
      'undo.checkout',
      'undo.killProxy 4242',
      'undo.removeRunDir',
    ]);
    expect(log.lines.join('\n')).toMatch(
      /restore checkout credentials FAILED: the main step ended without handing over the key/,
    );
    // Without the key the checkout credentials stay out (the warning says to run checkout again).
    expect(runner.leftovers()).toEqual(['checkout credentials still out of .git/config']);
  });

  test('a saved process tree that is not ours: nothing is killed by it, and the isolation goes first', async () => {
    const runner = await mainKilledDuringTheAgent();
    const env = runner.postEnv();
    env['STATE_process-tree'] = JSON.stringify({ marker: 'cg-x', cgroup: '/sys/fs/cgroup/system.slice' });
    env['STATE_credentials-key'] = 'k';
    const log = recordingLog();
    await undoAll(readTeardownRecord(env), { log }, runner.undoPorts);
    expect(log.lines.join('\n')).toMatch(/stop the agent's process tree FAILED: .*no valid run marker/);
    const undone = runner.log.filter((l) => l.startsWith('undo.'));
    expect(undone).not.toContain('undo.endTree');
    expect(undone.indexOf('undo.isolation')).toBeLessThan(undone.indexOf('undo.credentials'));
  });

  test('each part is undone once: a second undoAll of the same record (a cancellation) does nothing', async () => {
    const runner = await mainKilledDuringTheAgent();
    const record = readTeardownRecord({ ...runner.postEnv(), 'STATE_credentials-key': 'k' });
    await undoAll(record, { log: recordingLog() }, runner.undoPorts);
    const count = runner.log.length;
    await undoAll(record, { log: recordingLog() }, runner.undoPorts);
    expect(runner.log.length).toBe(count);
    expect(runner.leftovers()).toEqual([]);
  });

  test('the run directory is removed only when it is a claude-guard directory right under RUNNER_TEMP', () => {
    const temp = mkdtempSync(path.join(os.tmpdir(), 'cg-runner-temp-'));
    const ours = path.join(temp, 'claude-guard-abc');
    mkdirSync(ours);
    writeFileSync(path.join(ours, 'findings.json'), '{}');
    expect(() => realUndoPorts.removeRunDir(ours, path.join(temp, 'elsewhere'))).toThrow(
      /refusing to remove/,
    );
    expect(() => realUndoPorts.removeRunDir(temp, os.tmpdir())).toThrow(/refusing to remove/);
    expect(realUndoPorts.removeRunDir(ours, temp)).toMatch(/removed .*1 entries: findings\.json/);
    expect(existsSync(ours)).toBe(false);
    expect(realUndoPorts.removeRunDir(ours, temp)).toBe('nothing left to remove');
  });
});
