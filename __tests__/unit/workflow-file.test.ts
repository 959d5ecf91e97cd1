import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  realpathSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateWorkflow, readWorkflow, WORKFLOW_MAX_BYTES } from '../../src/workflow-file.js';

describe('locateWorkflow', () => {
  test.each([
    [
      'a branch',
      'acme/app/.github/workflows/review.yml@refs/heads/main',
      { path: '.github/workflows/review.yml', ref: 'refs/heads/main' },
    ],
    [
      'a pull request merge ref',
      'acme/app/.github/workflows/review.yaml@refs/pull/42/merge',
      { path: '.github/workflows/review.yaml', ref: 'refs/pull/42/merge' },
    ],
    [
      'a tag',
      'acme/app/.github/workflows/release.yml@refs/tags/v1.2.3',
      { path: '.github/workflows/release.yml', ref: 'refs/tags/v1.2.3' },
    ],
    [
      'a branch name with @',
      'acme/app/.github/workflows/ci.yml@refs/heads/fix@home',
      { path: '.github/workflows/ci.yml', ref: 'refs/heads/fix@home' },
    ],
    [
      'the repository in another case',
      'ACME/App/.github/workflows/ci.yml@refs/heads/main',
      { path: '.github/workflows/ci.yml', ref: 'refs/heads/main' },
    ],
  ])('%s', (_name, ref, expected) => {
    expect(locateWorkflow({ GITHUB_WORKFLOW_REF: ref, GITHUB_REPOSITORY: 'acme/app' })).toEqual(expected);
  });

  test.each([
    ['unset', {}, /GITHUB_WORKFLOW_REF is not set/],
    ['empty', { GITHUB_WORKFLOW_REF: '' }, /not set/],
    [
      'a reusable workflow of another repository',
      {
        GITHUB_WORKFLOW_REF: 'other/shared/.github/workflows/review.yml@refs/heads/main',
        GITHUB_REPOSITORY: 'acme/app',
      },
      /lives in other\/shared, not in acme\/app/,
    ],
    [
      'a dynamic workflow',
      { GITHUB_WORKFLOW_REF: 'acme/app/dynamic/github-code-scanning/codeql@refs/heads/main' },
      /does not name a file under \.github\/workflows/,
    ],
    ['no ref', { GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/ci.yml' }, /does not name a file/],
    [
      'a path that climbs',
      { GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/../../x.yml@refs/heads/main' },
      /does not name/,
    ],
  ])('%s → a reason, no path', (_name, env, reason) => {
    const got = locateWorkflow(env);
    expect(got).not.toHaveProperty('path');
    expect((got as { reason: string }).reason).toMatch(reason);
  });
});

describe('readWorkflow', () => {
  let root: string;
  let workspace: string;
  const rel = '.github/workflows/review.yml';

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'wf-file-')));
    workspace = join(root, 'ws');
    mkdirSync(join(workspace, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(workspace, rel), 'on: push\n');
    writeFileSync(join(workspace, 'shared.yml'), 'on: pull_request\n');
    writeFileSync(join(root, 'outside.yml'), 'SECRET=1\n');
    symlinkSync(join(root, 'outside.yml'), join(workspace, '.github', 'workflows', 'escape.yml'));
    symlinkSync('../../shared.yml', join(workspace, '.github', 'workflows', 'inside-link.yml'));
    mkdirSync(join(workspace, '.github', 'workflows', 'dir.yml'));
    writeFileSync(join(workspace, '.github', 'workflows', 'huge.yml'), '');
    truncateSync(join(workspace, '.github', 'workflows', 'huge.yml'), WORKFLOW_MAX_BYTES + 1);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('reads a workflow inside the workspace', async () => {
    await expect(readWorkflow(workspace, rel)).resolves.toBe('on: push\n');
  });

  test('follows a symlink that stays inside the workspace, and reads the resolved file', async () => {
    const seen: string[] = [];
    const text = await readWorkflow(workspace, '.github/workflows/inside-link.yml', async (p) => {
      seen.push(p);
      return 'injected';
    });
    expect(text).toBe('injected');
    expect(seen).toEqual([join(workspace, 'shared.yml')]);
  });

  test.each([
    ['a path climbing out', '../outside.yml', /outside the workspace/],
    ['a path climbing out through a subdirectory', '.github/../../outside.yml', /outside the workspace/],
    ['an absolute path', '/etc/passwd', /outside the workspace/],
    ['the workspace itself', '.', /outside the workspace/],
    ['a symlink pointing out', '.github/workflows/escape.yml', /symlink to a file outside the workspace/],
    ['a directory', '.github/workflows/dir.yml', /not a regular file/],
    ['an oversized file', '.github/workflows/huge.yml', /larger than/],
    ['a missing file', '.github/workflows/missing.yml', /check out the repository/],
  ])('refuses %s', async (_name, path, message) => {
    const reads: string[] = [];
    await expect(
      readWorkflow(workspace, path, async (p) => {
        reads.push(p);
        return 'read';
      }),
    ).rejects.toThrow(message);
    expect(reads).toEqual([]);
  });
});
