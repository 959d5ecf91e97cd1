/**
 * End-to-end, the agent's world at strict (issue 9): the bundled action, the real CLI, a scripted model.
 * 1. Canaries where a runner keeps them — the runner's HOME (~/.gitconfig with an insteadOf token,
 *    ~/.m2/settings.xml, ~/.aws/credentials), RUNNER_TEMP (a step script, gha-creds-*.json), untracked
 *    workspace files (.env, build output) and /run/lock — never reach the model, even when the agent
 *    asks for them with the Read tool; git works inside (the review's history is there); the post step
 *    leaves no user, firewall chain or directory behind.
 * 2. Two strict runs started 10 s apart on one machine (two runner services) both finish and clean up.
 * 3. The action's Bash hook runs inside the world (bound there read-only at a fixed path): a command that
 *    names a file is refused by the hook itself, its marker in what the model sees.
 * 4. Fix mode lives in the world too: the agent edits its own copy; the action checks the change there and
 *    delivers it; the workspace is never the agent's. Custom mode: its writes stay in its copy.
 * Strict needs Linux and root; elsewhere these tests are skipped with a reason.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  createPullRepo,
  git,
  runAction,
  startGitHubFake,
  startModelServer,
  toolResults,
  type ActionRun,
  type RunnerDirs,
  type ScriptContext,
  type ToolUse,
  type Turn,
} from './support/index.mjs';
import {
  CLAUDE,
  DEFAULT_BASE,
  DEFAULT_HEAD,
  leaks,
  OWNER,
  PR_NUMBER,
  REPO,
  ROOT,
  scenarios,
  structured,
} from './support/scenario.js';

const go = scenarios();
const canRun =
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  ['bwrap', 'setpriv', 'iptables-restore', 'useradd'].every(
    (t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0,
  );
if (!canRun)
  console.warn('world e2e tests skipped: strict needs Linux, root, bwrap, setpriv, iptables-restore');
const maybe = canRun ? describe : describe.skip;

const tag = () => Math.random().toString(36).slice(2, 10);

/** Plants the canaries; returns their values and the files (absolute) that hold them. */
function plant(dirs: RunnerDirs, workspace: string, values: Record<string, string>): string[] {
  const files: Record<string, string> = {
    [path.join(dirs.home, '.gitconfig')]:
      `[url "https://x-access-token:${values.gitconfig}@github.com/"]\n\tinsteadOf = https://github.com/\n`,
    [path.join(dirs.home, '.m2', 'settings.xml')]: `<settings><password>${values.m2}</password></settings>\n`,
    [path.join(dirs.runnerTemp, 'gha-creds-0a1b.json')]: `{"private_key":"${values.gha}"}\n`,
    [path.join(dirs.runnerTemp, '9f8e7d.sh')]: `export TOKEN=${values.step}\n`,
    [path.join(workspace, '.env')]: `SECRET=${values.env}\n`,
    [path.join(workspace, 'dist', 'config.js')]: `module.exports = "${values.build}";\n`,
    [`/run/lock/cg-canary-${values.runlock}`]: `${values.runlock}\n`,
  };
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o644 });
  }
  return Object.keys(files);
}

function gone(run: ActionRun): string[] {
  const undo = JSON.parse(run.state.undo ?? '{}') as {
    agentUser?: string;
    dirs?: string[];
    egress?: { chain: string };
  };
  const left: string[] = [];
  if (undo.agentUser && spawnSync('id', ['-u', undo.agentUser]).status === 0)
    left.push(`user ${undo.agentUser}`);
  if (undo.egress && spawnSync('iptables', ['-w', '-S', undo.egress.chain]).status === 0)
    left.push(`chain ${undo.egress.chain}`);
  for (const dir of undo.dirs ?? []) if (fs.existsSync(dir)) left.push(dir);
  return left;
}

