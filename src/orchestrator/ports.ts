/**
 * The side effects of the main step, as small injected ports (after actions/cache's
 * `restoreImpl(stateProvider)`): `execute(plan, ports)` (execute.ts) reaches the runner, git, GitHub,
 * the key proxy and the agent only through these. real-ports.ts wires the real modules; the stage tests
 * (__tests__/unit/orchestrator.test.ts) pass stateful fakes that check the order of the security stages.
 * Each port is one stage's effect; the decisions stay in the pure modules they call.
 */
import type { Settings } from '../inputs.js';
import type { RunContext } from '../context.js';
import type { StateKey } from '../state.js';
import type { GitHubPort } from '../github/client.js';
import type { Capabilities } from '../isolation/preflight.js';
import type { IsolationLevel } from '../core.js';
import type { RunConstraints, WorkflowAudit } from '../guard.js';
import type { PreparedProvider, ProviderProxyConfig } from '../providers/setup.js';
import type { KeyProxyProcess } from '../isolation/key-proxy-process.js';
import type { DiffPlan, DiffSource } from '../diff-source.js';
import type { FileDiff } from '../findings/diff.js';
import type { PinRecord } from '../isolation/agent-instructions.js';
import type { CredentialsBackup } from '../isolation/credentials.js';
import type { AgentLauncher, IsolationContext } from '../isolation/launcher.js';
import type { ProcessTree } from '../agent/process-tree.js';
import type { ClaudeExit, ClaudeProcess } from '../agent/claude-cli.js';
import type { Baseline, WorkspaceGit } from '../fix/change-check.js';
import type { FileCommandSnapshot, Tampering } from '../isolation/file-commands.js';
import type { Finding } from '../findings/schema.js';
import type { GateResult } from '../report/types.js';
import type { PullDelivery } from '../deliver.js';
import type { StrictPaths } from '../isolation/preflight.js';
import type { PullRef } from '../github/client.js';
import type { BashHook, Wrap } from '../policy/hook-setup.js';
import type { OnDemand } from '../triggers/on-demand.js';
import type { ReviewScope } from '../review-range.js';
import type { ReviewScopeSetting } from '../review-scope.js';
import type { Progress, ProgressInput } from '../report/progress.js';
import type { EarlierComments } from '../report/review-sync.js';

