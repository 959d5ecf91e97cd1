/**
 * One end-to-end scenario: a pull-request repository, the scripted model, the GitHub fake, and the
 * bundled action run through the runner emulation against the real Claude Code CLI. Canary secrets
 * are planted in the job environment and on disk; `leaks()` lists every place one showed up.
 */
import crypto from 'node:crypto';
import { afterEach } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createPullRepo,
  runAction,
  startGitHubFake,
  startModelServer,
  type ActionRun,
  type FileChanges,
  type GitHubFake,
  type GitHubFakeOptions,
  type ModelServer,
  type PullRepo,
  type Script,
  type Turn,
} from './index.mjs';
import { withMachineLock } from '../../support/machine-lock.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLAUDE = fs.realpathSync(path.join(ROOT, 'node_modules', '.bin', 'claude'));
export const OWNER = 'acme';
export const REPO = 'widgets';
export const PR_NUMBER = 7;

/** Distinct, greppable canary values for every secret a runner job can hold. */
export function canaries(): Record<string, string> {
  const tag = Math.random().toString(36).slice(2, 10);
  return {
    AWS_ACCESS_KEY_ID: `AKIACANARY${tag.toUpperCase().padEnd(10, 'X')}`,
    AWS_SECRET_ACCESS_KEY: `canary-aws-secret-${tag}-wJalrXUtnFEMI`,
    NPM_TOKEN: `npm_canary${tag}abcdefghijklmnopqrstu`,
    GITHUB_TOKEN: `ghs_canaryGithubToken${tag}abcdefghij`,
    DEPLOY_PASSWORD: `canary-deploy-password-${tag}`,
  };
}

export interface ScenarioOptions {
  base?: FileChanges;
  head?: FileChanges;
  script?: Script;
  /** A script built from the run's secrets (to simulate a model that quotes them). */
  scriptWithSecrets?: (secrets: { apiKey: string; canaries: Record<string, string> }) => Script;
  inputs?: Record<string, string>;
  /** Inputs computed once the scripted model runs (e.g. a provider fake started in front of it). */
  inputsFor?: (model: ModelServer, canaries: Record<string, string>) => Promise<Record<string, string>>;
  env?: Record<string, string>;
  githubPermissions?: { 'pull-requests'?: 'write' | 'read' };
  /** login → repository permission, merged over octocat: write. */
  collaborators?: Record<string, string>;
  /** The PR as its author wrote it (untrusted), and its head repository (a fork when not acme/widgets). */
  pr?: { title?: string; body?: string; headRepo?: string };
  /** Event name and extra payload fields (merged over the pull_request payload). */
  event?: { name?: string; payload?: Record<string, unknown> };
  /** Reuse a fake (second run on the same PR). */
  github?: GitHubFake;
  repo?: PullRepo;
  setup?: Parameters<typeof runAction>[0]['setup'];
  timeoutMs?: number;
  /**
   * Plant what actions/checkout leaves (S4): an `http.https://github.com/.extraheader` in the
   * workspace's .git/config, and `$RUNNER_TEMP/git-credentials-<uuid>.config` holding another header,
   * named by an `includeIf.gitdir:` in .git/config. Both values are canaries (added to `secrets`).
   */
  checkoutCredentials?: boolean;
  /** Secret values the `setup` hook plants, so that `leaks()` looks for them too. */
  extraSecrets?: string[];
  /** Names (relative to RUNNER_TEMP) of files `setup` plants there: canaries by design, skipped by `leaks()`. */
  plantedFiles?: string[];
  /** Injected GitHub answers (github-fake `faults`), and comments already on the pull request. */
  githubFaults?: GitHubFakeOptions['faults'];
  issueComments?: GitHubFakeOptions['issueComments'];
  /** Called with the main step's pid as soon as it runs. */
  onMainSpawn?: (pid: number) => void;
}

export interface Scenario {
  run: ActionRun;
  model: ModelServer;
  github: GitHubFake;
  repo: PullRepo;
  apiKey: string;
  canaries: Record<string, string>;
  /** Every secret value planted (canaries, API key, runner tokens, on-disk canary). */
  secrets: string[];
  /** Planted files under RUNNER_TEMP that `leaks()` does not count as left behind. */
  planted?: string[];
  /** The findings file as a later step saw it ('' when none). */
  findingsFile: string;
  /** The fix-patch output file as a later step saw it ('' when none). */
  fixPatch: string;
  /** The SARIF file as a later step (upload-sarif) saw it ('' when none). */
  sarifFile: string;
  /** The agent's process group id, as main left it for post (0 when the agent never started). */
  agentPgid: number;
  close(): Promise<void>;
}

