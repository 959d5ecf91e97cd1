/**
 * Finds and reads the workflow file that runs this job, for the workflow audit
 * (policy/workflow-audit.ts). `locateWorkflow` decides from GITHUB_WORKFLOW_REF where the file is in the
 * checkout (or says why it cannot be audited); `readWorkflow` reads it, refusing paths that escape the
 * workspace, symlinks that point out of it, non-regular files and oversized files, since the
 * workspace holds the pull request's files (threat-model X7: a PR can plant a symlink to
 * `/proc/self/environ` or a runner file, and the audit must not echo it).
 *
 * The audit is advisory, not a security boundary. The file read is the workspace's copy: for
 * `pull_request` that is the merge ref, the same workflow that runs; for `pull_request_target` or a
 * checkout of another ref it may differ from the workflow that actually runs. Either way a pull
 * request can edit the file, so nothing here may loosen a control; it only reports mistakes.
 */
import { realpath, readFile as fsReadFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface WorkflowLocation {
  /** Path of the workflow file relative to GITHUB_WORKSPACE, e.g. `.github/workflows/review.yml`. */
  path: string;
  /** The ref the workflow ran from, e.g. `refs/heads/main` or `refs/pull/7/merge`. */
  ref: string;
}

/** Why the workflow cannot be audited from this checkout; for a log line. */
export interface WorkflowNotLocated {
  reason: string;
}

/** Workflow files are small; anything larger is not one (and is not read into memory). */
export const WORKFLOW_MAX_BYTES = 1024 * 1024;

/** `owner/repo/.github/workflows/<file>.yml@<ref>`; the first `.yml@`/`.yaml@` ends the path. */
const WORKFLOW_REF = /^([^/]+)\/([^/]+)\/(\.github\/workflows\/[^/]+?\.ya?ml)@(.+)$/;

export function locateWorkflow(env: NodeJS.ProcessEnv): WorkflowLocation | WorkflowNotLocated {
  const workflowRef = env.GITHUB_WORKFLOW_REF;
  if (!workflowRef) return { reason: 'GITHUB_WORKFLOW_REF is not set (not running in GitHub Actions?)' };
  const m = WORKFLOW_REF.exec(workflowRef);
  if (!m) {
    return { reason: `GITHUB_WORKFLOW_REF '${workflowRef}' does not name a file under .github/workflows` };
  }
  const [, owner, repo, file, ref] = m;
  const repository = env.GITHUB_REPOSITORY;
  if (repository && `${owner}/${repo}`.toLowerCase() !== repository.toLowerCase()) {
    return {
      reason: `the workflow lives in ${owner}/${repo}, not in ${repository} (a reusable workflow of another repository): it is not in this checkout`,
    };
  }
  return { path: file, ref };
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * The workflow file's text. Throws, naming the file and what to do, when it is missing, outside the
 * workspace (by `..`, an absolute path or a symlink), not a regular file, or larger than
 * WORKFLOW_MAX_BYTES.
 */
export async function readWorkflow(
  workspace: string,
  relPath: string,
  readFile: (file: string) => Promise<string> = (file) => fsReadFile(file, 'utf8'),
): Promise<string> {
  if (path.isAbsolute(relPath) || !inside(path.resolve(workspace), path.resolve(workspace, relPath))) {
    throw new Error(`workflow path '${relPath}' is outside the workspace: not read`);
  }
  let real: string;
  let realWorkspace: string;
  try {
    realWorkspace = await realpath(workspace);
    real = await realpath(path.resolve(workspace, relPath));
  } catch {
    throw new Error(
      `workflow file '${relPath}' is not in the workspace ${workspace}: check out the repository ` +
        `(actions/checkout, without a 'path:') before the claude-guard step to audit it`,
    );
  }
  if (!inside(realWorkspace, real)) {
    throw new Error(`workflow file '${relPath}' is a symlink to a file outside the workspace: not read`);
  }
  const info = await stat(real);
  if (!info.isFile()) throw new Error(`workflow file '${relPath}' is not a regular file: not read`);
  if (info.size > WORKFLOW_MAX_BYTES) {
    throw new Error(`workflow file '${relPath}' is larger than ${WORKFLOW_MAX_BYTES} bytes: not read`);
  }
  return readFile(real);
}
