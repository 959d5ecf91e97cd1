/**
 * Emulates the GitHub Actions runner running a JavaScript action with a post step, closely enough that
 * the bundled action cannot tell the difference: action.yml input defaults, INPUT_<NAME> variables
 * (upper-cased, spaces → '_', hyphens kept), a fresh RUNNER_TEMP with per-step file-command files
 * (GITHUB_OUTPUT/STATE/ENV/PATH/STEP_SUMMARY), the job-token style runtime variables, the event file;
 * then the post step (post-if, default always()) with STATE_<name> from the main step and the
 * GITHUB_ENV/GITHUB_PATH changes the main step made applied, as the runner applies them to later steps
 * (threat-model S7/X4: tests can see what a tampered file would do to the post step).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null, timedOut: boolean, stdout: string,
 *   stderr: string }} StepResult
 * @typedef {{ tempRoot: string, runnerTemp: string, home: string }} RunnerDirs
 * @typedef {{ actionDir: string, inputs?: Record<string, string>, env?: Record<string, string>, cwd: string,
 *   event: { name: string, payload: Record<string, any> }, githubApiUrl: string, githubToken?: string,
 *   node?: string, timeoutMs?: number, setup?: (dirs: RunnerDirs) => void | Promise<void>,
 *   onMainSpawn?: (pid: number) => void,
 *   afterMain?: (r: { outputs: Record<string, string>, state: Record<string, string>, runnerTemp: string }) => unknown }} RunActionOptions
 */

/** The runner refuses to pass these through GITHUB_ENV (actions/runner: NODE_OPTIONS is blocked). */
const BLOCKED_ENV = new Set(['NODE_OPTIONS']);

/** @param {string} name */
export function inputEnvName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * Parse a file-command file: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseFileCommand(text) {
  /** @type {Record<string, string>} */
  const out = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    const eq = line.indexOf('=');
    if (heredoc && (eq < 0 || eq > line.indexOf('<<'))) {
      const [, name, delimiter] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new Error(`file command: no closing delimiter '${delimiter}' for '${name}'`);
      out[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (eq > 0) {
      out[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(`file command: unreadable line '${line}'`);
    }
  }
  return out;
}

/**
 * Workflow commands (`::name key=value::message`) printed on stdout, message unescaped.
 * @param {string} stdout
 */
export function parseWorkflowCommands(stdout) {
  const unescape = (/** @type {string} */ s) =>
    s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  /** @type {{ masks: string[], errors: string[], warnings: string[] }} */
  const out = { masks: [], errors: [], warnings: [] };
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line);
    if (!m) continue;
    const list = { 'add-mask': out.masks, error: out.errors, warning: out.warnings }[m[1]];
    list?.push(unescape(m[2]));
  }
  return out;
}

/** The test process's PATH without npm's node_modules/.bin entries: a runner has no `claude` there. */
function runnerPath() {
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter);
  return dirs.filter((d) => !d.split(path.sep).includes('node_modules')).join(path.delimiter);
}

/** @param {string} text @param {string[]} masks */
function mask(text, masks) {
  return masks.filter((m) => m.length > 0).reduce((t, m) => t.split(m).join('***'), text);
}

/**
 * Run node on `script` in its own process group; kill the group at the timeout.
 * @param {string} node @param {string} script @param {string} cwd @param {NodeJS.ProcessEnv} env @param {number} timeoutMs
 * @param {(pid: number) => void} [onSpawn]
 * @returns {Promise<StepResult>}
 */
function runStep(node, script, cwd, env, timeoutMs, onSpawn) {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    if (child.pid) onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr });
    });
  });
}

/** @param {string} dir @returns {Record<'output' | 'state' | 'env' | 'path' | 'summary', string>} */
function createFileCommands(dir) {
  const id = () => crypto.randomUUID();
  const files = {
    output: path.join(dir, `set_output_${id()}`),
    state: path.join(dir, `save_state_${id()}`),
    env: path.join(dir, `set_env_${id()}`),
    path: path.join(dir, `add_path_${id()}`),
    summary: path.join(dir, `step_summary_${id()}`),
  };
  for (const f of Object.values(files)) fs.writeFileSync(f, '');
  return files;
}