const PRELUDE = Array.from({ length: 12 }, (_, i) => `// line ${i + 1}`).join('\n') + '\n';
/** src/app.js: lines 1–12 are a prelude outside the diff's hunk; the PR adds div() at lines 17–19. */
export const DEFAULT_BASE: FileChanges = {
  'src/app.js': `${PRELUDE}export function add(a, b) {\n  return a + b;\n}\n`,
  'README.md': '# widgets\n',
};
export const DEFAULT_HEAD: FileChanges = {
  'src/app.js': `${PRELUDE}export function add(a, b) {\n  return a + b;\n}\n\nexport function div(a, b) {\n  return a / b;\n}\n`,
};

export async function scenario(o: ScenarioOptions = {}): Promise<Scenario> {
  const repo = o.repo ?? createPullRepo({ base: o.base ?? DEFAULT_BASE, head: o.head ?? DEFAULT_HEAD });
  const planted = canaries();
  const apiKey = `sk-ant-api03-canaryKey${Math.random().toString(36).slice(2)}AA`;
  const model = await startModelServer({
    script: o.scriptWithSecrets?.({ apiKey, canaries: planted }) ?? o.script ?? [],
  });
  const lateInputs = (await o.inputsFor?.(model, planted)) ?? {};
  const github =
    o.github ??
    (await startGitHubFake({
      owner: OWNER,
      repo: REPO,
      // The fake follows the repository: a later repo.push() is a later push to this PR.
      pull: {
        number: PR_NUMBER,
        get headSha() {
          return repo.headSha;
        },
        baseSha: repo.baseSha,
        get files() {
          return repo.files;
        },
        headRepo: o.pr?.headRepo ?? `${OWNER}/${REPO}`,
      },
      permissions: o.githubPermissions,
      faults: o.githubFaults,
      issueComments: o.issueComments,
      // The triggering actor (the runner's GITHUB_ACTOR) is a collaborator with write access.
      collaborators: { octocat: 'write', ...o.collaborators },
    }));
  const onDisk = `canary-on-disk-${Math.random().toString(36).slice(2)}`;
  const checkout = o.checkoutCredentials ? checkoutCanaries() : undefined;
  const plantedPaths: string[] = [];
  const run = await withMachineLock(() =>
    runAction({
      actionDir: ROOT,
      cwd: repo.dir,
      githubApiUrl: github.url,
      githubToken: github.token,
      event: {
        name: o.event?.name ?? 'pull_request',
        payload: {
          sender: { login: 'octocat', type: 'User' },
          action: 'synchronize',
          number: PR_NUMBER,
          pull_request: {
            number: PR_NUMBER,
            title: o.pr?.title ?? 'Add div()',
            body: o.pr?.body ?? 'Adds a division helper.',
            base: { sha: repo.baseSha, ref: 'main', repo: { full_name: `${OWNER}/${REPO}` } },
            head: {
              sha: repo.headSha,
              ref: 'feature',
              repo: { full_name: o.pr?.headRepo ?? `${OWNER}/${REPO}` },
            },
          },
          repository: { full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, name: REPO },
          ...o.event?.payload,
        },
      },
      inputs: {
        'anthropic-api-key': apiKey,
        'anthropic-base-url': model.url,
        'claude-path': CLAUDE,
        ...o.inputs,
        ...lateInputs,
      },
      env: { ...planted, GITHUB_REPOSITORY: `${OWNER}/${REPO}`, ...o.env },
      timeoutMs: o.timeoutMs ?? 120_000,
      onMainSpawn: o.onMainSpawn,
      // A later step of the job reads the findings file (post removes it with the rest of the run dir).
      afterMain: ({ outputs, state }) => ({
        findingsFile: readIfExists(outputs['findings-file']),
        sarifFile: readIfExists(outputs['sarif-file']),
        fixPatch: readIfExists(outputs['fix-patch']),
        agentPgid: Number(readIfExists(state['run-dir'] && path.join(state['run-dir'], 'agent.pgid')) || 0),
      }),
      setup: async (dirs) => {
        fs.mkdirSync(path.join(dirs.home, '.aws'), { recursive: true });
        fs.writeFileSync(
          path.join(dirs.home, '.aws', 'credentials'),
          `[default]\naws_secret_access_key = ${onDisk}\n`,
        );
        fs.writeFileSync(path.join(dirs.runnerTemp, 'step-script.sh'), `export SECRET=${onDisk}\n`);
        plantedPaths.push(...(o.plantedFiles ?? []).map((name) => path.join(dirs.runnerTemp, name)));
        if (checkout)
          plantedPaths.push(plantCheckoutCredentials(repo.dir, dirs.runnerTemp, checkout.headers));
        await o.setup?.(dirs);
      },
    }),
  );
  const secrets = [
    ...Object.values(planted),
    ...Object.values(run.runnerSecrets),
    apiKey,
    onDisk,
    ...(checkout?.values ?? []),
    ...(o.extraSecrets ?? []),
  ];
  return {
    run,
    model,
    github,
    repo,
    apiKey,
    canaries: planted,
    secrets,
    planted: plantedPaths,
    ...(run.betweenSteps as { findingsFile: string; sarifFile: string; fixPatch: string; agentPgid: number }),
    close: async () => {
      await model.close();
      if (!o.github) await github.close();
      run.cleanup();
      if (!o.repo) repo.cleanup();
    },
  };
}

