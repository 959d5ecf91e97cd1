/**
 * End-to-end, the isolation level and the teardown: every level is reported honestly (output and
 * summary), a required level that the run does not reach fails before the agent starts, the post step
 * removes every agent directory, firewall rule and ACL it recorded, and running it twice is harmless.
 * Also the workflow preflight audit on a real workflow file.
 */
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { leaks, ROOT, scenarios, structured } from './support/scenario.js';

const go = scenarios();
const isRoot = process.getuid?.() === 0;

interface UndoRecord {
  level: string;
  dirs: string[];
  acls: { path: string }[];
  egress?: { chain: string };
}

function firewallChains(): string {
  try {
    return execFileSync('iptables', ['-S'], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

describe('isolation levels', () => {
  test.each([['rules-only'], ['sandbox'], ...(isRoot ? [['strict']] : [])])(
    'isolation: %s runs, says which level it reached, and leaves nothing behind',
    async (level) => {
      const s = await go({
        inputs: { isolation: level },
        script: [
          { toolUse: { name: 'Bash', input: { command: 'git log -1', description: 'x' } } },
          structured([]),
        ],
      });
      expect(s.run.main.code).toBe(0);
      expect(s.run.outputs.isolation).toBe(level);
      expect(s.run.summary).toContain(`| ${level} |`);
      if (level !== 'strict')
        expect(s.run.warnings.join('\n')).toMatch(new RegExp(`isolation level is '${level}'`));
      const undo = JSON.parse(s.run.state.undo) as UndoRecord;
      expect(undo.level).toBe(level);
      for (const dir of undo.dirs) expect(fs.existsSync(dir)).toBe(false);
      if (undo.egress) expect(firewallChains()).not.toContain(undo.egress.chain);
      expect(s.run.post.code).toBe(0);
      expect(leaks(s)).toEqual([]);
    },
  );

  test('require-isolation above the level asked for fails before the agent starts, naming the input', async () => {
    const s = await go({ inputs: { isolation: 'rules-only', 'require-isolation': 'sandbox' } });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.errors.join('\n')).toMatch(/require-isolation/);
    expect(s.model.requests).toHaveLength(0);
    expect(s.run.post.code).toBe(0);
  });

  test('the post step is idempotent: a second run of it changes nothing and succeeds', async () => {
    const s = await go({ script: [structured([])] });
    expect(s.run.post.code).toBe(0);
    const again = execFileSync(
      process.env.E2E_NODE || process.execPath,
      [path.join(ROOT, 'dist/post/index.js')],
      {
        cwd: s.repo.dir,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          RUNNER_TEMP: s.run.runnerTemp,
          GITHUB_WORKSPACE: s.repo.dir,
          ...Object.fromEntries(Object.entries(s.run.state).map(([k, v]) => [`STATE_${k}`, v])),
        },
      },
    );
    expect(again).not.toMatch(/::warning::/);
    expect(again).toMatch(/nothing left to remove|no agent process left/);
  });
});

describe('workflow preflight audit', () => {
  const workflow = [
    'name: review',
    'on: pull_request',
    'env:',
    '  ANTHROPIC_API_KEY: ${{ secrets.ANTHROPIC_API_KEY }}',
    'jobs:',
    '  review:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v5',
    '      - uses: acme/claude-guard@v1',
    '        with:',
    '          anthropic-api-key: ${{ secrets.ANTHROPIC_API_KEY }}',
    '      - run: npm install',
    '',
  ].join('\n');
  const audited = (extra: Record<string, string>) =>
    go({
      head: { 'src/app.js': 'export const a = 2;\n', '.github/workflows/review.yml': workflow },
      env: {
        GITHUB_WORKFLOW_REF: 'acme/widgets/.github/workflows/review.yml@refs/pull/7/merge',
        GITHUB_ACTION_REPOSITORY: 'acme/claude-guard',
        GITHUB_JOB: 'review',
      },
      inputs: extra,
      script: [structured([])],
    });

  test('warn: the seed’s mistakes are reported in the log and the summary', async () => {
    const s = await audited({});
    expect(s.run.main.code).toBe(0);
    const log = s.run.warnings.join('\n');
    expect(log).toMatch(/ANTHROPIC_API_KEY/);
    expect(log).toMatch(/npm install/);
    expect(s.run.summary).toMatch(/secret-in-workflow-env/);
    expect(s.run.summary).toMatch(/install-after-agent/);
    expect(s.run.summary).toMatch(/persist-credentials/);
  });

  test('fail: an error-level finding fails the step before the agent starts', async () => {
    const s = await audited({ 'audit-workflow': 'fail' });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.errors.join('\n')).toMatch(/audit-workflow.*secret-in-workflow-env/);
    expect(s.model.requests).toHaveLength(0);
  });
});
