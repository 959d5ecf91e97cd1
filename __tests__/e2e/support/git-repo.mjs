/**
 * Builds a real git repository for an end-to-end pull request: a base commit, a head commit (plus
 * optional further head commits), HEAD checked out detached at the head like actions/checkout does,
 * and the GitHub `pulls/files` items computed from `git diff base...head` — so the patches the GitHub
 * fake serves, the diff the agent reads and the lines the action may comment on all agree.
 * Git runs with a fixed identity and date and without the user's global config, so shas repeat.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitGitDiff } from './diff-lines.mjs';

/**
 * @typedef {Record<string, string | null>} FileChanges  path → content; null deletes the file
 * @typedef {{ sha: string, filename: string, status: string, additions: number, deletions: number,
 *   changes: number, patch?: string, previous_filename?: string }} PullFileItem
 */

const FIXED_DATE = '2024-01-01T00:00:00Z';

/** @returns {NodeJS.ProcessEnv} */
function gitEnv() {
  return {
    PATH: process.env.PATH,
    HOME: os.tmpdir(),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'E2E Author',
    GIT_AUTHOR_EMAIL: 'author@example.invalid',
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_NAME: 'E2E Author',
    GIT_COMMITTER_EMAIL: 'author@example.invalid',
    GIT_COMMITTER_DATE: FIXED_DATE,
  };
}

/**
 * Run git in `dir`; returns stdout.
 * @param {string} dir @param {string[]} args
 */
export function git(dir, args) {
  return execFileSync('git', ['-c', 'core.quotePath=false', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    env: gitEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** @param {string} dir @param {FileChanges} files */
function apply(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    if (content === null) {
      fs.rmSync(file, { force: true });
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
  }
}

/** @param {string} dir @param {string} message */
function commit(dir, message) {
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '--allow-empty', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

/**
 * GitHub's pulls/files items for base...head, with real patches.
 * @param {string} dir @param {string} baseSha @param {string} headSha
 * @returns {PullFileItem[]}
 */
function pullFiles(dir, baseSha, headSha) {
  const diff = git(dir, ['diff', '-M', '--no-color', '--no-ext-diff', `${baseSha}...${headSha}`]);
  return splitGitDiff(diff).map((f) => {
    const lines = f.patch.split('\n');
    const additions = lines.filter((l) => l.startsWith('+')).length;
    const deletions = lines.filter((l) => l.startsWith('-')).length;
    const blob = git(dir, ['rev-parse', `${f.status === 'removed' ? baseSha : headSha}:${f.path}`]).trim();
    return {
      sha: blob,
      filename: f.path,
      status: f.status,
      additions,
      deletions,
      changes: additions + deletions,
      ...(f.patch ? { patch: f.patch } : {}),
      ...(f.previousPath ? { previous_filename: f.previousPath } : {}),
    };
  });
}

/**
 * @param {{ base: FileChanges, head: FileChanges, extraHeadCommits?: { files: FileChanges, message?: string }[],
 *   headMessage?: string }} spec
 */
export function createPullRepo({ base, head, extraHeadCommits = [], headMessage = 'Change under review' }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-repo-'));
  const dir = path.join(root, 'workspace');
  fs.mkdirSync(dir);
  git(dir, ['init', '-q', '-b', 'main']);
  apply(dir, base);
  const baseSha = commit(dir, 'Base');
  git(dir, ['checkout', '-q', '-b', 'feature']);
  apply(dir, head);
  let headSha = commit(dir, headMessage);
  for (const c of extraHeadCommits) {
    apply(dir, c.files);
    headSha = commit(dir, c.message ?? 'More changes');
  }
  git(dir, ['checkout', '-q', '--detach', headSha]);
  const files = pullFiles(dir, baseSha, headSha);
  return {
    dir,
    baseSha,
    headSha,
    files,
    /** A later push to the PR: commit `changes` on the head; headSha and files follow. */
    push(changes, message = 'A later push') {
      apply(dir, changes);
      this.headSha = commit(dir, message);
      this.files = pullFiles(dir, baseSha, this.headSha);
    },
    /** Remove the repository and its temp root. */
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
