/**
 * The workflow's shape, as far as the rules need it: triggers, jobs, steps, which of them run
 * claude-guard, and where in the source a match inside a scalar sits.
 */
import type { LineCounter } from 'yaml';
import type { AuditFinding, AuditOptions } from './types.js';
import {
  asMap,
  asScalar,
  asSeq,
  entry,
  Unreadable,
  type Entry,
  type MapNode,
  type ScalarNode,
} from './tree.js';

export interface Step {
  node: MapNode;
  /** The `uses:` value, trimmed (a block scalar `uses: |` ends in a newline). */
  uses?: string;
  /** The line of the `uses:` value's text (the line after `uses: |` for a block scalar). */
  usesLine: number;
  run?: ScalarNode;
  isAgent: boolean;
}
export interface Job {
  id: string;
  line: number;
  node: MapNode;
  /** A reusable-workflow call: the job's own `uses:`. */
  call?: { uses: string; line: number };
  steps: Step[];
  /** Index of the first claude-guard step, or -1. */
  agentIndex: number;
  /** Runs claude-guard: a matching step, or the job named by GITHUB_JOB. */
  isAgent: boolean;
}
export interface Workflow {
  root: MapNode;
  source: string;
  lc: LineCounter;
  triggers: Array<{ name: string; line: number }>;
  jobs: Job[];
}

/** `$/x` is GitHub's self-repository form of `./x`. */
const normaliseRef = (s: string) =>
  s.trim().toLowerCase().replace(/^\$\//, './').replace(/@.*$/, '').replace(/\/+$/, '');

/** A reference into the workflow's own repository (`./path` or the self-repository form `$/path`). */
export const isLocalUses = (uses: string) => /^(?:\.|\$)\//.test(uses);

export function isAgentUses(uses: string, actionRef?: string): boolean {
  if (/claude-guard/i.test(uses)) return true;
  return actionRef !== undefined && actionRef.trim() !== '' && normaliseRef(uses) === normaliseRef(actionRef);
}

/** A `uses:` entry's value, trimmed, and the line its text starts on. */
function readUses(wf: { source: string; lc: LineCounter }, e: Entry | undefined) {
  const s = asScalar(e?.value);
  if (!e || !s) return undefined;
  const uses = s.value.trim();
  let line = e.line;
  if (s.span && uses !== '') {
    const at = wf.source.slice(s.span[0], s.span[1]).indexOf(uses.split('\n')[0]);
    if (at >= 0) line = wf.lc.linePos(s.span[0] + at).line;
  }
  return { uses, line };
}

function readTriggers(on: Entry | undefined): Workflow['triggers'] {
  if (!on) return [];
  const v = on.value;
  if (v.kind === 'scalar') return [{ name: v.value, line: v.line }];
  if (v.kind === 'seq')
    return v.items.flatMap((i) => (i.kind === 'scalar' ? [{ name: i.value, line: i.line }] : []));
  return v.entries.map((e) => ({ name: e.key, line: e.line }));
}

export function readWorkflowShape(
  root: MapNode,
  source: string,
  lc: LineCounter,
  opts: AuditOptions,
): Workflow {
  const jobsMap = asMap(entry(root, 'jobs')?.value);
  if (!jobsMap) throw new Unreadable('it has no `jobs:` mapping', entry(root, 'jobs')?.line);
  const jobs = jobsMap.entries.flatMap((e): Job[] => {
    const node = asMap(e.value);
    if (!node) return [];
    const steps = (asSeq(entry(node, 'steps')?.value)?.items ?? []).flatMap((s): Step[] => {
      const stepMap = asMap(s);
      if (!stepMap) return [];
      const read = readUses({ source, lc }, entry(stepMap, 'uses'));
      const uses = read?.uses;
      return [
        {
          node: stepMap,
          uses,
          usesLine: read?.line ?? stepMap.line,
          run: asScalar(entry(stepMap, 'run')?.value),
          isAgent: uses !== undefined && isAgentUses(uses, opts.actionRef),
        },
      ];
    });
    const agentIndex = steps.findIndex((s) => s.isAgent);
    const isAgent = opts.everyJob === true || agentIndex >= 0 || e.key === opts.jobId;
    const call = readUses({ source, lc }, entry(node, 'uses'));
    return [{ id: e.key, line: e.line, node, call, steps, agentIndex, isAgent }];
  });
  return { root, source, lc, triggers: readTriggers(entry(root, 'on')), jobs };
}

export type Find = (t: string) => Array<{ index: number; text: string }>;

/**
 * Where `find` matches in `s`, one hit per line: the matches are searched in the parsed value (the
 * truth) and then in the scalar's source text, so a match inside a `run: |` block points at its own
 * line. When the source cannot be searched (inside an alias, behind an escape), the scalar's line.
 */
export function matchLines(wf: Workflow, s: ScalarNode, find: Find): Array<{ line: number; text: string }> {
  const inValue = find(s.value);
  if (inValue.length === 0) return [];
  const hits = new Map<number, string>();
  if (s.span) {
    const start = s.span[0];
    for (const m of find(wf.source.slice(start, s.span[1]))) {
      const line = wf.lc.linePos(start + m.index).line;
      if (!hits.has(line)) hits.set(line, m.text);
    }
  }
  if (hits.size === 0) return [{ line: s.line, text: inValue[0].text }];
  return [...hits].map(([line, text]) => ({ line, text }));
}

export const regexFinder =
  (re: RegExp): Find =>
  (t) =>
    [...t.matchAll(new RegExp(re.source, `${re.flags}g`))].map((m) => ({
      index: m.index,
      text: m[0].trim(),
    }));

/** One rule: the workflow in, its findings out. */
export type Finder = (wf: Workflow, opts: AuditOptions) => AuditFinding[];

/** The workflow can only be called by another (`on: workflow_call` and nothing else). */
export const isReusableOnly = (wf: Workflow) =>
  wf.triggers.length > 0 && wf.triggers.every((t) => t.name === 'workflow_call');

/** Triggers that run with the base repository's secrets and token on work a fork controls. */
export const PRIVILEGED = new Set(['pull_request_target', 'workflow_run']);
