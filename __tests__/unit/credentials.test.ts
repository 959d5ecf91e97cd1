import { describe, expect, test, beforeEach, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  execGitConfig,
  isCheckoutCredential,
  openBackup,
  parseBackup,
  sealBackup,
  planRemoval,
  removeCheckoutCredentials,
  restoreCheckoutCredentials,
  serializeBackup,
  type ConfigEntry,
  type GitConfigPort,
} from '../../src/isolation/credentials.js';

const GIT_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

describe('isCheckoutCredential', () => {
  test.each<[string, string | null, boolean]>([
    ['http.https://github.com/.extraheader', 'AUTHORIZATION: basic abc', true],
    ['http.https://ghe.example.com:8443/.extraheader', 'AUTHORIZATION: basic abc', true],
    ['http.extraheader', 'AUTHORIZATION: bearer abc', true],
    ['http.https://github.com/.sslverify', 'false', false],
    ['includeif.gitdir:/w/r/.git.path', '/t/git-credentials-0b1c-2d.config', true],
    ['includeif.gitdir:/w/r/.git/worktrees/*.path', '/t/git-credentials-0b1c-2d.config', true],
    ['includeif.onbranch:main.path', 'C:\\t\\GIT-CREDENTIALS-AB.CONFIG', true],
    ['include.path', '/t/git-credentials-x.config', true],
    ['includeif.gitdir:/w/r/.git.path', '/home/me/team.config', false],
    ['includeif.gitdir:/w/r/.git.path', '/t/git-credentials-x.config.bak', false],
    ['includeif.gitdir:/w/r/.git.path', null, false],
    ['core.sshcommand', 'ssh -i /t/git-credentials-x.config', false],
  ])('%s = %s → %s', (key, value, expected) => {
    expect(isCheckoutCredential({ key, value })).toBe(expected);
  });
});

describe('planRemoval', () => {
  const cred = '/t/git-credentials-1.config';
  test.each<[string, ConfigEntry[], ReturnType<typeof planRemoval>]>([
    ['nothing to remove', [{ key: 'core.bare', value: 'false' }], []],
    [
      'extraheader removed by key, every value counted',
      [
        { key: 'http.https://github.com/.extraheader', value: 'A' },
        { key: 'gc.auto', value: '0' },
        { key: 'http.https://github.com/.extraheader', value: 'B' },
      ],
      [{ key: 'http.https://github.com/.extraheader', values: undefined, count: 2 }],
    ],
    [
      'include removed by value, unrelated value of the same key kept, duplicates unset once',
      [
        { key: 'includeif.gitdir:/r/.git.path', value: '/home/team.config' },
        { key: 'includeif.gitdir:/r/.git.path', value: cred },
        { key: 'includeif.gitdir:/r/.git.path', value: cred },
        { key: 'include.path', value: '/home/other.config' },
      ],
      [{ key: 'includeif.gitdir:/r/.git.path', values: [cred], count: 2 }],
    ],
  ])('%s', (_name, entries, expected) => {
    expect(planRemoval(entries)).toEqual(expected);
  });
});

interface Ctx {
  gitDir: string;
  cred: string;
  containerCred: string;
  header: string;
}

interface Layout {
  main: string;
  /** Submodule git dirs relative to .git/modules, with the text appended to their config. */
  modules?: Record<string, string>;
  /** Per config file (relative to .git), the keys expected to be removed. */
  removed: Record<string, string[]>;
  credentialFiles: (c: Ctx) => string[];
  mustStay?: string[];
}

const ORIGIN = `[remote "origin"]\n\turl = https://github.com/o/r\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[gc]\n\tauto = 0\n`;
const BRANCH = `[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n`;
const v4 = (c: Ctx): string => `[http "https://github.com/"]\n\textraheader = ${c.header}\n`;
const v6 = (c: Ctx, gitDir = c.gitDir, container = '/github/workspace/.git'): string =>
  [
    `[includeIf "gitdir:${gitDir}"]\n\tpath = ${c.cred}\n`,
    `[includeIf "gitdir:${gitDir}/worktrees/*"]\n\tpath = ${c.cred}\n`,
    `[includeIf "gitdir:${container}"]\n\tpath = ${c.containerCred}\n`,
    `[includeIf "gitdir:${container}/worktrees/*"]\n\tpath = ${c.containerCred}\n`,
  ].join('');
