/**
 * Where the organisation policy comes from (the `policy` input) and reading it: a path inside the
 * checked-out repository, confined to the workspace (no `..`, no absolute path, no symbolic link that
 * leads out), or `OWNER/REPO/PATH@REF` read with github-token from a central repository such as the
 * organisation's `.github`. Parsing is policy/policy-file.ts, merging policy/central-policy.ts.
 *
 * Trust: a local policy comes from the same checkout as the code under review, so a pull request can
 * edit it; since a policy only tightens the workflow's inputs, such an edit can at most drop the policy's
 * extra tightening (the workflow's own settings still hold). A floor the repository cannot lower is the
 * remote form, pinned to a full commit SHA. Defends X7 (rules loosened per repository) and S9 (the input
 * cannot make the action read files outside the workspace, e.g. `/proc/self/environ` or `../.ssh`).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { GitHubPort } from './github/client.js';
import { InputError } from './inputs.js';
import { parsePolicy, type Policy } from './policy/policy-file.js';

/**
 * `remote.ref` is a full commit SHA, a tag or a branch. Only a SHA pins the policy: a tag or branch
 * can be moved by whoever may push to the central repository, and every run then follows it.
 */
export type PolicyRef =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; owner: string; repo: string; path: string; ref: string };

/** Policy files are small; a cap keeps a huge or hostile file from reaching the YAML parser. */
export const MAX_POLICY_BYTES = 64 * 1024;

const INPUT = 'policy';
const FORMS = 'use a path in this repository (e.g. .github/claude-guard.yml) or OWNER/REPO/PATH@REF';
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/** Path segments of a relative path, without `.` and empty ones; undefined when it is absolute or climbs. */
function relativeSegments(p: string): string[] | undefined {
  if (p.startsWith('/')) return undefined;
  const segments = p.split('/').filter((s) => s !== '' && s !== '.');
  return segments.length === 0 || segments.includes('..') ? undefined : segments;
}

/** A branch or tag name git would accept (check-ref-format, simplified and stricter), or a SHA. */
function validRef(ref: string): boolean {
  return (
    /^[A-Za-z0-9._/-]+$/.test(ref) && !/^[-/.]|\/$|\.$|\.lock$|\.\.|\/\/|\/\./.test(ref) && ref.length <= 255
  );
}

/** The `policy` input, non-empty. Throws InputError('policy') for any form that is not clearly one of the two. */
export function parsePolicyRef(raw: string): PolicyRef {
  const value = raw.trim();
  if (value === '') throw new InputError(INPUT, `is empty; ${FORMS}.`);
  if (/[\s\u0000-\u001f\u007f\\]/.test(value)) {
    throw new InputError(
      INPUT,
      `'${JSON.stringify(value)}' contains whitespace, a control character or a backslash; ${FORMS}.`,
    );
  }
  const at = value.split('@');
  if (at.length === 1) {
    const segments = relativeSegments(value);
    if (!segments) {
      throw new InputError(
        INPUT,
        `'${value}' is not a path inside the repository (no leading /, no ..); ${FORMS}.`,
      );
    }
    return { kind: 'local', path: segments.join('/') };
  }
  if (at.length > 2) throw new InputError(INPUT, `'${value}' has more than one @; ${FORMS}.`);
  const [location, ref] = at;
  const [owner = '', repo = '', ...rest] = location.split('/');
  const filePath = relativeSegments(rest.join('/'));
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..' || !filePath) {
    throw new InputError(
      INPUT,
      `'${value}' is not OWNER/REPO/PATH@REF (e.g. acme/.github/claude-guard.yml@<commit SHA>); local paths cannot contain @.`,
    );
  }
  if (!validRef(ref)) {
    throw new InputError(
      INPUT,
      `'${value}' needs a ref after @: a full commit SHA (which pins the policy), a tag or a branch.`,
    );
  }
  return { kind: 'remote', owner, repo, path: filePath.join('/'), ref };
}

/** How messages and the job summary name the policy. */
export function describePolicyRef(ref: PolicyRef): string {
  return ref.kind === 'local' ? ref.path : `${ref.owner}/${ref.repo}/${ref.path}@${ref.ref}`;
}

export interface PolicySourceDeps {
  /** The checked-out repository (GITHUB_WORKSPACE). */
  workspace: string;
  /** Reads the remote form with github-token; not needed for a local path. */
  github?: Pick<GitHubPort, 'getFileContent'>;
}

function checkSize(bytes: number, name: string): void {
  if (bytes > MAX_POLICY_BYTES) {
    throw new InputError(
      INPUT,
      `${name} is ${bytes} bytes; a policy file may have at most ${MAX_POLICY_BYTES}.`,
    );
  }
}

async function readLocal(relative: string, workspace: string): Promise<string> {
  const root = await realpath(workspace);
  let real: string;
  try {
    real = await realpath(path.join(root, relative));
  } catch {
    throw new InputError(
      INPUT,
      `${relative} does not exist in the workspace; check out the repository before claude-guard, ` +
        'or for a file in another repository write OWNER/REPO/PATH@REF.',
    );
  }
  if (!real.startsWith(root + path.sep)) {
    throw new InputError(
      INPUT,
      `${relative} leads outside the workspace (a symbolic link to ${real}); the policy must be a file in the repository.`,
    );
  }
  const info = await stat(real);
  if (!info.isFile()) throw new InputError(INPUT, `${relative} is not a regular file.`);
  checkSize(info.size, relative);
  return readFile(real, 'utf8');
}

async function readRemote(
  ref: Extract<PolicyRef, { kind: 'remote' }>,
  github: PolicySourceDeps['github'],
): Promise<string> {
  const name = describePolicyRef(ref);
  if (!github) throw new InputError(INPUT, `reading ${name} needs the GitHub API; set github-token.`);
  let text: string;
  try {
    text = await github.getFileContent({ owner: ref.owner, repo: ref.repo }, ref.path, ref.ref);
  } catch (error) {
    throw new InputError(INPUT, `could not read ${name}: ${(error as Error).message}`);
  }
  checkSize(Buffer.byteLength(text, 'utf8'), name);
  return text;
}

/** The policy file's text, from the workspace or the central repository. */
export function readPolicyText(ref: PolicyRef, deps: PolicySourceDeps): Promise<string> {
  return ref.kind === 'local' ? readLocal(ref.path, deps.workspace) : readRemote(ref, deps.github);
}

/** The `policy` input end to end: undefined when it is empty, else the parsed, validated policy. */
export async function loadPolicy(raw: string, deps: PolicySourceDeps): Promise<Policy | undefined> {
  if (raw.trim() === '') return undefined;
  const ref = parsePolicyRef(raw);
  return parsePolicy(await readPolicyText(ref, deps), describePolicyRef(ref));
}
