import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { GitHubPermissionError } from '../../src/github/client.js';
import { FakeGitHub } from '../support/fake-github.js';
import { InputError } from '../../src/inputs.js';
import {
  describePolicyRef,
  loadPolicy,
  MAX_POLICY_BYTES,
  parsePolicyRef,
  type PolicyRef,
} from '../../src/policy-source.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('parsePolicyRef', () => {
  test.each<[string, PolicyRef]>([
    ['.github/claude-guard.yml', { kind: 'local', path: '.github/claude-guard.yml' }],
    ['./policy.yml', { kind: 'local', path: 'policy.yml' }],
    ['  ci//policy.yml ', { kind: 'local', path: 'ci/policy.yml' }],
    [
      'acme/.github/claude-guard.yml@main',
      { kind: 'remote', owner: 'acme', repo: '.github', path: 'claude-guard.yml', ref: 'main' },
    ],
    [
      `acme/.github/policies/ci/claude.yml@${SHA}`,
      { kind: 'remote', owner: 'acme', repo: '.github', path: 'policies/ci/claude.yml', ref: SHA },
    ],
    [
      'Acme-Corp/security.policies/claude.yaml@v1.2.0',
      { kind: 'remote', owner: 'Acme-Corp', repo: 'security.policies', path: 'claude.yaml', ref: 'v1.2.0' },
    ],
    [
      'acme/.github/claude.yml@release/2025-q3',
      { kind: 'remote', owner: 'acme', repo: '.github', path: 'claude.yml', ref: 'release/2025-q3' },
    ],
  ])('%s', (raw, expected) => {
    expect(parsePolicyRef(raw)).toEqual(expected);
  });

  test.each([
    ['', 'is empty'],
    ['/etc/claude-guard.yml', 'is not a path inside the repository'],
    ['../central/policy.yml', 'is not a path inside the repository'],
    ['ci/../../policy.yml', 'is not a path inside the repository'],
    ['.', 'is not a path inside the repository'],
    ['ci\\policy.yml', 'a backslash'],
    ['my policy.yml', 'whitespace'],
    ['policy.yml\nother.yml', 'whitespace'],
    ['acme/.github/claude-guard.yml@', 'needs a ref after @'],
    ['acme/.github/claude-guard.yml@-main', 'needs a ref after @'],
    ['acme/.github/claude-guard.yml@a..b', 'needs a ref after @'],
    ['acme/.github/claude-guard.yml@main/', 'needs a ref after @'],
    ['acme/.github/claude-guard.yml@refs.lock', 'needs a ref after @'],
    ['acme/.github/claude-guard.yml@main@v2', 'more than one @'],
    ['acme/claude-guard.yml@main', 'is not OWNER/REPO/PATH@REF'],
    ['acme/.github/@main', 'is not OWNER/REPO/PATH@REF'],
    ['acme/.github/../secrets.yml@main', 'is not OWNER/REPO/PATH@REF'],
    ['acme/../x/claude.yml@main', 'is not OWNER/REPO/PATH@REF'],
    ['https://github.com/acme/.github/claude.yml@main', 'is not OWNER/REPO/PATH@REF'],
    ['-acme/.github/claude.yml@main', 'is not OWNER/REPO/PATH@REF'],
    ['policy@v1.yml', 'is not OWNER/REPO/PATH@REF'],
  ])('refuses %j', (raw, expected) => {
    let error: unknown;
    try {
      parsePolicyRef(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('policy');
    expect((error as Error).message).toContain(expected);
  });

  test('describePolicyRef names both forms', () => {
    expect(describePolicyRef(parsePolicyRef('./ci/policy.yml'))).toBe('ci/policy.yml');
    expect(describePolicyRef(parsePolicyRef(`acme/.github/p.yml@${SHA}`))).toBe(`acme/.github/p.yml@${SHA}`);
  });
});