/** @param {Record<string, string>} files */
function fileCommandEnv(files) {
  return {
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
  };
}

/**
 * action.yml: the entry points, post-if and each input's default (`${{ github.token }}` is the only
 * expression understood; any other is an error so that a silent empty default cannot hide).
 * @param {string} actionDir @param {string | undefined} githubToken
 */
function readActionYml(actionDir, githubToken) {
  const file = ['action.yml', 'action.yaml']
    .map((f) => path.join(actionDir, f))
    .find((f) => fs.existsSync(f));
  const doc = file ? YAML.parse(fs.readFileSync(file, 'utf8')) : {};
  /** @type {Record<string, string>} */
  const defaults = {};
  for (const [name, spec] of Object.entries(doc?.inputs ?? {})) {
    const value = /** @type {any} */ (spec)?.default;
    if (value === undefined) continue;
    const text = String(value);
    if (/\$\{\{\s*github\.token\s*\}\}/.test(text)) defaults[name] = githubToken ?? '';
    else if (text.includes('${{'))
      throw new Error(`runner: action.yml input '${name}' default ${text} is not supported`);
    else defaults[name] = text;
  }
  return {
    main: doc?.runs?.main ?? 'dist/main/index.js',
    post: doc?.runs?.post ?? (file ? undefined : 'dist/post/index.js'),
    postIf: String(doc?.runs?.['post-if'] ?? 'always()'),
    defaults,
  };
}

/**
 * Run a JavaScript action's main and post steps the way the runner does.
 * @param {RunActionOptions} options
 */
