import { describe, expect, test, beforeEach, afterEach } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
} from 'node:fs';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeChange,
  discardTampering,
  snapshotFileCommands,
  verifyUnchanged,
  type FileCommand,
  type Observed,
} from '../../src/isolation/file-commands.js';

describe('describeChange', () => {
  const b = (s: string): Buffer => Buffer.from(s);
  test.each<[string, Buffer | null, Observed, string | null]>([
    ['unchanged', b('a=1\n'), { kind: 'file', content: b('a=1\n') }, null],
    ['still absent', null, { kind: 'absent' }, null],
    ['appended', b('a=1\n'), { kind: 'file', content: b('a=1\nLD_PRELOAD=/x\n') }, '14 bytes appended'],
    ['rewritten', b('a=1\n'), { kind: 'file', content: b('b=2\n') }, 'rewritten (4 → 4 bytes)'],
    ['truncated', b('a=1\n'), { kind: 'file', content: b('') }, 'rewritten (4 → 0 bytes)'],
    ['deleted', b(''), { kind: 'absent' }, 'deleted'],
    ['replaced', b(''), { kind: 'not-regular', type: 'symbolic link' }, 'replaced by a symbolic link'],
    ['created', null, { kind: 'file', content: b('x') }, 'created (1 bytes)'],
    ['created as a link', null, { kind: 'not-regular', type: 'symbolic link' }, 'created as a symbolic link'],
  ])('%s', (_name, before, after, expected) => {
    expect(describeChange(before, after)).toBe(expected);
  });
});

let dir: string;
let env: Record<FileCommand, string>;
const ORIGINAL: Record<FileCommand, string> = {
  GITHUB_ENV: '',
  GITHUB_PATH: '/opt/tool/bin\n',
  GITHUB_OUTPUT: 'run-id=1\n',
  GITHUB_STATE: 'run-dir=/tmp/run\n',
  GITHUB_STEP_SUMMARY: '# Review\n',
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cg-file-commands-'));
  mkdirSync(join(dir, '_runner_file_commands'));
  env = {} as Record<FileCommand, string>;
  for (const [name, content] of Object.entries(ORIGINAL) as [FileCommand, string][]) {
    env[name] = join(dir, '_runner_file_commands', `${name.toLowerCase()}_0a1b`);
    writeFileSync(env[name], content);
    chmodSync(env[name], 0o644);
  }
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  tamper: () => void;
  tampered: { name: FileCommand; detail: string }[];
  actions: string[];
  /** Set to check a variable the runner did not give this step. */
  unset?: FileCommand;
  /** A file outside the file commands that must be left as it is. */
  bystander?: [string, string];
}

const BAIT = 'BASH_ENV=/tmp/evil.sh\n';