maybe("strict: the agent's world", () => {
  test('canaries in HOME, RUNNER_TEMP, untracked files and /run/lock never reach the model; git works; nothing is left', async () => {
    const values = Object.fromEntries(
      ['gitconfig', 'm2', 'gha', 'step', 'env', 'build', 'runlock'].map((k) => [k, `cg-world-${k}-${tag()}`]),
    );
    let files: string[] = [];
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    const s = await go({
      repo,
      inputs: { isolation: 'strict' },
      extraSecrets: Object.values(values),
      plantedFiles: ['gha-creds-0a1b.json', '9f8e7d.sh'],
      setup: (dirs) => {
        files = plant(dirs, repo.dir, values);
      },
      script: (_req, ctx) => {
        if (ctx.turn === 0)
          return {
            toolUses: [
              // .env is denied by the rules too; an untracked build output is not: only the world stops it.
              { name: 'Read', input: { file_path: `${ctx.cwd}/dist/config.js` }, id: 'read_build' },
              { name: 'Bash', input: { command: 'git log --format=%s', description: 'history' }, id: 'log' },
            ],
          };
        return structured([]);
      },
    });
    fs.rmSync(`/run/lock/cg-canary-${values.runlock}`, { force: true });
    expect(s.run.main.code).toBe(0);
    expect(s.run.outputs.isolation).toBe('strict');
    const results = toolResults(s.model.requests);
    const byId = new Map(results.map((r) => [r.tool_use_id, r]));
    expect(byId.get('read_build')?.is_error).toBe(true);
    expect(byId.get('read_build')?.content).toMatch(/does not exist|no such file|not found/i);
    expect(byId.get('log')?.content).toMatch(/\w/);
    expect(s.run.post.stdout).toMatch(/already undone by the main step/);
    expect(s.run.summary).toMatch(/every readable file is a tracked file|Isolation proof/);
    const requests = JSON.stringify(s.model.requests.map((r) => r.body));
    for (const value of Object.values(values)) expect(requests).not.toContain(value);
    expect(leaks(s)).toEqual([]);
    expect(s.run.post.code).toBe(0);
    expect(gone(s.run)).toEqual([]);
    expect(files.length).toBe(7);
    repo.cleanup();
  }, 600_000);

  test('two strict runs started 10 s apart on one machine both finish and clean up', async () => {
    // The e2e project holds the machine lock for this whole file (support/hold-machine-lock.ts).
    const first = oneRun();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const pair = await Promise.all([first, oneRun()]);
    try {
      for (const { run, model } of pair) {
        expect(run.main.code).toBe(0);
        expect(run.outputs.isolation).toBe('strict');
        expect(run.outputs.conclusion).toBe('clean');
        expect(toolResults(model.requests).find((r) => r.tool_use_id === 'log')?.content).toMatch(/\w/);
        expect(run.post.code).toBe(0);
        expect(run.warnings.join('\n')).not.toMatch(/teardown|undo/i);
        expect(gone(run)).toEqual([]);
      }
      const [a, b] = pair.map(({ run }) => JSON.parse(run.state.undo) as { agentUser: string });
      expect(a.agentUser).not.toBe(b.agentUser);
    } finally {
      for (const { close } of pair) await close();
    }
  }, 900_000);
});

const bash = (id: string, command: string): ToolUse => ({
  name: 'Bash',
  input: { command, description: 'inspect' },
  id,
});