const v6Keys = (gitDir: string, container = '/github/workspace/.git'): string[] => [
  `includeif.gitdir:${gitDir}.path`,
  `includeif.gitdir:${gitDir}/worktrees/*.path`,
  `includeif.gitdir:${container}.path`,
  `includeif.gitdir:${container}/worktrees/*.path`,
];
const EXTRAHEADER = 'http.https://github.com/.extraheader';

const LAYOUTS: [string, (c: Ctx) => Layout][] = [
  [
    'checkout v4: extraheader between the gc and branch sections',
    (c) => ({
      main: ORIGIN + v4(c) + BRANCH,
      removed: { config: [EXTRAHEADER] },
      credentialFiles: () => [],
    }),
  ],
  [
    'checkout v6: includeIf for the git dir, its worktrees and the container forms',
    (c) => ({
      main: ORIGIN + v6(c) + BRANCH,
      removed: { config: v6Keys(c.gitDir) },
      credentialFiles: () => [c.cred, c.containerCred],
    }),
  ],
  [
    'both forms at once',
    (c) => ({
      main: ORIGIN + v6(c) + v4(c) + BRANCH,
      removed: { config: [...v6Keys(c.gitDir), EXTRAHEADER] },
      credentialFiles: () => [c.cred, c.containerCred],
    }),
  ],
  [
    'an unrelated include (also in the same key as the credentials one) stays',
    (c) => ({
      main:
        ORIGIN +
        `[includeIf "gitdir:${c.gitDir}"]\n\tpath = /home/runner/team.config\n\tpath = ${c.cred} ; checkout\n` +
        `[include]\n\tpath = ../shared.config\n[alias]\n\tx = "!echo \\"a;b\\" # c"\n` +
        BRANCH,
      removed: { config: [`includeif.gitdir:${c.gitDir}.path`] },
      credentialFiles: () => [c.cred],
      mustStay: ['/home/runner/team.config', '../shared.config', 'alias.x=!echo "a;b" # c'],
    }),
  ],
  [
    'submodules, nested, with both forms',
    (c) => ({
      main: ORIGIN + v6(c) + BRANCH,
      modules: {
        'libs/sub': v4(c) + v6(c, `${c.gitDir}/modules/libs/sub`, '/github/workspace/.git/modules/libs/sub'),
        'libs/sub/modules/deep': `[includeIf "gitdir:${c.gitDir}/modules/libs/sub/modules/deep"]\n\tpath = ${c.cred}\n`,
      },
      removed: {
        config: v6Keys(c.gitDir),
        'modules/libs/sub/config': [
          EXTRAHEADER,
          ...v6Keys(`${c.gitDir}/modules/libs/sub`, '/github/workspace/.git/modules/libs/sub'),
        ],
        'modules/libs/sub/modules/deep/config': [
          `includeif.gitdir:${c.gitDir}/modules/libs/sub/modules/deep.path`,
        ],
      },
      credentialFiles: () => [c.cred, c.containerCred],
    }),
  ],
  ['no credentials at all', () => ({ main: ORIGIN + BRANCH, removed: {}, credentialFiles: () => [] })],
];

let root: string;
let ctx: Ctx;
let repo: string;
let git: GitConfigPort;
let token: string;
let argvLog: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'cg-credentials-')));
  repo = join(root, 'work', 'repo');
  mkdirSync(join(root, '_temp'));
  mkdirSync(repo, { recursive: true });
  execFileSync('git', ['init', '-q', repo], { env: GIT_ENV });
  token = randomBytes(24).toString('base64');
  const cred = join(root, '_temp', `git-credentials-${randomUUID()}.config`);
  const header = `AUTHORIZATION: basic ${token}`;
  writeFileSync(cred, `[http "https://github.com/"]\n\textraheader = ${header}\n`);
  ctx = { gitDir: join(repo, '.git'), cred, containerCred: `/github/runner_temp/${basename(cred)}`, header };
  // A git that records its argv, to prove the token never reaches a command line.
  argvLog = join(root, 'argv.log');
  const wrapper = join(root, 'git-wrapper');
  writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$@" >> '${argvLog}'\nexec git "$@"\n`);
  chmodSync(wrapper, 0o755);
  git = execGitConfig(wrapper);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