const ROWS: [string, () => Row][] = [
  ['untouched', () => ({ tamper: () => undefined, tampered: [], actions: [] })],
  [
    'GITHUB_ENV appended LD_PRELOAD',
    () => ({
      tamper: () => appendFileSync(env.GITHUB_ENV, 'LD_PRELOAD=/tmp/x.so\n'),
      tampered: [{ name: 'GITHUB_ENV', detail: '21 bytes appended' }],
      actions: ['GITHUB_ENV rewritten'],
    }),
  ],
  [
    'GITHUB_PATH prepended (rewrite)',
    () => ({
      tamper: () => writeFileSync(env.GITHUB_PATH, `/tmp/evil\n${ORIGINAL.GITHUB_PATH}`),
      tampered: [{ name: 'GITHUB_PATH', detail: 'rewritten (14 → 24 bytes)' }],
      actions: ['GITHUB_PATH rewritten'],
    }),
  ],
  [
    'GITHUB_OUTPUT heredoc append',
    () => ({
      tamper: () => appendFileSync(env.GITHUB_OUTPUT, 'verdict<<EOF_1\napprove\nEOF_1\n'),
      tampered: [{ name: 'GITHUB_OUTPUT', detail: '29 bytes appended' }],
      actions: ['GITHUB_OUTPUT rewritten'],
    }),
  ],
  [
    'GITHUB_STATE deleted',
    () => ({
      tamper: () => rmSync(env.GITHUB_STATE),
      tampered: [{ name: 'GITHUB_STATE', detail: 'deleted' }],
      actions: ['GITHUB_STATE recreated'],
    }),
  ],
  [
    'GITHUB_ENV replaced by a symlink to another file (never followed)',
    () => {
      const other = join(dir, 'other-env');
      return {
        tamper: () => {
          writeFileSync(other, BAIT);
          rmSync(env.GITHUB_ENV);
          symlinkSync(other, env.GITHUB_ENV);
        },
        tampered: [{ name: 'GITHUB_ENV', detail: 'replaced by a symbolic link' }],
        actions: ['GITHUB_ENV recreated'],
        bystander: [other, BAIT],
      };
    },
  ],
  [
    'GITHUB_OUTPUT replaced by a hard link to another file (not written in place)',
    () => {
      const other = join(dir, 'other-output');
      return {
        tamper: () => {
          writeFileSync(other, 'x=1\n');
          rmSync(env.GITHUB_OUTPUT);
          linkSync(other, env.GITHUB_OUTPUT);
        },
        tampered: [{ name: 'GITHUB_OUTPUT', detail: 'rewritten (9 → 4 bytes)' }],
        actions: ['GITHUB_OUTPUT recreated'],
        bystander: [other, 'x=1\n'],
      };
    },
  ],
  [
    'GITHUB_STEP_SUMMARY replaced by a named pipe (no hang)',
    () => ({
      tamper: () => {
        rmSync(env.GITHUB_STEP_SUMMARY);
        execFileSync('mkfifo', [env.GITHUB_STEP_SUMMARY]);
      },
      tampered: [{ name: 'GITHUB_STEP_SUMMARY', detail: 'replaced by a named pipe' }],
      actions: ['GITHUB_STEP_SUMMARY recreated'],
    }),
  ],
  [
    'GITHUB_PATH made unreadable',
    () => ({
      tamper: () => chmodSync(env.GITHUB_PATH, 0),
      tampered: [{ name: 'GITHUB_PATH', detail: 'replaced by a file that cannot be read (EACCES)' }],
      actions: ['GITHUB_PATH recreated'],
    }),
  ],
  [
    'GITHUB_STATE absent before the agent, created by it',
    () => {
      rmSync(env.GITHUB_STATE);
      return {
        tamper: () => writeFileSync(env.GITHUB_STATE, 'x=1\n'),
        tampered: [{ name: 'GITHUB_STATE', detail: 'created (4 bytes)' }],
        actions: ['GITHUB_STATE removed'],
      };
    },
  ],
  [
    'GITHUB_OUTPUT unset for this step: not checked, not touched',
    () => ({
      unset: 'GITHUB_OUTPUT',
      tamper: () => appendFileSync(env.GITHUB_OUTPUT, 'x=1\n'),
      tampered: [],
      actions: [],
      bystander: [env.GITHUB_OUTPUT, `${ORIGINAL.GITHUB_OUTPUT}x=1\n`],
    }),
  ],
];

describe('snapshot → tamper → verify → discard', () => {
  test.each(ROWS)('%s', (_name, makeRow) => {
    const root = process.getuid?.() === 0;
    const row = makeRow();
    if (root && row.tampered.some((t) => t.detail.includes('EACCES'))) return; // root reads mode-0 files
    const given = { ...env, [row.unset ?? 'NONE']: undefined };
    const before = snapshotFileCommands(given);
    const absentBefore = Object.values(env).filter((f) => !lstatSafe(f));

    row.tamper();

    expect(verifyUnchanged(before).map(({ name, detail }) => ({ name, detail }))).toEqual(row.tampered);
    const done = discardTampering(before);
    expect(done.map((d) => `${d.name} ${d.action}`)).toEqual(row.actions);
    expect(done.every((d) => d.file === env[d.name])).toBe(true);
    expect(verifyUnchanged(before)).toEqual([]);
    for (const { name, file } of before) {
      if (absentBefore.includes(file)) {
        expect(lstatSafe(file)).toBe(false);
        continue;
      }
      expect(lstatSync(file).isFile()).toBe(true);
      expect(lstatSync(file).mode & 0o777).toBe(0o644);
      expect(readFileSync(file, 'utf8')).toBe(ORIGINAL[name]);
    }
    if (row.bystander) expect(readFileSync(row.bystander[0], 'utf8')).toBe(row.bystander[1]);
  });
});

function lstatSafe(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

describe('snapshotFileCommands', () => {
  test('records only the variables that name a file', () => {
    expect(snapshotFileCommands({ GITHUB_ENV: env.GITHUB_ENV, GITHUB_PATH: '' }).map((r) => r.name)).toEqual([
      'GITHUB_ENV',
    ]);
  });

  test('refuses a file command that is already a symlink before the agent starts', () => {
    rmSync(env.GITHUB_ENV);
    symlinkSync(join(dir, 'elsewhere'), env.GITHUB_ENV);
    expect(() => snapshotFileCommands(env)).toThrow(`GITHUB_ENV (${env.GITHUB_ENV}) is a symbolic link`);
  });
});