maybe("strict: the action's hook and the modes that write, in the world", () => {
  test('the Bash hook runs inside the world: a git option that names a file is refused by the hook itself', async () => {
    const s = await go({
      inputs: { isolation: 'strict' },
      script: [
        {
          toolUses: [
            // Allowed by the rule Bash(git blame:*); only the hook's check of the option stops them.
            bash('contents', 'git blame --contents /etc/passwd -- README.md'),
            bash('quoted', "git blame --con'tents' /etc/passwd -- README.md"),
            bash('revs', 'git blame --ignore-revs-file /etc/passwd README.md'),
            bash('log', 'git log --format=%s'),
          ],
        },
        structured([]),
      ],
    });
    expect(s.run.main.code === 0 ? 'ok' : s.run.errors.join('\n')).toBe('ok');
    expect(s.run.outputs.isolation).toBe('strict');
    const byId = new Map(toolResults(s.model.requests).map((r) => [r.tool_use_id, r]));
    for (const id of ['contents', 'quoted', 'revs']) {
      expect(byId.get(id)?.is_error).toBe(true);
      // The hook's own words (policy/bash-hook.ts), as the CLI reports a PreToolUse deny.
      expect(byId.get(id)?.content).toMatch(/PreToolUse:Bash hook.*claude-guard: command refused/s);
    }
    expect(byId.get('log')?.is_error).toBeFalsy();
    expect(byId.get('log')?.content).toMatch(/Change under review/);
    expect(JSON.stringify(s.model.requests.map((r) => r.body))).not.toMatch(/root:x:0:0/);
    expect(Number(s.run.outputs['denied-count'])).toBeGreaterThanOrEqual(3);
    expect(leaks(s)).toEqual([]);
    expect(gone(s.run)).toEqual([]);
  }, 300_000);

  test('fix mode: the agent edits its own copy; the action checks it there and delivers the patch; the workspace stays the PR’s', async () => {
    const steps: ((c: ScriptContext) => Turn)[] = [
      (c) => ({ toolUse: { name: 'Read', input: { file_path: `${c.cwd}/src/app.js` } } }),
      (c) => ({
        toolUse: {
          name: 'Edit',
          input: {
            file_path: `${c.cwd}/src/app.js`,
            old_string: '  return a / b;',
            new_string: "  if (b === 0) throw new RangeError('b is 0');\n  return a / b;",
          },
          id: 'edit',
        },
      }),
      (c) => ({
        toolUses: [
          {
            name: 'Edit',
            input: { file_path: `${c.cwd}/README.md`, old_string: '# widgets', new_string: '# pwned' },
            id: 'readme',
          },
          bash('diff', 'git diff --stat'),
        ],
      }),
      () => structured([]),
    ];
    const s = await go({
      inputs: { isolation: 'strict', mode: 'fix', 'fix-delivery': 'patch' },
      script: (_req, ctx) => (steps[ctx.turn] ?? steps[steps.length - 1])(ctx),
    });
    expect(s.run.main.code === 0 ? 'ok' : s.run.errors.join('\n')).toBe('ok');
    expect(s.run.outputs.isolation).toBe('strict');
    const byId = new Map(toolResults(s.model.requests).map((r) => [r.tool_use_id, r]));
    expect(byId.get('edit')?.is_error ? byId.get('edit')?.content : 'edited').toBe('edited');
    expect(byId.get('readme')?.is_error).toBe(true);
    // Inside its world the agent sees its own edit in its copy.
    expect(byId.get('diff')?.content).toMatch(/src\/app\.js/);
    expect(s.fixPatch).toMatch(/^diff --git a\/src\/app\.js b\/src\/app\.js/m);
    expect(s.fixPatch).toContain("+  if (b === 0) throw new RangeError('b is 0');");
    expect(s.fixPatch).not.toMatch(/README|pwned/);
    expect(git(s.repo.dir, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(leaks(s)).toEqual([]);
    expect(gone(s.run)).toEqual([]);
  }, 300_000);

  test('custom mode: the agent writes its own copy of the working tree, never .git, and nothing reaches the workspace', async () => {
    const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
    const s = await go({
      repo,
      inputs: {
        isolation: 'strict',
        mode: 'custom',
        prompt: 'Write notes.',
        'allowed-tools': 'Write\nBash(touch:*)',
      },
      script: (_req, ctx) =>
        ctx.turn === 0
          ? {
              toolUses: [
                {
                  name: 'Write',
                  input: { file_path: `${ctx.cwd}/notes.txt`, content: 'notes\n' },
                  id: 'notes',
                },
                bash('hook', `touch ${ctx.cwd}/.git/hooks/pre-commit`),
                bash('mine', `touch ${ctx.cwd}/src/mine.txt`),
              ],
            }
          : structured([]),
    });
    expect(s.run.main.code === 0 ? 'ok' : s.run.errors.join('\n')).toBe('ok');
    expect(s.run.outputs.isolation).toBe('strict');
    const byId = new Map(toolResults(s.model.requests).map((r) => [r.tool_use_id, r]));
    for (const id of ['notes', 'mine'])
      expect(byId.get(id)?.is_error ? byId.get(id)?.content : 'written').toBe('written');
    expect(byId.get('hook')?.content).toMatch(/Read-only file system|Permission denied|denied|refused/i);
    for (const rel of ['notes.txt', 'src/mine.txt', '.git/hooks/pre-commit'])
      expect(fs.existsSync(path.join(repo.dir, rel))).toBe(false);
    expect(git(repo.dir, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(leaks(s)).toEqual([]);
    expect(gone(s.run)).toEqual([]);
    repo.cleanup();
  }, 300_000);

  test('an action inside the workspace (uses: ./) is refused at strict, naming the cause, before the agent starts', async () => {
    const { run, model, close } = await oneRun({ actionInWorkspace: true });
    try {
      expect(run.main.code).not.toBe(0);
      expect(run.errors.join('\n')).toMatch(/input 'isolation'.*action's own directory.*uses: \.\//s);
      expect(model.requests.filter((r) => r.mainLoop)).toHaveLength(0);
      expect(run.post.code).toBe(0);
      expect(gone(run)).toEqual([]);
    } finally {
      await close();
    }
  }, 300_000);
});

/**
 * One whole run (main + post) with its own repository, model and GitHub fake; no machine lock.
 * `actionInWorkspace`: the bundled action is copied into the checkout and run from there (`uses: ./`).
 */
async function oneRun(o: { actionInWorkspace?: boolean } = {}) {
  const repo = createPullRepo({ base: DEFAULT_BASE, head: DEFAULT_HEAD });
  let actionDir = ROOT;
  if (o.actionInWorkspace) {
    actionDir = path.join(repo.dir, '.github', 'actions', 'claude-guard');
    fs.cpSync(path.join(ROOT, 'dist'), path.join(actionDir, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'action.yml'), path.join(actionDir, 'action.yml'));
  }
  const model = await startModelServer({
    script: [
      {
        toolUse: {
          name: 'Bash',
          input: { command: 'git log --format=%s', description: 'history' },
          id: 'log',
        },
      },
      structured([]),
    ] as Turn[],
  });
  const github = await startGitHubFake({
    owner: OWNER,
    repo: REPO,
    pull: {
      number: PR_NUMBER,
      headSha: repo.headSha,
      baseSha: repo.baseSha,
      files: repo.files,
      headRepo: `${OWNER}/${REPO}`,
    },
    collaborators: { octocat: 'write' },
  });
  const run = await runAction({
    actionDir,
    cwd: repo.dir,
    githubApiUrl: github.url,
    githubToken: github.token,
    event: {
      name: 'pull_request',
      payload: {
        sender: { login: 'octocat', type: 'User' },
        action: 'synchronize',
        number: PR_NUMBER,
        pull_request: {
          number: PR_NUMBER,
          title: 'Add div()',
          body: '',
          base: { sha: repo.baseSha, ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } },
          head: { sha: repo.headSha, ref: 'feature', repo: { full_name: `${OWNER}/${REPO}` } },
        },
        repository: { full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, name: REPO },
      },
    },
    inputs: {
      'anthropic-api-key': `sk-ant-api03-canaryKey${tag()}AA`,
      'anthropic-base-url': model.url,
      'claude-path': CLAUDE,
      isolation: 'strict',
    },
    env: { GITHUB_REPOSITORY: `${OWNER}/${REPO}` },
    timeoutMs: 240_000,
  });
  return {
    run,
    model,
    close: async () => {
      await model.close();
      await github.close();
      run.cleanup();
      repo.cleanup();
    },
  };
}