function build(layout: Layout): string[] {
  appendFileSync(join(ctx.gitDir, 'config'), layout.main);
  const files = ['config'];
  for (const [name, text] of Object.entries(layout.modules ?? {})) {
    const dir = join(ctx.gitDir, 'modules', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n${text}`);
    files.push(`modules/${name}/config`);
  }
  return files;
}

/** What git itself sees, includes followed, for the repository and each submodule git dir. */
function gitView(files: string[]): string {
  return files
    .map((f) => {
      const gitDir = join(ctx.gitDir, f.replace(/\/?config$/, ''));
      const args = ['--git-dir', gitDir, 'config', '--list', '--show-origin', '--includes'];
      return execFileSync('git', args, { env: GIT_ENV, encoding: 'utf8' });
    })
    .join('---\n');
}

const bytes = (files: string[]): Buffer[] => files.map((f) => readFileSync(join(ctx.gitDir, f)));

describe('removeCheckoutCredentials / restoreCheckoutCredentials with real git', () => {
  test.each(LAYOUTS)('%s', async (_name, makeLayout) => {
    const layout = makeLayout(ctx);
    const files = build(layout);
    const beforeView = gitView(files);
    const beforeBytes = bytes(files);
    expect(beforeView.includes(token)).toBe(Object.keys(layout.removed).length > 0);

    const backup = await removeCheckoutCredentials(repo, git);

    expect(
      Object.fromEntries(
        backup.files.map((f) => [f.file.slice(ctx.gitDir.length + 1), f.removed.map((r) => r.key)]),
      ),
    ).toEqual(layout.removed);
    expect(backup.credentialFiles).toEqual(layout.credentialFiles(ctx));
    const afterView = gitView(files);
    expect(afterView).not.toContain(token);
    expect(afterView).not.toContain('extraheader');
    expect(afterView).not.toContain('git-credentials-');
    for (const kept of layout.mustStay ?? []) expect(afterView).toContain(kept);
    expect(readFileSync(ctx.cred, 'utf8')).toContain(token); // the RUNNER_TEMP file is not touched
    expect((await removeCheckoutCredentials(repo, git)).files).toEqual([]); // nothing left to remove

    const restored = await restoreCheckoutCredentials(parseBackup(serializeBackup(backup)));
    expect(restored.map((r) => r.outcome)).toEqual(backup.files.map(() => 'restored'));
    expect(gitView(files)).toBe(beforeView);
    expect(bytes(files)).toEqual(beforeBytes);

    const again = await restoreCheckoutCredentials(backup);
    expect(again.map((r) => r.outcome)).toEqual(backup.files.map(() => 'already-restored'));
    expect(bytes(files)).toEqual(beforeBytes);

    expect(existsSync(argvLog) ? readFileSync(argvLog, 'utf8') : '').not.toContain(token);
  });

  test('restore discards what was written to the config while the agent ran', async () => {
    const files = build(LAYOUTS[0][1](ctx));
    const before = bytes(files);
    const backup = await removeCheckoutCredentials(repo, git);
    appendFileSync(join(ctx.gitDir, 'config'), '[core]\n\tfsmonitor = /tmp/evil.sh\n');

    const restored = await restoreCheckoutCredentials(backup);

    expect(restored).toEqual([{ file: join(ctx.gitDir, 'config'), outcome: 'restored-over-changes' }]);
    expect(bytes(files)).toEqual(before);
  });

  test('restore recreates a config file that was replaced by a symlink, without writing through it', async () => {
    const files = build(LAYOUTS[1][1](ctx));
    const before = bytes(files);
    const backup = await removeCheckoutCredentials(repo, git);
    const bait = join(root, 'bait');
    writeFileSync(bait, '');
    rmSync(join(ctx.gitDir, 'config'));
    symlinkSync(bait, join(ctx.gitDir, 'config'));

    await restoreCheckoutCredentials(backup);

    expect(readFileSync(bait, 'utf8')).toBe('');
    expect(bytes(files)).toEqual(before);
  });

  test('restore refuses to write the token into a .git directory that became a link', async () => {
    build(LAYOUTS[0][1](ctx));
    const backup = await removeCheckoutCredentials(repo, git);
    const elsewhere = join(root, 'elsewhere');
    renameSync(ctx.gitDir, elsewhere);
    symlinkSync(elsewhere, ctx.gitDir);

    await expect(restoreCheckoutCredentials(backup)).rejects.toThrow(`${ctx.gitDir} was replaced by a link`);
    expect(readFileSync(join(elsewhere, 'config'), 'utf8')).not.toContain(token);
  });

  test('a failure part-way through removal puts every touched file back', async () => {
    const files = build(LAYOUTS[4][1](ctx));
    const before = bytes(files);
    let calls = 0;
    const failing: GitConfigPort = {
      list: (file) => git.list(file),
      unsetAll: async (file, key, value) => {
        if (++calls === 7) throw new Error('disk full');
        await git.unsetAll(file, key, value);
      },
    };

    await expect(removeCheckoutCredentials(repo, failing)).rejects.toThrow('disk full');
    expect(calls).toBe(7);
    expect(bytes(files)).toEqual(before);
  });

  test('a .git file (worktree or submodule checkout) is refused, naming it', async () => {
    const other = join(root, 'wt');
    mkdirSync(other);
    writeFileSync(join(other, '.git'), `gitdir: ${ctx.gitDir}\n`);
    await expect(removeCheckoutCredentials(other, git)).rejects.toThrow(
      `${join(other, '.git')} is not a directory`,
    );
  });

  test('a directory without .git has nothing to remove', async () => {
    expect(await removeCheckoutCredentials(join(root, '_temp'), git)).toEqual({
      version: 1,
      files: [],
      credentialFiles: [],
    });
  });
});

describe('parseBackup', () => {
  const file = {
    file: '/r/.git/config',
    mode: 420,
    original: 'c2VjcmV0',
    afterRemovalSha256: 'ab',
    removed: [],
  };
  test.each<[string, string, string]>([
    ['not JSON', '{', 'not JSON'],
    ['wrong version', JSON.stringify({ version: 2, files: [], credentialFiles: [] }), 'unknown version'],
    ['missing credentialFiles', JSON.stringify({ version: 1, files: [] }), 'credentialFiles'],
    [
      'relative file',
      JSON.stringify({ version: 1, files: [{ ...file, file: 'config' }], credentialFiles: [] }),
      'files[0]',
    ],
    [
      'bad removed entry',
      JSON.stringify({
        version: 1,
        files: [file, { ...file, removed: [{ key: 'k' }] }],
        credentialFiles: [],
      }),
      'files[1]',
    ],
  ])('rejects %s', (_name, text, what) => {
    expect(() => parseBackup(text)).toThrow(`not valid (${what})`);
    expect(() => parseBackup(text)).not.toThrow('c2VjcmV0');
  });

  test('accepts what serializeBackup wrote', () => {
    const backup = { version: 1 as const, files: [file], credentialFiles: ['/t/git-credentials-1.config'] };
    expect(parseBackup(serializeBackup(backup))).toEqual(backup);
  });
});

describe('sealBackup / openBackup', () => {
  const token = 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX3NlY3JldA==';
  const backup = {
    version: 1 as const,
    files: [
      {
        file: '/r/.git/config',
        mode: 420,
        original: Buffer.from(`[http]\n\textraheader = ${token}\n`).toString('base64'),
        afterRemovalSha256: 'ab',
        removed: [{ key: 'http.extraheader', count: 1 }],
      },
    ],
    credentialFiles: [],
  };

  test('round-trips with its key; the sealed bytes hold neither the token nor its base64', () => {
    const { sealed, key } = sealBackup(backup);
    expect(openBackup(sealed, key)).toEqual(backup);
    for (const form of [token, backup.files[0].original, 'extraheader', key]) {
      expect(sealed.includes(Buffer.from(form))).toBe(false);
    }
  });

  test('a fresh key and IV each time', () => {
    const a = sealBackup(backup);
    const b = sealBackup(backup);
    expect(a.key).not.toBe(b.key);
    expect(a.sealed.equals(b.sealed)).toBe(false);
  });

  test.each<[string, (s: Buffer, k: string) => [Buffer, string], string]>([
    ['another key', (s) => [s, randomBytes(32).toString('base64')], 'wrong key'],
    ['a short key', (s) => [s, 'c2hvcnQ='], 'not 256 bits'],
    [
      'a flipped byte',
      (s, k) => [Buffer.from(s.map((b, i) => (i === s.length - 1 ? b ^ 1 : b))), k],
      'changed',
    ],
    ['a truncated file', (s, k) => [s.subarray(0, 20), k], 'not a sealed backup'],
    ['plain JSON', (_s, k) => [Buffer.from(serializeBackup(backup)), k], 'not a sealed backup'],
  ])('refuses %s, naming no value', (_name, change, what) => {
    const { sealed, key } = sealBackup(backup);
    const [s, k] = change(sealed, key);
    expect(() => openBackup(s, k)).toThrow(what);
    try {
      openBackup(s, k);
    } catch (e) {
      expect(String(e)).not.toContain(k);
    }
  });
});
