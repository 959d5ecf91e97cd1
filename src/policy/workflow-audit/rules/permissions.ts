/**
 * The token's scopes for the jobs that run claude-guard: none set at all, `write-all` / `read-all`, and
 * write scopes beyond what claude-guard needs in the run's mode. Scopes set for a job replace the
 * workflow's; a workflow that can only be called (`on: workflow_call`) gets its ceiling from the caller.
 */
import type { AuditFinding, AuditMode, AuditSeverity } from '../types.js';
import { isReusableOnly, type Finder } from '../shape.js';
import { asMap, asScalar, entry, type Entry } from '../tree.js';

const WRITE_ALL =
  'any step that reads the token can push, approve and change settings. List only the scopes needed.';
const READ_ALL =
  'every step can read every scope the token covers (artifacts and caches, packages, security alerts, ' +
  'deployments, …) where claude-guard needs contents and pull-requests. List only the scopes needed.';
/** Write scopes claude-guard never needs, and what a token holding them can do. */
const NEEDLESS_WRITE = new Map([
  [
    'id-token',
    'any process in the job can mint OIDC tokens for your cloud roles. Grant it only to a job that logs in to a cloud.',
  ],
  [
    'actions',
    'the token can cancel, re-run and dispatch workflows and delete caches. claude-guard does not need it.',
  ],
  ['packages', 'the token can publish packages. claude-guard does not need it; publish from a separate job.'],
]);

/**
 * The write scopes a job running claude-guard may need, by mode: a review only posts (pull-requests) and
 * may upload its SARIF (security-events); fix may push the checked change (contents). A custom task's
 * needs are its own, so there only the scopes claude-guard never needs are flagged.
 */
const NEEDED_WRITE: Record<AuditMode, ReadonlySet<string> | undefined> = {
  review: new Set(['pull-requests', 'security-events']),
  fix: new Set(['contents', 'pull-requests', 'security-events']),
  custom: undefined,
};

function writeWhy(scope: string, mode: AuditMode): string | undefined {
  const needless = NEEDLESS_WRITE.get(scope);
  if (needless) return needless;
  const needed = NEEDED_WRITE[mode];
  if (!needed || needed.has(scope)) return undefined;
  return scope === 'contents'
    ? 'a review only reads the code (claude-guard posts with pull-requests: write). Use contents: read.'
    : `claude-guard in ${mode} mode needs only ${[...needed].join(' and ')} to write; a step that reads ` +
        `the token (or an injected agent that reaches it) could use this one. Grant it to another job.`;
}

export const permissions: Finder = (wf, opts) => {
  const out: AuditFinding[] = [];
  const top = entry(wf.root, 'permissions');
  const blocks = new Map<Entry, string | undefined>();
  const calledOnly = isReusableOnly(wf);
  for (const job of wf.jobs.filter((j) => j.isAgent)) {
    const own = entry(job.node, 'permissions');
    if (own) blocks.set(own, job.id);
    else if (top) blocks.set(top, undefined);
    // A called workflow's steps get the caller's token; a job that calls one sets its own ceiling.
    else if (!calledOnly || job.call) {
      out.push({
        id: 'permissions-missing',
        severity: 'warning',
        line: job.line,
        job: job.id,
        message:
          `Job '${job.id}' runs claude-guard with no permissions block (none at workflow level either): the ` +
          `GITHUB_TOKEN gets the repository's default, which is read-write on every scope for older ` +
          `repositories and organisations. Set permissions (review: contents: read, pull-requests: write).`,
      });
    }
  }
  for (const [block, job] of blocks) {
    const where = job ? `Job '${job}'` : 'The workflow';
    const broad = (line: number, severity: AuditSeverity, why: string) =>
      out.push({ id: 'permissions-too-broad', severity, line, job, message: `${where} grants ${why}` });
    const all = asScalar(block.value)?.value;
    if (all === 'write-all') broad(block.line, 'error', `write-all: ${WRITE_ALL}`);
    if (all === 'read-all') broad(block.line, 'warning', `read-all: ${READ_ALL}`);
    for (const scope of asMap(block.value)?.entries ?? []) {
      if (asScalar(scope.value)?.value !== 'write') continue;
      const why = writeWhy(scope.key, opts.mode);
      if (why) broad(scope.line, 'warning', `${scope.key}: write: ${why}`);
    }
  }
  return out;
};