const POLICY = 'version: 1\nbudget-usd: 3\n';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory holding `workspace/` and a sibling `outside/` with a secret-looking file. */
function layout() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cg-policy-'));
  dirs.push(root);
  const workspace = path.join(root, 'workspace');
  mkdirSync(path.join(workspace, '.github'), { recursive: true });
  mkdirSync(path.join(root, 'outside'));
  writeFileSync(path.join(root, 'outside', 'policy.yml'), POLICY);
  return { root, workspace };
}

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('loadPolicy from the workspace', () => {
  test('an empty input is no policy', async () => {
    expect(await loadPolicy('  ', { workspace: '/nonexistent' })).toBeUndefined();
  });

  test('reads and parses a file in the repository, named by its path', async () => {
    const { workspace } = layout();
    writeFileSync(path.join(workspace, '.github', 'claude-guard.yml'), POLICY);
    const policy = await loadPolicy('./.github/claude-guard.yml', { workspace });
    expect(policy?.source).toBe('.github/claude-guard.yml');
    expect(policy?.budgetUsd).toBe(3);
  });

  test('follows a symbolic link that stays inside the workspace, and a workspace that is itself a link', async () => {
    const { root, workspace } = layout();
    writeFileSync(path.join(workspace, '.github', 'real.yml'), POLICY);
    symlinkSync('real.yml', path.join(workspace, '.github', 'claude-guard.yml'));
    symlinkSync(workspace, path.join(root, 'ws-link'));
    const policy = await loadPolicy('.github/claude-guard.yml', { workspace: path.join(root, 'ws-link') });
    expect(policy?.budgetUsd).toBe(3);
  });

  test('refuses a file link that leads out of the workspace', async () => {
    const { root, workspace } = layout();
    symlinkSync(
      path.join(root, 'outside', 'policy.yml'),
      path.join(workspace, '.github', 'claude-guard.yml'),
    );
    const error = await rejection(loadPolicy('.github/claude-guard.yml', { workspace }));
    expect(error.message).toBe(
      `Input 'policy': .github/claude-guard.yml leads outside the workspace (a symbolic link to ` +
        `${path.join(root, 'outside', 'policy.yml')}); the policy must be a file in the repository.`,
    );
  });

  test('refuses a directory link that leads out of the workspace', async () => {
    const { root, workspace } = layout();
    symlinkSync(path.join(root, 'outside'), path.join(workspace, '.github', 'central'));
    const error = await rejection(loadPolicy('.github/central/policy.yml', { workspace }));
    expect(error.message).toContain('.github/central/policy.yml leads outside the workspace');
  });

  test('refuses a link to the workspace root itself', async () => {
    const { workspace } = layout();
    symlinkSync('..', path.join(workspace, '.github', 'up'));
    expect((await rejection(loadPolicy('.github/up', { workspace }))).message).toContain(
      'leads outside the workspace',
    );
  });

  test('a missing file says so and points at the remote form', async () => {
    const { workspace } = layout();
    const error = await rejection(loadPolicy('acme/.github/claude-guard.yml', { workspace }));
    expect(error.message).toBe(
      "Input 'policy': acme/.github/claude-guard.yml does not exist in the workspace; check out the repository " +
        'before claude-guard, or for a file in another repository write OWNER/REPO/PATH@REF.',
    );
  });

  test('a directory is refused', async () => {
    const { workspace } = layout();
    expect((await rejection(loadPolicy('.github', { workspace }))).message).toContain(
      '.github is not a regular file',
    );
  });

  test('a file over the size cap is refused before parsing', async () => {
    const { workspace } = layout();
    writeFileSync(path.join(workspace, 'big.yml'), `version: 1\n#${'x'.repeat(MAX_POLICY_BYTES)}\n`);
    expect((await rejection(loadPolicy('big.yml', { workspace }))).message).toContain(
      `a policy file may have at most ${MAX_POLICY_BYTES}`,
    );
  });

  test('an invalid file is reported with its path and line', async () => {
    const { workspace } = layout();
    writeFileSync(path.join(workspace, 'p.yml'), 'version: 1\nbudget_usd: 3\n');
    expect((await rejection(loadPolicy('p.yml', { workspace }))).message).toContain(
      "the organisation policy p.yml is not valid (see policy.schema.json):\n  line 2: unknown key 'budget_usd'",
    );
  });
});

describe('loadPolicy from a central repository', () => {
  const central = { owner: 'acme', repo: '.github' };

  test('reads the file at the ref through the port, decoded, and names it by OWNER/REPO/PATH@REF', async () => {
    const github = new FakeGitHub();
    github.addFile(central, 'policies/claude.yml', POLICY, SHA);
    github.addFile(central, 'policies/claude.yml', 'version: 1\nbudget-usd: 99\n', 'main');
    const policy = await loadPolicy(`acme/.github/policies/claude.yml@${SHA}`, {
      workspace: '/nonexistent',
      github,
    });
    expect(policy?.source).toBe(`acme/.github/policies/claude.yml@${SHA}`);
    expect(policy?.budgetUsd).toBe(3);
    expect(github.calls).toEqual(['getFileContent']);
  });

  test('a missing file (or unreadable repository) names repository, path and ref', async () => {
    const github = new FakeGitHub();
    github.addFile(central, 'claude-guard.yml', POLICY, 'main');
    const error = await rejection(
      loadPolicy('acme/.github/claude-guard.yml@v2', { workspace: '/x', github }),
    );
    expect(error.message).toBe(
      "Input 'policy': could not read acme/.github/claude-guard.yml@v2: GitHub API: could not read the policy " +
        'file (HTTP 404): acme/.github/claude-guard.yml was not found at ref v2: check the path and ref, and that ' +
        'github-token can read acme/.github (GitHub answers 404 for a private repository the token cannot see)',
    );
  });

  test('a token without contents: read is named', async () => {
    const github = new FakeGitHub();
    github.failures.getFileContent = new GitHubPermissionError('read the policy file', 'contents: read');
    const error = await rejection(
      loadPolicy('acme/.github/claude-guard.yml@main', { workspace: '/x', github }),
    );
    expect(error.message).toContain(
      'could not read acme/.github/claude-guard.yml@main: GitHub refused to read the policy file',
    );
    expect(error.message).toContain('`contents: read`');
  });

  test('an invalid remote policy is reported with its remote name and line', async () => {
    const github = new FakeGitHub();
    github.addFile(central, 'claude-guard.yml', 'version: 1\nrequire:\n  fail-on-everything: true\n', 'main');
    const error = await rejection(
      loadPolicy('acme/.github/claude-guard.yml@main', { workspace: '/x', github }),
    );
    expect(error.message).toContain('acme/.github/claude-guard.yml@main is not valid');
    expect(error.message).toContain("line 3: unknown key 'fail-on-everything' in 'require'");
  });

  test('an oversized remote file is refused', async () => {
    const github = new FakeGitHub();
    github.addFile(central, 'p.yml', `version: 1\n#${'é'.repeat(MAX_POLICY_BYTES / 2)}\n`, 'main');
    expect(
      (await rejection(loadPolicy('acme/.github/p.yml@main', { workspace: '/x', github }))).message,
    ).toContain('acme/.github/p.yml@main is');
  });

  test('without a GitHub client the remote form cannot be read', async () => {
    const error = await rejection(loadPolicy('acme/.github/claude-guard.yml@main', { workspace: '/x' }));
    expect(error.message).toContain('needs the GitHub API; set github-token');
  });
});
