/**
 * A comment event checks out the default branch (or, for review comments, GitHub's merge ref); the
 * review must be of the pull request's head commit as the API reported it. So the action checks that
 * commit out itself, with its own git runner (git-runner.ts: no hooks, no helpers, https/file only),
 * verifies HEAD is exactly that SHA, and puts the job's checkout back when the run ends — later steps of
 * the job (which may hold secrets) must not find the pull request's code where the default branch was.
 */
import type { Git } from '../git-runner.js';

export interface PlacedHead {
  /** What HEAD was before: a branch name (symbolic) or a commit. */
  previous: { branch?: string; sha: string };
  /** Whether the action changed the checkout (false when HEAD already was the head commit). */
  moved: boolean;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

async function hasCommit(git: Git, sha: string): Promise<boolean> {
  return (await git.exec(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0;
}

/** Where missing commits are fetched from: the repository's URL and, for a private one, the token. */
export interface FetchSource {
  url: string;
  /** Sent only as an `http.<server>/.extraheader` through GIT_CONFIG_* (never a command line). */
  token?: string;
}

function fetchEnv(source: FetchSource): Record<string, string> {
  if (!source.token || !/^https?:\/\//.test(source.url)) return {};
  const server = new URL(source.url).origin;
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${server}/.extraheader`,
    GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${source.token}`).toString('base64')}`,
  };
}

/**
 * Check out `headSha` (detached). When the clone lacks it (or `baseSha`), both are fetched by SHA from
 * `source` (GitHub serves any commit reachable from the pull request's refs, forks included).
 */
export async function checkoutHead(
  git: Git,
  headSha: string,
  baseSha: string,
  source: FetchSource,
): Promise<PlacedHead> {
  if (!SHA.test(headSha)) throw new Error(`The pull request's head '${headSha}' is not a commit SHA.`);
  const sha = (await git.text(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  const branch = (await git.exec(['symbolic-ref', '--quiet', '--short', 'HEAD'])).stdout.toString().trim();
  const previous = { sha, ...(branch ? { branch } : {}) };
  if (sha === headSha) return { previous, moved: false };
  const missing = [];
  for (const want of [headSha, baseSha])
    if (SHA.test(want) && !(await hasCommit(git, want))) missing.push(want);
  if (missing.length) {
    // actions/checkout may have left its own header (persist-credentials): then git already authenticates,
    // and a second Authorization header would be refused.
    const configured = await git.exec(['config', '--get-regexp', String.raw`^http\..*extraheader$`]);
    const env = configured.exitCode === 0 ? {} : fetchEnv(source);
    try {
      await git.run(['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', source.url, ...missing], {
        env,
      });
    } catch (err) {
      throw new Error(
        `Could not fetch the pull request's head ${headSha.slice(0, 12)} (${(err as Error).message.split('\n')[0]}): check out the repository with actions/checkout (fetch-depth: 0) and give the job contents: read.`,
      );
    }
  }
  await git.run(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', headSha, '--']);
  const now = (await git.text(['rev-parse', '--verify', 'HEAD^{commit}'])).trim();
  if (now !== headSha)
    throw new Error(
      `The checkout's HEAD is ${now.slice(0, 12)}, not the pull request's head ${headSha.slice(0, 12)}.`,
    );
  return { previous, moved: true };
}

/** Put the job's checkout back as it was (the branch, or the detached commit). */
export async function restoreHead(git: Git, placed: PlacedHead): Promise<void> {
  if (!placed.moved) return;
  const target = placed.previous.branch ?? placed.previous.sha;
  const args = placed.previous.branch ? [target] : ['--detach', target];
  await git.run(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--force', ...args, '--']);
}
