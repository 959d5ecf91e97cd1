/**
 * A stateful fake of everything the main step touches (src/orchestrator/ports.ts and the teardown's
 * UndoPorts): one `FakeRunner` whose state — the guard's verdict, the checkout credentials, the
 * isolation, the settings file, the key proxy, the agent — changes as the ports are called and is put
 * back by the teardown. The agent's start takes a snapshot of that state, so a test can say what had to
 * be true before the agent ran. Any port can be told to fail (`failAt`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INPUT_DEFAULTS } from '../../src/inputs.js';
import { CHECKOUT_FILE, STATE_KEYS, type StateKey } from '../../src/state.js';
import type { Settings } from '../../src/inputs.js';
import type { RunContext } from '../../src/context.js';
import type { CorePort, MainPorts } from '../../src/orchestrator/ports.js';
import type { MainStepDeps } from '../../src/run.js';
import type { UndoPorts } from '../../src/teardown/undo-all.js';
import type { AgentLauncher, UndoRecord } from '../../src/isolation/launcher.js';
import type { CredentialsBackup } from '../../src/isolation/credentials.js';
import type { KeyProxySummary } from '../../src/isolation/key-proxy-process.js';
import type { PinRecord } from '../../src/isolation/agent-instructions.js';
import type { FileDiff } from '../../src/findings/diff.js';
import { TriggerRefused } from '../../src/policy/trigger-guard.js';
import type { GitHubPort } from '../../src/github/client.js';

/** Every port the fake can fail at, in the order the main step reaches them. */
export const STAGE_PORTS = [
  'applyPolicy',
  'probe',
  'trigger',
  'auditWorkflow',
  'placeReviewedHead',
  'startProgress',
  'prepareProvider',
  'startProxy',
  'loadDiff',
  'pinInstructions',
  'removeCredentials',
  'prepareIsolation',
  'proveStrict',
  'bashHook',
  'writeSettings',
  'createTree',
  'cli',
  'agentRun',
  'knownStrings',
  'toRun',
  'toPullRequest',
] as const;
export type StagePort = (typeof STAGE_PORTS)[number];

/** What was true when the agent started. */
export interface AgentStartSnapshot {
  guardPassed: boolean;
  credentialsOut: boolean;
  isolated: boolean;
  rulesWritten: boolean;
  instructionsPinned: boolean;
  /** The Bash hook's self-test had passed. */
  hookProven: boolean;
  proxyRunning: boolean;
}

const EMPTY_USAGE = { byModel: {}, costUsd: 0.01, requests: 1, refused: 0, unmetered: 0 };