/** Two distinct checkout headers (`basic base64(x-access-token:<token>)`) and every form worth looking for. */
function checkoutCanaries(): { headers: [string, string]; values: string[] } {
  const token = () => `ghs_canaryCheckout${Math.random().toString(36).slice(2)}abcdefgh`;
  const tokens = [token(), token()];
  const basics = tokens.map((t) => Buffer.from(`x-access-token:${t}`).toString('base64'));
  return {
    headers: [`AUTHORIZATION: basic ${basics[0]}`, `AUTHORIZATION: basic ${basics[1]}`],
    values: [...tokens, ...basics],
  };
}

/**
 * What actions/checkout leaves: checkout < v6 puts the header in .git/config; v6+ writes it to
 * RUNNER_TEMP/git-credentials-<uuid>.config and includes that file from .git/config. Returns the file.
 */
function plantCheckoutCredentials(workspace: string, runnerTemp: string, headers: [string, string]): string {
  const file = path.join(runnerTemp, `git-credentials-${crypto.randomUUID()}.config`);
  fs.writeFileSync(file, `[http "https://github.com/"]\n\textraheader = ${headers[1]}\n`, { mode: 0o600 });
  fs.appendFileSync(
    path.join(workspace, '.git', 'config'),
    `[http "https://github.com/"]\n\textraheader = ${headers[0]}\n` +
      `[includeIf "gitdir:${workspace}/.git/"]\n\tpath = ${file}\n`,
  );
  return file;
}

function readIfExists(file: string | undefined): string {
  return file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** Where a secret showed up in something the action emitted or left behind; empty means none. */
export function leaks(s: Scenario): string[] {
  const places: [string, string][] = [
    ['log (as shown, masked)', s.run.maskedLog],
    ['outputs', JSON.stringify(s.run.outputs)],
    ['job summary', s.run.summary],
    ['GitHub requests', JSON.stringify(s.github.requests.map((r) => r.body))],
    ['GitHub state', JSON.stringify(s.github.state)],
    ['GITHUB_ENV', s.run.envFile],
    ['model requests (bodies)', JSON.stringify(s.model.requests.map((r) => r.body))],
    ['files left in RUNNER_TEMP', readTree(s.run.runnerTemp, s.planted)],
  ];
  const found: string[] = [];
  for (const secret of s.secrets) {
    for (const [place, text] of places) {
      // The model server is the upstream: it legitimately receives the real key as x-api-key (a header);
      // it must never see it, or any other secret, in a request body.
      if (text.includes(secret)) found.push(`${secret.slice(0, 12)}… in ${place}`);
    }
  }
  return found;
}

/** Text of every regular file under dir (the runner's own file-command files and planted canaries excluded). */
export function readTree(dir: string, exclude: readonly string[] = []): string {
  let out = '';
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (
        e.isFile() &&
        !p.includes('_runner_file_commands') &&
        e.name !== 'step-script.sh' &&
        e.name !== 'event.json' &&
        !exclude.includes(p)
      )
        out += `\n${p}\n${fs.readFileSync(p, 'utf8')}`;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Files and directories left under dir, relative, excluding the runner's own. */
export function leftovers(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter(
      (n) =>
        !['_runner_file_commands', 'step-script.sh', 'event.json', '_github_workflow', '_temp'].includes(n),
    );
}

export function tmpdir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** `go(options)` starts a scenario that is closed after the test; call once per test file. */
export function scenarios(): (o?: ScenarioOptions) => Promise<Scenario> {
  const open: Scenario[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });
  return async (o = {}) => {
    const s = await scenario(o);
    open.push(s);
    return s;
  };
}

/** The scripted model's final answer: the StructuredOutput call with these findings. */
export const structured = (findings: object[], summary = 'Reviewed.'): Turn => ({
  structured: { summary, findings },
});