/** The part of @actions/core the main step uses (outputs, masking, annotations, state). */
export interface CorePort {
  getInput(name: string): string;
  setSecret(value: string): void;
  info(message: string): void;
  notice(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  setOutput(name: string, value: string): void;
  setFailed(message: string): void;
  saveState(key: StateKey, value: string): void;
}

export interface MainPorts {
  core: CorePort;
  /** The job's environment (read, never changed). */
  env: NodeJS.ProcessEnv;
  /** GitHub, when the run has a pull request or runs on Actions. */
  github?: GitHubPort;
  /** Stage 2: the organisation's policy merged over the inputs (`summary` for the job summary). */
  applyPolicy(settings: Settings): Promise<{ settings: Settings; summary?: string }>;
  /** Stage 3: may the run go ahead? */
  guard: {
    /** The machine's isolation prerequisites for `levels` (every level when omitted). */
    probe(levels?: IsolationLevel[]): Promise<Capabilities>;
    trigger(settings: Settings, strongest: () => Promise<IsolationLevel>): Promise<RunConstraints>;
    /** workflow_run (the fork-safe pattern): the run's context with the pull request, verified. */
    workflowRunPull(ctx: RunContext): Promise<RunContext>;
    auditWorkflow(settings: Settings): Promise<WorkflowAudit>;
  };
  /** The provider's credential (masked here) and the key proxy it goes to. */
  provider: {
    prepare(settings: Settings, runDir: string): Promise<PreparedProvider>;
    startProxy(settings: Settings, config: ProviderProxyConfig): Promise<KeyProxyProcess>;
  };
  /** Stage 4–5: what changed, and the checkout made safe for the agent. */
  workspace: {
    git(): Promise<string>;
    loadDiff(plan: Exclude<DiffPlan, { kind: 'refuse' }>): Promise<DiffSource>;
    fixablePaths(diff: FileDiff[], notes: string[]): Promise<string[]>;
    pinInstructions(changed: string[], baseSha: string, runDir: string, git: string): Promise<PinRecord>;
    /**
     * An on-demand comment run: the pull request's head checked out (triggers/workspace.ts); returns
     * how to put the job's checkout back, or undefined when nothing moved.
     */
    placeReviewedHead(
      onDemand: OnDemand | undefined,
      runDir: string,
      notes: string[],
    ): Promise<(() => Promise<void>) | undefined>;
    /** What the agent is asked to review: the whole PR or the commits since the last review. */
    reviewScope(
      settings: Settings,
      diff: FileDiff[],
      git: string,
      requested: ReviewScopeSetting | undefined,
    ): Promise<ReviewScope | undefined>;
    commitSubjects(git: string, range: string): Promise<string[]>;
    guidance(git: string, base: string, files: string[], notes: string[]): Promise<string | undefined>;
    removeCredentials(git: string): Promise<CredentialsBackup>;
    /** Which of `candidates` the repository's own files at `revs` hold (the findings backstop). */
    knownStrings(git: string, revs: string[], candidates: string[]): Promise<Set<string>>;
  };
  /** Stage 7: the isolation level prepared and (strict) proven. */
  isolation: {
    /** The real port adds where the action's hook bundle and install are (hookDir, actionDir). */
    prepare(
      level: IsolationLevel,
      ctx: Omit<IsolationContext, 'system' | 'hookDir' | 'actionDir'>,
    ): Promise<AgentLauncher>;
    proveStrict(options: {
      launcher: AgentLauncher;
      proxyPort: number;
      mode: 'review' | 'custom';
      paths: StrictPaths;
    }): Promise<{ expected: string }[]>;
  };
  /**
   * Stage 8: the Bash PreToolUse hook's command line, and its self-test as the agent running beside the
   * set-up (policy/hook-setup.ts; at rules-only and sandbox a hook that does not refuse fails the run).
   */
  bashHook(
    allowRules: readonly string[],
    level: IsolationLevel,
    wrap: Wrap,
    world?: { node: string; script: string },
  ): BashHook;
  /** Stage 10: the agent. */
  agent: {
    createTree(): ProcessTree;
    /** The CLI to run: input 'claude-path' checked, or the pinned version installed. */
    cli(settings: Settings, runDir: string): Promise<string>;
    run(process: ClaudeProcess): Promise<ClaudeExit>;
  };
  /** Stage 11: the runner's file commands, before and after the agent. */
  fileCommands: {
    snapshot(): FileCommandSnapshot;
    verify(before: FileCommandSnapshot): Tampering[];
    discard(before: FileCommandSnapshot): void;
  };
  /** Stage 12: fix mode. */
  fix: {
    /** `tree`: the tree the agent edits (the workspace, or at strict its own copy). */
    workspaceGit(git: string, tree: string): WorkspaceGit;
    baseline(tree: string, wsGit: WorkspaceGit): Promise<Baseline>;
    check(
      tree: string,
      wsGit: WorkspaceGit,
      baseline: Baseline,
      fixPaths: string[],
      credentials: CredentialsBackup | undefined,
    ): Promise<Buffer>;
    deliver(
      patch: Buffer,
      head: string,
      settings: Settings,
      diff: FileDiff[],
      runDir: string,
      notes: string[],
    ): Promise<Finding[]>;
  };
  /** Stage 15: where the findings go. */
  deliver: {
    /** The "reviewing…" summary comment on the pull request (report/progress.ts). */
    startProgress(pull: PullRef, input: ProgressInput): Promise<Progress | undefined>;
    toRun(gate: GateResult, runDir: string): string;
    /** What earlier runs posted on the pull request (report/review-sync.ts), read beside the gate. */
    readEarlier(pr: PullRef): Promise<EarlierComments>;
    toPullRequest(
      pr: PullRef,
      headSha: string,
      gate: GateResult,
      summaryBody: (notes: string[], gate: GateResult, ids: ReadonlyMap<Finding, number>) => string,
      mayResolve?: ReviewScope['mayResolve'],
      earlier?: Promise<EarlierComments>,
    ): Promise<PullDelivery>;
  };
  /** The same ports for another context (workflow_run: once its pull request is verified). */
  withContext(ctx: RunContext): MainPorts;
  /** A file of the action's run directory (0600). */
  writeFile(file: string, data: string | Buffer): void;
  /** The job summary (GITHUB_STEP_SUMMARY). */
  writeJobSummary(markdown: string): Promise<void>;
}