export class FakeRunner {
  readonly log: string[] = [];
  readonly warnings: string[] = [];
  readonly outputs: Record<string, string> = {};
  readonly state: Record<string, string> = {};
  failed?: string;
  /** The port that throws (or, for 'trigger', refuses the run). */
  failAt?: StagePort;
  /** The agent never ends (main is killed while it runs; the post step has to clean up). */
  hangAgent = false;
  /** Make the trigger guard refuse the actor instead of throwing an error. */
  refuseTrigger = false;
  /** The progress note is up this many ms after it is asked for (it is posted beside the set-up). */
  progressDelayMs = 0;
  /** The capability probes take this many ms (they run beside the trigger guard). */
  probeDelayMs = 0;
  /** Delivery was handed the earlier comments' read (started beside the gate). */
  earlierGiven = false;
  level: 'strict' | 'sandbox' | 'rules-only' = 'strict';
  // The world's state.
  guardPassed = false;
  credentialsOut = false;
  isolated = false;
  rulesWritten = false;
  instructionsPinned = false;
  hookProven = false;
  checkoutMoved = false;
  proxyRunning = false;
  agentRunning = false;
  agentStart?: AgentStartSnapshot;
  /** The saved state (as the post step would see it: STATE_* variables) when the agent started. */
  stateAtAgentStart?: NodeJS.ProcessEnv;
  readonly runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'cg-fake-runner-'));
  readonly eventFile = path.join(this.runnerTemp, 'event.json');
  inputs: Record<string, string> = {
    'anthropic-api-key': 'sk-ant-fake-key-000000000000',
    'github-token': 'ghs_fakeFakeFakeFakeFakeFakeFake0000',
  };
  diff: FileDiff[] = [
    { path: 'src/app.js', status: 'modified', hunks: [], addedLines: new Set([1]) } as unknown as FileDiff,
    { path: 'CLAUDE.md', status: 'modified', hunks: [], addedLines: new Set() } as unknown as FileDiff,
  ];

  constructor() {
    writeFileSync(
      this.eventFile,
      JSON.stringify({
        pull_request: {
          number: 7,
          title: 'Add div',
          body: 'please review',
          base: { sha: 'a'.repeat(40) },
          head: { sha: 'b'.repeat(40), ref: 'feature', repo: { full_name: 'o/r' } },
        },
      }),
    );
  }

  private step(name: StagePort | string): void {
    this.log.push(name);
    if (name === this.failAt) throw new Error(`fake: ${name} failed`);
  }

  readonly env: NodeJS.ProcessEnv = {
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKSPACE: '/work/repo',
    HOME: '/home/runner',
    PATH: '/usr/bin:/bin',
  };

  readonly core: CorePort = {
    getInput: (name) => this.inputs[name] ?? INPUT_DEFAULTS[name] ?? '',
    setSecret: () => undefined,
    info: () => undefined,
    notice: () => undefined,
    warning: (m) => void this.warnings.push(m),
    error: (m) => void this.warnings.push(m),
    setOutput: (name, value) => void (this.outputs[name] = value),
    setFailed: (m) => void (this.failed = m),
    saveState: (key, value) => void (this.state[key] = value),
  };

  private launcher(): AgentLauncher {
    const undo: UndoRecord = { version: 1, level: this.level, dirs: [], acls: [], modes: [] };
    const root = path.join(this.runnerTemp, 'agent');
    return {
      level: this.level,
      agentDir: root,
      cwd: '/work/repo',
      paths: {
        root,
        home: `${root}/home`,
        configDir: `${root}/config`,
        tmpDir: `${root}/tmp`,
        settingsFile: `${root}/settings.json`,
      },
      uid: this.level === 'strict' ? 1234 : undefined,
      undo,
      wrap: (command, args, env) => ({ command, args, env }),
      writeSettings: async () => {
        this.step('writeSettings');
        this.rulesWritten = true;
      },
      killAll: async () => undefined,
      teardown: async () => undo,
    };
  }

  ports(_settings: Settings, _ctx: RunContext): MainPorts {
    const backup: CredentialsBackup = { version: 1, files: [], credentialFiles: [] };
    return {
      core: this.core,
      env: this.env,
      github: {} as GitHubPort, // present: the pull request is delivered to (deliver.toPullRequest)
      applyPolicy: async (settings) => {
        this.step('applyPolicy');
        return { settings };
      },
      guard: {
        probe: async () => {
          this.step('probe');
          await new Promise((resolve) => setTimeout(resolve, this.probeDelayMs));
          this.log.push('probe.done');
          const strict = this.level === 'strict';
          return {
            isLinux: true,
            isRoot: true,
            sudoWorks: true,
            useraddWorks: strict,
            aclWorks: strict,
            iptablesWorks: strict,
            ip6tablesWorks: strict,
            bwrapWorks: this.level !== 'rules-only',
            worldWorks: strict,
          };
        },
        trigger: async () => {
          if (this.refuseTrigger) {
            this.log.push('trigger');
            throw new TriggerRefused('fake: the actor may not run this', true);
          }
          this.step('trigger');
          this.guardPassed = true;
          return { readOnly: false };
        },
        workflowRunPull: async (ctx) => {
          this.log.push('workflowRunPull');
          return ctx;
        },
        auditWorkflow: async () => {
          this.step('auditWorkflow');
          return { markdown: '', notes: [] };
        },
      },
      provider: {
        prepare: async () => {
          this.step('prepareProvider');
          return { proxy: { upstream: 'https://api.anthropic.com', apiKey: 'k' }, secrets: [], hidden: [] };
        },
        startProxy: async () => {
          this.step('startProxy');
          this.proxyRunning = true;
          return {
            url: 'http://127.0.0.1:4567',
            token: 'proxy-token-0000000000000000',
            pid: 4242,
            usage: () => EMPTY_USAGE,
            audit: () => [],
            stop: async (): Promise<KeyProxySummary> => {
              this.log.push('proxy.stop');
              this.proxyRunning = false;
              return { usage: EMPTY_USAGE, audit: [], exitCode: 0, signal: null };
            },
          };
        },
      },
      workspace: {
        git: async () => '/usr/bin/git',
        loadDiff: async () => {
          this.step('loadDiff');
          return { files: this.diff, notes: [] };
        },
        fixablePaths: async (diff) => diff.map((f) => f.path),
        pinInstructions: async (changed, baseSha) => {
          this.step('pinInstructions');
          this.instructionsPinned = true;
          return {
            version: 1,
            workspace: '/work/repo',
            backupDir: baseSha,
            files: changed.map((p) => ({ path: p }) as unknown as PinRecord['files'][number]),
          };
        },
        commitSubjects: async () => ['Add div'],
        // As on an on-demand comment run: the PR's head checked out, the job's checkout to be put back.
        placeReviewedHead: async (_onDemand, runDir) => {
          this.step('placeReviewedHead');
          this.checkoutMoved = true;
          writeFileSync(path.join(runDir, CHECKOUT_FILE), '{}', { mode: 0o600 }); // for the post step
          return async () => {
            this.log.push('undo.checkout');
            this.checkoutMoved = false;
          };
        },
        reviewScope: async () => undefined,
        guidance: async () => undefined,
        removeCredentials: async () => {
          this.step('removeCredentials');
          this.credentialsOut = true;
          return backup;
        },
        knownStrings: async () => {
          this.step('knownStrings');
          return new Set<string>();
        },
      },
      isolation: {
        prepare: async () => {
          this.step('prepareIsolation');
          this.isolated = true;
          return this.launcher();
        },
        proveStrict: async () => {
          this.step('proveStrict');
          return [{ expected: 'blocked' }];
        },
      },
      bashHook: () => {
        this.log.push('bashHook');
        // The self-test runs beside the set-up: its verdict arrives later, and only then may the agent start.
        const proven = new Promise<void>((resolve, reject) =>
          setTimeout(() => {
            this.log.push('bashHook.proven');
            if (this.failAt === 'bashHook') reject(new Error('fake: bashHook failed'));
            else {
              this.hookProven = true;
              resolve();
            }
          }, 5),
        );
        proven.catch(() => undefined);
        return { commandLine: '/usr/bin/node /action/dist/hook/index.js', proven };
      },
      agent: {
        createTree: () => {
          this.step('createTree');
          return { marker: 'cg-00000000-0000-4000-8000-000000000000' };
        },
        cli: async () => {
          this.step('cli');
          return '/opt/claude';
        },
        run: async (p) => {
          this.agentStart = {
            guardPassed: this.guardPassed,
            credentialsOut: this.credentialsOut,
            isolated: this.isolated,
            rulesWritten: this.rulesWritten,
            instructionsPinned: this.instructionsPinned,
            hookProven: this.hookProven,
            proxyRunning: this.proxyRunning,
          };
          this.agentRunning = true;
          p.onSpawn?.(5151);
          this.stateAtAgentStart = this.postEnv();
          if (this.hangAgent) return new Promise<never>(() => undefined);
          this.step('agentRun');
          p.onLine(
            JSON.stringify({
              type: 'result',
              subtype: 'success',
              is_error: false,
              num_turns: 1,
              total_cost_usd: 0.01,
              structured_output: { summary: 'fine', findings: [] },
            }),
          );
          this.agentRunning = false;
          return { code: 0, signal: null, timedOut: false, durationMs: 10, stderrTail: '' };
        },
      },
      fileCommands: {
        snapshot: () => [],
        verify: () => [],
        discard: () => undefined,
      },
      fix: {
        workspaceGit: () => ({}) as never,
        baseline: async () => ({ head: 'b'.repeat(40) }) as never,
        check: async () => Buffer.alloc(0),
        deliver: async () => [],
      },
      deliver: {
        startProgress: async () => {
          this.step('startProgress');
          await new Promise((resolve) => setTimeout(resolve, this.progressDelayMs));
          this.log.push('progress.posted');
          return {
            url: 'https://github.com/o/r/pull/7#issuecomment-1',
            finish: async (ok) => void this.log.push(`progress.finish:${ok}`),
          };
        },
        toRun: () => {
          this.step('toRun');
          return path.join(this.runnerTemp, 'claude-guard.sarif');
        },
        readEarlier: async () => {
          this.log.push('readEarlier');
          return { comments: [], threads: [], logins: new Set<string>() };
        },
        toPullRequest: async (_pr, _sha, gate, _body, _mayResolve, earlier) => {
          this.step('toPullRequest');
          this.earlierGiven = earlier !== undefined;
          return { notes: [], gate };
        },
      },
      withContext: (ctx) => this.ports(_settings, ctx),
      // The run directory is a real temporary directory: what main writes there, post reads back.
      writeFile: (file, data) => writeFileSync(file, data, { mode: 0o600 }),
      writeJobSummary: async () => undefined,
    };
  }

  readonly undoPorts: UndoPorts = {
    killGroup: (pgid) => {
      this.log.push(`undo.killGroup ${pgid}`);
      this.agentRunning = false;
      return false;
    },
    endTree: async () => {
      this.log.push('undo.endTree');
      this.agentRunning = false;
      return 0;
    },
    undoIsolation: async () => {
      this.log.push('undo.isolation');
      this.isolated = false;
      return [];
    },
    isolationAlreadyUndone: () => false,
    restoreHiddenFiles: () => {
      this.log.push('undo.hiddenFiles');
      return undefined;
    },
    restoreInstructions: async () => {
      this.log.push('undo.instructions');
      this.instructionsPinned = false;
    },
    restoreCredentials: async () => {
      this.log.push('undo.credentials');
      this.credentialsOut = false;
      return [];
    },
    openSealed: () => ({ version: 1, files: [], credentialFiles: [] }),
    removeFile: () => undefined,
    restoreCheckout: async () => {
      this.log.push('undo.checkout');
      this.checkoutMoved = false;
      return "the job's checkout is main again";
    },
    killProxy: (pid) => {
      this.log.push(`undo.killProxy ${pid}`);
      this.proxyRunning = false;
      return `killed leftover key proxy ${pid}`;
    },
    removeRunDir: (dir) => {
      this.log.push('undo.removeRunDir');
      return `removed ${dir}`;
    },
  };

  deps(): MainStepDeps {
    return {
      core: this.core,
      env: { ...this.env, RUNNER_TEMP: this.runnerTemp, GITHUB_EVENT_PATH: this.eventFile },
      ports: (settings, ctx) => this.ports(settings, ctx),
      report: { core: this.core, writeFile: () => undefined, writeJobSummary: async () => undefined },
      undoPorts: this.undoPorts,
      onCancel: () => () => undefined,
    };
  }

  /** The environment a post step would get now: RUNNER_TEMP and the saved state as STATE_*. */
  postEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { RUNNER_TEMP: this.runnerTemp };
    for (const [key, value] of Object.entries(this.state))
      env[`STATE_${STATE_KEYS[key as StateKey]}`] = value;
    return env;
  }

  /** Everything the run set up is back as it was. */
  leftovers(): string[] {
    const left: string[] = [];
    if (this.credentialsOut) left.push('checkout credentials still out of .git/config');
    if (this.isolated) left.push('isolation not undone');
    if (this.instructionsPinned) left.push("PR's instruction files still pinned");
    if (this.proxyRunning) left.push('key proxy still running');
    if (this.agentRunning) left.push('agent still running');
    if (this.checkoutMoved) left.push("the job's checkout not put back");
    return left;
  }
}
