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
import { createPullRepo, git, toolResults } from './support/index.mjs';
import { DEFAULT_BASE, DEFAULT_HEAD, leaks, ROOT, scenarios, structured } from './support/scenario.js';

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

/** Every path in the workspace, .git included (its object store aside): a stub left by a sandbox shows. */
function workspaceTree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => !p.startsWith(path.join('.git', 'objects')))
    .sort();
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

  test.each([
    ['review', {}],
    ['custom', { prompt: 'Review the change.' }],
  ])(
    "sandbox, %s mode: the agent's git commands run inside Claude Code's sandbox, and the workspace is as before after post",
    async (mode, extra) => {
      const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
      try {
        // Something untracked and something ignored, so the status has lines that must come back unchanged.
        fs.writeFileSync(path.join(repo.dir, 'notes.txt'), 'untracked\n');
        fs.appendFileSync(path.join(repo.dir, '.git', 'info', 'exclude'), 'build/\n');
        fs.mkdirSync(path.join(repo.dir, 'build'));
        fs.writeFileSync(path.join(repo.dir, 'build', 'out.txt'), 'ignored\n');
        const status = () => git(repo.dir, ['status', '--porcelain', '--ignored']);
        const statusBefore = status();
        const treeBefore = workspaceTree(repo.dir);
        const range = `${repo.baseSha}..${repo.headSha}`;
        const commands = [
          `git diff ${range}`,
          `git log --format=%s ${range}`,
          `git show --stat ${repo.headSha}`,
          `git blame -L 17,19 ${repo.headSha} -- src/app.js`,
        ];
        const s = await go({
          repo,
          inputs: { isolation: 'sandbox', mode, ...extra },
          // The scripted model sees each command's output and says in its summary whether git worked.
          script: (_request, ctx) => {
            if (ctx.turn < commands.length)
              return {
                toolUse: { name: 'Bash', id: `toolu_git${ctx.turn}`, input: { command: commands[ctx.turn] } },
              };
            const ok = ctx.toolResults.filter((r) => r.tool_use_id.startsWith('toolu_git') && !r.is_error);
            return structured([], `git commands that worked: ${ok.length} of ${commands.length}`);
          },
        });
        expect(s.run.main.code).toBe(0);
        expect(s.run.outputs.isolation).toBe('sandbox');
        const results = toolResults(s.model.requests).filter((r) => r.tool_use_id.startsWith('toolu_git'));
        expect(results.map((r) => [r.is_error, r.content.includes('.git/config')])).toEqual(
          commands.map(() => [false, false]),
        );
        expect(results[0].content).toContain('+export function div(a, b) {');
        expect(results[1].content).toContain('Change under review');
        expect(results[2].content).toContain('src/app.js');
        expect(results[3].content).toContain('return a / b;');
        expect(s.run.summary).toContain(`git commands that worked: ${commands.length} of ${commands.length}`);
        expect(s.run.post.code).toBe(0);
        expect(status()).toBe(statusBefore);
        expect(workspaceTree(repo.dir)).toEqual(treeBefore);
        expect(leaks(s)).toEqual([]);
      } finally {
        repo.cleanup();
      }
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
