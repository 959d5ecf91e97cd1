/**
 * Types for the end-to-end harness (plain ESM JavaScript in this folder, so scripts can use it too).
 * TypeScript resolves `./support/index.mjs` to this file.
 */
import type { IncomingHttpHeaders } from 'node:http';

// ---- model-server.mjs ----
export interface ToolUse {
  name: string;
  input: Record<string, unknown>;
  /** Fixed tool_use id (default toolu_NNNN), so a script can find its result later. */
  id?: string;
}
export interface Usage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}
/** One scripted model turn. text and tool uses may be combined; status/hang answer instead of a message. */
export interface Turn {
  toolUse?: ToolUse;
  toolUses?: ToolUse[];
  text?: string;
  /** The StructuredOutput tool call (the --json-schema answer). */
  structured?: Record<string, unknown>;
  /** An API error in Anthropic's error shape (body replaces the default error JSON). */
  status?: number;
  body?: unknown;
  /** Accept the request and never answer. */
  hang?: boolean;
  /** Merged into the reported usage. */
  usage?: Usage;
  /** Extra response headers of a `status` answer (e.g. retry-after). */
  headers?: Record<string, string>;
  /** A broken 200 stream: cut after message_start, data that is not JSON, or one byte per second. */
  fault?: 'cut' | 'malformed-sse' | 'drip';
}
export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON for /v1/messages*, else the raw text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** A request that offered tools: it consumed a turn of the script. */
  mainLoop: boolean;
  turn?: number;
}
export interface ToolResult {
  tool_use_id: string;
  /** Text content, array content joined with newlines. */
  content: string;
  is_error: boolean;
}
export interface ScriptContext {
  /** 0-based index of this main-loop request. */
  turn: number;
  requests: RecordedRequest[];
  /** Every tool_result in this request's conversation. */
  toolResults: ToolResult[];
  /** The user prompt (last text block of the first user message). */
  prompt: string;
  /** The CLI's working directory, from its system prompt. */
  cwd: string | undefined;
  hasTool(name: string): boolean;
}
export type ScriptFunction = (request: RecordedRequest, ctx: ScriptContext) => Turn;
export type Script = Turn[] | ScriptFunction;
export interface ModelServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (use as ANTHROPIC_BASE_URL / anthropic-base-url). */
  url: string;
  requests: RecordedRequest[];
  /** Script mistakes (unknown turn shape, a throwing script), answered with a 500. */
  errors: string[];
  /** Main-loop requests answered so far. */
  readonly turns: number;
  setScript(script: Script): void;
  close(): Promise<void>;
}
export function startModelServer(options?: { script?: Script; port?: number }): Promise<ModelServer>;
export function toolResults(requests: RecordedRequest[]): ToolResult[];
export interface ReviewScriptOptions {
  /** Default 'git diff HEAD~1'. */
  diffCommand?: string;
  /** File to review when the diff cannot be read (or to prefer when it can). */
  path?: string;
  line?: number;
  severity?: string;
  title?: string;
  body?: string;
  /** Fallback working directory for the Read path. */
  cwd?: string;
}
export function defaultReviewScript(options?: ReviewScriptOptions): ScriptFunction;

// ---- github-fake.mjs ----
export interface PullFile {
  filename: string;
  status: string;
  patch?: string;
  previous_filename?: string;
  additions?: number;
  deletions?: number;
  changes?: number;
  sha?: string;
}
export interface PullSpec {
  number: number;
  headSha: string;
  baseSha: string;
  files: PullFile[];
  title?: string;
  body?: string;
  author?: string;
  headRef?: string;
  baseRef?: string;
  /** owner/name of the head repository (a fork when it differs). */
  headRepo?: string;
  /** 'open' unless set. */
  state?: 'open' | 'closed';
}
export interface GitHubUser {
  login: string;
  id: number;
  type: string;
}
export interface IssueComment {
  id: number;
  node_id: string;
  body: string;
  user: GitHubUser;
  created_at: string;
  updated_at: string;
  html_url: string;
}
export interface ReviewComment {
  id: number;
  node_id: string;
  pull_request_review_id: number;
  path: string;
  line: number | null;
  side: string;
  start_line: number | null;
  start_side: string | null;
  body: string;
  commit_id: string;
  user: GitHubUser;
  author_association: string;
  created_at: string;
  updated_at: string;
  html_url: string;
  /** Set on a reply: the thread's first comment. */
  in_reply_to_id?: number;
}
/** A review thread (GraphQL): every review comment starts one. */
export interface ReviewThread {
  /** Stable node id, PRRT_<comment id>. */
  id: string;
  comment_id: number;
  isResolved: boolean;
}
export interface Review {
  id: number;
  node_id: string;
  user: GitHubUser;
  body: string;
  /** COMMENTED, APPROVED, CHANGES_REQUESTED or PENDING. */
  state: string;
  commit_id: string;
  submitted_at: string;
  html_url: string;
  comments: ReviewComment[];
}
export interface GitHubRequest {
  method: string;
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  operationId?: string;
  status: number;
}
export interface Failure {
  method: string;
  url: string;
  status: number;
  message: string;
}
export interface GitHubFakeOptions {
  owner: string;
  repo: string;
  pull: PullSpec;
  /** Accepted as `token X` or `Bearer X`; default a fixed fake installation token. */
  token?: string;
  /** The OpenAPI description (object or file path); default __tests__/fixtures/github-openapi.json. */
  spec?: string | object;
  permissions?: { 'pull-requests'?: 'write' | 'read' };
  /** login → permission for collaborators/{user}/permission; others get 'none'. */
  collaborators?: Record<string, string>;
  /** Comments already on the pull request. */
  issueComments?: { body: string; user?: string }[];
  /** Inline comments already on the pull request, each in its own thread (a login ending in [bot] is a Bot). */
  reviewComments?: { path: string; line: number | null; body: string; user?: string; resolved?: boolean }[];
  /** Author of what the action posts; default github-actions[bot]. */
  botLogin?: string;
  /** Default true: a body field the schema does not name is a 422 (GitHub would ignore it silently). */
  rejectUnknownFields?: boolean;
  port?: number;
  /** Every answer is sent this many ms late (a bench's stand-in for the real API's round trip). */
  latencyMs?: number;
  /** Injected answers: the first `times` (default: every) requests of the operation get this status. */
  faults?: GitHubFault[];
}
export interface GitHubFault {
  operationId: string;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
}
export interface GitHubFake {
  url: string;
  token: string;
  requests: GitHubRequest[];
  /** Requests the real GitHub would refuse (or the fake cannot serve): empty in a happy path. */
  failures: Failure[];
  /**
   * Bodies of POST /graphql. The review-thread query and the resolveReviewThread mutation are answered
   * from `state` (FORBIDDEN for the mutation with a read-only token); anything else gets { data: {} }.
   */
  graphql: unknown[];
  state: {
    reviews: Review[];
    issueComments: IssueComment[];
    reviewComments: ReviewComment[];
    reviewThreads: ReviewThread[];
  };
  close(): Promise<void>;
}
export function startGitHubFake(options: GitHubFakeOptions): Promise<GitHubFake>;
/** Why GitHub would refuse this review comment's anchor (empty when it is fine). */
export function anchorErrors(
  comment: {
    path: string;
    line?: number;
    side?: string;
    start_line?: number;
    start_side?: string;
    position?: number;
  },
  files: PullFile[],
): string[];

