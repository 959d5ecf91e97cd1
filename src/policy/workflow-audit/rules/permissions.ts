/** The token's scopes for the jobs that run claude-guard. */
import type { AuditFinding, AuditSeverity } from '../types.js';
import type { Finder } from '../shape.js';
import { asMap, asScalar, entry, type Entry } from '../tree.js';

const WRITE_ALL =
  'any step that reads the token can push, approve and change settings. List only the scopes needed.';
const CONTENTS_IN_REVIEW =
  'a review only reads the code (claude-guard posts with pull-requests: write). Use contents: read.';
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

export const permissions: Finder = (wf, opts) => {
  const out: AuditFinding[] = [];
  const top = entry(wf.root, 'permissions');
  const blocks = new Map<Entry, string | undefined>();
  for (const job of wf.jobs.filter((j) => j.isAgent)) {
    const own = entry(job.node, 'permissions');
    if (own) blocks.set(own, job.id);
    else if (top) blocks.set(top, undefined);
    else {
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
    if (asScalar(block.value)?.value === 'write-all') {
      broad(block.line, 'error', `write-all: ${WRITE_ALL}`);
    }
    for (const scope of asMap(block.value)?.entries ?? []) {
      if (asScalar(scope.value)?.value !== 'write') continue;
      const why =
        scope.key === 'contents' && opts.mode === 'review'
          ? CONTENTS_IN_REVIEW
          : NEEDLESS_WRITE.get(scope.key);
      if (why) broad(scope.line, 'warning', `${scope.key}: write: ${why}`);
    }
  }
  return out;
};