export async function runAction(options) {
  const { actionDir, cwd, event, githubApiUrl } = options;
  const node = options.node ?? process.env.E2E_NODE ?? process.execPath;
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const action = readActionYml(actionDir, options.githubToken);
  for (const entry of [action.main, action.post]) {
    const file = entry && path.join(actionDir, entry);
    if (file && !fs.existsSync(file))
      throw new Error(`runner: ${file} does not exist; build it first (npm run bundle)`);
  }

  const tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-runner-'));
  const runnerTemp = path.join(tempRoot, '_temp');
  const home = path.join(tempRoot, 'home');
  const commandsDir = path.join(runnerTemp, '_runner_file_commands');
  fs.mkdirSync(commandsDir, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const eventPath = path.join(runnerTemp, '_github_workflow', 'event.json');
  fs.mkdirSync(path.dirname(eventPath), { recursive: true });
  fs.writeFileSync(eventPath, JSON.stringify(event.payload, null, 2));
  await options.setup?.({ tempRoot, runnerTemp, home });

  const payload = event.payload;
  const pr = payload.pull_request;
  /** Values only the runner holds; an e2e test asserts none of them reaches the agent or the model. */
  const runnerSecrets = {
    ACTIONS_RUNTIME_TOKEN: `e2e-runtime-token-${crypto.randomUUID()}`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: `e2e-oidc-token-${crypto.randomUUID()}`,
  };
  /** @type {NodeJS.ProcessEnv} */
  const jobEnv = {
    PATH: runnerPath(),
    HOME: home,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: payload.repository?.full_name ?? 'e2e-owner/e2e-repo',
    GITHUB_REPOSITORY_OWNER: payload.repository?.owner?.login ?? 'e2e-owner',
    GITHUB_API_URL: githubApiUrl,
    GITHUB_GRAPHQL_URL: `${githubApiUrl}/graphql`,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: cwd,
    GITHUB_SHA: pr?.merge_commit_sha ?? pr?.head?.sha ?? payload.after ?? '0'.repeat(40),
    GITHUB_REF: pr ? `refs/pull/${pr.number}/merge` : (payload.ref ?? 'refs/heads/main'),
    GITHUB_HEAD_REF: pr?.head?.ref ?? '',
    GITHUB_BASE_REF: pr?.base?.ref ?? '',
    GITHUB_ACTOR: payload.sender?.login ?? 'octocat',
    GITHUB_TRIGGERING_ACTOR: payload.sender?.login ?? 'octocat',
    GITHUB_WORKFLOW: 'e2e',
    GITHUB_JOB: 'review',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTION: '__e2e_action',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'e2e-runner',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(tempRoot, 'tool-cache'),
    RUNNER_WORKSPACE: path.dirname(cwd),
    ACTIONS_RUNTIME_URL: 'http://127.0.0.1:9/runtime/',
    ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/results/',
    ACTIONS_CACHE_URL: 'http://127.0.0.1:9/cache/',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/oidc',
    ...runnerSecrets,
    ...options.env,
  };
  const inputs = { ...action.defaults, ...options.inputs };
  for (const [name, value] of Object.entries(inputs)) jobEnv[inputEnvName(name)] = value;

  const mainFiles = createFileCommands(commandsDir);
  const main = await runStep(
    node,
    path.join(actionDir, action.main),
    cwd,
    { ...jobEnv, ...fileCommandEnv(mainFiles) },
    timeoutMs,
    options.onMainSpawn,
  );
  const read = (/** @type {string} */ f) => fs.readFileSync(f, 'utf8');
  const outputs = parseFileCommand(read(mainFiles.output));
  const state = parseFileCommand(read(mainFiles.state));
  const envFile = read(mainFiles.env);
  const pathFile = read(mainFiles.path);
  // What later steps of the job would see between main and post (e.g. the findings file).
  const betweenSteps = await options.afterMain?.({ outputs, state, runnerTemp });

  /** @type {StepResult | undefined} */
  let post;
  const mainOk = main.code === 0;
  const postRuns =
    action.post &&
    (/always\(\)/.test(action.postIf) || (action.postIf.includes('failure()') ? !mainOk : mainOk));
  /** @type {string[]} */
  let postSummary = [];
  if (action.post && postRuns) {
    const applied = Object.fromEntries(
      Object.entries(parseFileCommand(envFile)).filter(([k]) => !BLOCKED_ENV.has(k)),
    );
    const added = pathFile.split(/\r?\n/).filter(Boolean).reverse();
    const postFiles = createFileCommands(commandsDir);
    /** @type {NodeJS.ProcessEnv} */
    const postEnv = { ...jobEnv, ...applied, ...fileCommandEnv(postFiles) };
    postEnv.PATH = [...added, postEnv.PATH].join(path.delimiter);
    for (const [k, v] of Object.entries(state)) postEnv[`STATE_${k}`] = v;
    post = await runStep(node, path.join(actionDir, action.post), cwd, postEnv, timeoutMs);
    postSummary = [read(postFiles.summary)];
  }

  const postResult = post ?? { code: null, signal: null, timedOut: false, stdout: '', stderr: '' };
  const commands = parseWorkflowCommands(`${main.stdout}\n${postResult.stdout}`);
  const log = [main.stdout, main.stderr, postResult.stdout, postResult.stderr].join('');
  return {
    main,
    post: postResult,
    postRan: post !== undefined,
    outputs,
    state,
    summary: [read(mainFiles.summary), ...postSummary].join(''),
    envFile,
    pathFile,
    runnerTemp,
    home,
    tempRoot,
    runnerSecrets,
    betweenSteps,
    ...commands,
    log,
    /** The log as the public sees it: every `::add-mask::` value replaced by ***. */
    maskedLog: mask(log, commands.masks),
    /** Remove the whole temp root (RUNNER_TEMP and the fake HOME). */
    cleanup() {
      fs.rmSync(tempRoot, { recursive: true, force: true });
    },
  };
}