// ---- runner.mjs ----
export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}
export interface RunnerDirs {
  tempRoot: string;
  runnerTemp: string;
  home: string;
}
export interface RunActionOptions {
  /** The action's root (action.yml, dist/). */
  actionDir: string;
  /** By action.yml input name; action.yml defaults fill the rest. */
  inputs?: Record<string, string>;
  /** Extra job environment (overrides the runner's). */
  env?: Record<string, string>;
  /** The workspace (GITHUB_WORKSPACE, the steps' cwd). */
  cwd: string;
  event: { name: string; payload: Record<string, unknown> };
  githubApiUrl: string;
  /** Value of `${{ github.token }}` in action.yml defaults. */
  githubToken?: string;
  /** Default process.env.E2E_NODE, else the running node. */
  node?: string;
  /** Per step; the step's process group is killed at the limit. Default 5 minutes. */
  timeoutMs?: number;
  /** Called before the main step, e.g. to plant files in HOME or RUNNER_TEMP. */
  setup?: (dirs: RunnerDirs) => void | Promise<void>;
  /** Called with the main step's pid as soon as it runs (to signal it mid-run). */
  onMainSpawn?: (pid: number) => void;
  /** Called between the main and the post step, as a later step of the job would run; its result is `betweenSteps`. */
  afterMain?: (r: {
    outputs: Record<string, string>;
    state: Record<string, string>;
    runnerTemp: string;
  }) => unknown;
}
export interface ActionRun extends RunnerDirs {
  main: StepResult;
  /** Empty (code null) when the post step did not run. */
  post: StepResult;
  postRan: boolean;
  /** From the main step's GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** From the main step's GITHUB_STATE (given to post as STATE_<name>). */
  state: Record<string, string>;
  /** Main then post GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The main step's GITHUB_ENV and GITHUB_PATH files as written (applied to the post step). */
  envFile: string;
  pathFile: string;
  /** Runner-only credentials put in the job env (ACTIONS_RUNTIME_TOKEN, ...): must never leak. */
  runnerSecrets: Record<string, string>;
  /** What afterMain returned. */
  betweenSteps: unknown;
  /** From `::add-mask::`, `::error::`, `::warning::` on stdout of both steps. */
  masks: string[];
  errors: string[];
  warnings: string[];
  /** stdout + stderr of main, then of post. */
  log: string;
  /** log with every masked value replaced by *** (what the public log shows). */
  maskedLog: string;
  /** Remove tempRoot. */
  cleanup(): void;
}
export function runAction(options: RunActionOptions): Promise<ActionRun>;
export function parseFileCommand(text: string): Record<string, string>;
export function parseWorkflowCommands(stdout: string): {
  masks: string[];
  errors: string[];
  warnings: string[];
};
export function inputEnvName(name: string): string;

// ---- git-repo.mjs ----
/** path → content; null deletes the file. */
export type FileChanges = Record<string, string | null>;
export interface PullFileItem {
  sha: string;
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  previous_filename?: string;
}
export interface PullRepo {
  /** The workspace: HEAD detached at headSha. */
  dir: string;
  baseSha: string;
  headSha: string;
  /** GitHub pulls/files items from `git diff base...head`. */
  files: PullFileItem[];
  /** A later push to the PR: commit `changes` on the head; headSha and files follow. */
  push(changes: FileChanges, message?: string): void;
  cleanup(): void;
}
export function createPullRepo(spec: {
  base: FileChanges;
  head: FileChanges;
  extraHeadCommits?: { files: FileChanges; message?: string }[];
  headMessage?: string;
}): PullRepo;
export function git(dir: string, args: string[]): string;

// ---- diff-lines.mjs ----
export interface Hunk {
  right: Set<number>;
  left: Set<number>;
  added: number[];
}
export function parseHunks(patch: string | undefined): Hunk[];
export interface DiffFile {
  path: string;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  previousPath?: string;
  patch: string;
}
export function splitGitDiff(diff: string): DiffFile[];
