/** uses: references that a moved tag, branch or image tag can change under the job. */
import type { AuditFinding } from '../types.js';
import { isLocalUses, type Finder } from '../shape.js';

const FULL_SHA = /@[0-9a-f]{40}$/i;
const DOCKER_DIGEST = /@sha256:[0-9a-f]{64}$/i;

function pinFinding(uses: string, line: number, job: string): AuditFinding[] {
  // The workflow's own repository at the same commit (`./x`, or GitHub's self-repository form `$/x`).
  if (isLocalUses(uses)) return [];
  const base = { id: 'unpinned-action' as const, line, job };
  if (uses.startsWith('docker://')) {
    return DOCKER_DIGEST.test(uses)
      ? []
      : [
          {
            ...base,
            severity: 'warning',
            message: `'${uses}' is not pinned by digest: a re-pushed tag runs a different image. Pin it with @sha256:<digest>.`,
          },
        ];
  }
  if (FULL_SHA.test(uses)) return [];
  const owner = uses.split('/')[0].toLowerCase();
  const risk =
    `'${uses}' is not pinned to a full commit SHA: a moved tag or branch runs new code with this job's ` +
    `secrets and token (as in the tj-actions/changed-files compromise, CVE-2025-30066). Pin the 40-character SHA`;
  return owner === 'actions' || owner === 'github'
    ? [
        {
          ...base,
          severity: 'notice',
          message: `${risk}; GitHub-owned actions share the trust root of the runner itself, so this is lower risk.`,
        },
      ]
    : [{ ...base, severity: 'warning', message: `${risk} (a trailing comment can keep the version).` }];
}

export const unpinned: Finder = (wf) =>
  wf.jobs.flatMap((job) => {
    return [
      ...(job.call ? pinFinding(job.call.uses, job.call.line, job.id) : []),
      ...job.steps.flatMap((s) => (s.uses ? pinFinding(s.uses, s.usesLine, job.id) : [])),
    ];
  });
