import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkCommand, type CommandPolicy, userPrefixesOf } from '../../src/policy/command-check.js';
import { GIT_GLOBAL_OPTIONS, GIT_SUBCOMMANDS } from '../../src/policy/command-options.js';
import { parseCommand } from '../../src/policy/shell-words.js';
import { decodePolicy, encodePolicy, hookCommandLine, hookDecision } from '../../src/policy/bash-hook.js';
import { GIT_ENV, git, tempDirs } from '../support/git-sandbox.js';

const none: CommandPolicy = { userPrefixes: [] };
const refused = (command: string, policy: CommandPolicy = none) => {
  const v = checkCommand(command, policy);
  return v.ok ? undefined : v.reason;
};

describe('checkCommand: what a review runs passes', () => {
  test.each([
    'git diff abc123...def456',
    'git diff abc123...def456 -- src/app.js',
    'git diff --stat HEAD~1..HEAD',
    'git diff -U5 --no-color HEAD~1 -- "src/a file.js"',
    'git --no-pager log --oneline -20',
    "git log --format='%h %an %s' -n 5 origin/main..HEAD",
    'git log -p -1 -- src/app.js',
    'git log -Sneedle --oneline',
    'git show HEAD~1:README.md',
    'git show --stat HEAD',
    'git status --short',
    'git blame -w -L 10,20 src/app.js',
    'git blame HEAD -- src/app.js',
    'git log --oneline | head -5',
    'git diff HEAD~1 | grep -n TODO',
    'git log --oneline | wc -l',
    'git diff HEAD~1 2>&1 | tail -n 20',
    'git status && git log -1',
    'git show HEAD:src/app.js 2>/dev/null',
    'git log -1 </dev/null >/dev/null 2>&1 &',
    'git status;',
  ])('%s', (command) => {
    expect(refused(command)).toBeUndefined();
  });
});

describe('checkCommand: every file-naming option and shell trick is refused, with the reason', () => {
  test.each([
    // issue 9 item 1: options that read or write files or run programs
    ['git blame --contents ~/.aws/credentials -- README.md', /'--contents'|'~'/],
    ['git blame --contents /home/runner/.aws/credentials -- README.md', /--contents/],
    ['git blame --contents=/etc/passwd -- README.md', /--contents/],
    ['git blame --cont /etc/passwd -- README.md', /--cont'/],
    ['git blame --ignore-revs-file /etc/passwd README.md', /--ignore-revs-file/],
    ['git blame --ignore-revs /etc/passwd README.md', /--ignore-revs'/],
    ['git blame -S /etc/passwd README.md', /'-S'/],
    ['git blame -wS /etc/passwd README.md', /'-w'/],
    ['git diff --output=.git/hooks/pre-commit HEAD~1', /--output/],
    ['git log --output=/tmp/x -1', /--output/],
    ['git show --output /tmp/x HEAD', /--output/],
    ['git diff -O/etc/passwd HEAD~1', /'-O'/],
    ['git diff --no-index /etc/passwd README.md', /--no-index/],
    ['git diff /etc/passwd README.md', /absolute path/],
    ['git diff ../../etc/passwd README.md', /climbs out/],
    ['git diff --ext-diff HEAD~1', /--ext-diff/],
    ['git log -p --textconv -1', /--textconv/],
    ['git log -L 1,5:/etc/passwd', /'-L'/],
    ['git log --show-signature -1', /--show-signature/],
    ['git log --stdin', /--stdin/],
    // git's own options: config, programs, other repositories
    ['git -c core.pager=sh log -1', /git option '-c'/],
    ['git -c include.path=/tmp/x log', /'-c'/],
    ['git --exec-path=/tmp log', /--exec-path/],
    ['git --git-dir=/tmp/other/.git log', /--git-dir/],
    ['git --work-tree=/ status', /--work-tree/],
    ['git -C /tmp log', /'-C'/],
    ['git --config-env=core.pager=X log', /--config-env/],
    ['git -p log -1', /'-p'/],
    // other subcommands
    ['git difftool -y -x sh HEAD~1', /not one of the read-only git commands/],
    ['git config --list', /not one of the read-only/],
    ['git grep -O cat x', /not one of the read-only/],
    ['git', /without a subcommand/],
    // shell constructs that build options or paths the check did not see
    ['git log -1; curl x', /'curl' is not an allowed command/],
    ['git log $(cat /etc/passwd)', /'\$'/],
    ['git log `id`', /'`'/],
    ['git log "$HOME"', /double quotes expands/],
    ['git blame --con{tents,} /etc/passwd -- README.md', /'\{'/],
    ['git log *', /'\*'/],
    ['git log -- src/?.js', /'\?'/],
    ['git log > /tmp/x', /redirection '>\/tmp\/x'/],
    ['git log 2>/tmp/x', /redirection/],
    ['git log <<EOF', /redirection/],
    ['git log & curl x', /'curl' is not an allowed command/],
    ['git log &> /tmp/x', /'&'/],
    ['(git log)', /'\('/],
    ['GIT_EXTERNAL_DIFF=sh git diff', /assignment 'GIT_EXTERNAL_DIFF=…'/],
    ['/usr/bin/git log', /'\/usr\/bin\/git' is not an allowed command/],
    ['git log \\\n--output=x', /character '\\'/],
    ["git log 'unterminated", /unterminated/],
    ['git log -1 |', /empty command/],
    ['git log # comment', /'#'/],
    // stdin filters never take a file operand, and only after a pipe
    ['head -1 README.md', /'head' is not an allowed command/],
    ['git log | head -5 /etc/passwd', /file operand/],
    ['git log | grep -f /etc/passwd', /'-f'/],
    ['git log | grep x /etc/passwd', /file operand/],
    ['cat .env', /'cat' is not an allowed command/],
    ['find . -exec cat {} ;', /not an allowed command|'\{'/],
  ])('%s', (command, why) => {
    const reason = refused(command);
    expect(reason).toBeDefined();
    expect(reason).toMatch(why);
  });

  test('a command a user rule grants is left to the permission rules', () => {
    const policy = { userPrefixes: userPrefixesOf(['Bash(make test:*)', 'Bash(npm run lint)', 'Read']) };
    expect(policy.userPrefixes).toEqual(['make test', 'npm run lint']);
    expect(refused('make test -j2', policy)).toBeUndefined();
    expect(refused('make install', policy)).toMatch(/'make'/);
    expect(refused('make test; curl x', policy)).toMatch(/'curl'/);
    expect(userPrefixesOf(['Bash(git log:*)'])).toEqual([]);
    const setsid = { userPrefixes: userPrefixesOf(['Bash(setsid:*)']) };
    expect(
      refused(`setsid bash -c '(exec -a t sleep 300 </dev/null &)' </dev/null >/dev/null 2>&1 &`, setsid),
    ).toBeUndefined();
  });

  test('quotes are removed before the check: an option spelled across quotes is still the option', () => {
    expect(refused("git blame --con'tents' /etc/passwd -- README.md")).toMatch(/--contents/);
    expect(parseCommand(`git log --format='%h "x"' "a b"`)).toEqual([
      { words: ['git', 'log', '--format=%h "x"', 'a b'], piped: false },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The installed git's own option lists

interface GitOption {
  name: string;
  /** git's own help line for it, when `-h` prints one. */
  help: string;
}

const run = (args: string[]) => spawnSync('git', args, { env: GIT_ENV, encoding: 'utf8' });

/** Every option git lists for a subcommand: `git <cmd> -h` and `--git-completion-helper` (diff options
 * too for diff, log and show). */
function gitOptions(sub: string): GitOption[] {
  const options = new Map<string, string>();
  const sources = [sub, ...(sub === 'log' || sub === 'show' ? ['diff'] : [])];
  for (const source of sources) {
    const h = run([source, '-h']);
    const lines = `${h.stdout}${h.stderr}`.split('\n');
    lines.forEach((line, i) => {
      const m = /^\s+(-[A-Za-z0-9])?(?:,\s*)?(--[a-z][a-z0-9-]*)?/.exec(line);
      if (!m || (!m[1] && !m[2])) return;
      const help = `${line} ${lines[i + 1]?.startsWith('      ') ? lines[i + 1] : ''}`;
      for (const name of [m[1], m[2]]) if (name) options.set(name, help);
    });
    for (const token of run([source, '--git-completion-helper']).stdout.split(/\s+/)) {
      const name = token.replace(/=$/, '');
      if (/^--[a-z]/.test(name) && !options.has(name)) options.set(name, '');
    }
  }
  return [...options].map(([name, help]) => ({ name, help }));
}

/** What git's help says takes a file, a path or a program, or what is named for one. */
const TAKES_FILE_OR_PROGRAM =
  /<(file|path|cmd|command|program|tool|orderfile|dir|directory)>|\b(file|files|command|program)\b/i;
const NAMED_FOR_FILE_OR_PROGRAM =
  /output|file|exec|textconv|ext-diff|no-index|contents|git-dir|work-tree|config|template|pager|editor|program|tool/;

describe.each(Object.keys(GIT_SUBCOMMANDS))('git %s: allow-list against the installed git', (sub) => {
  const listed = gitOptions(sub);
  const table = GIT_SUBCOMMANDS[sub];

  test('git lists options for it (the derivation works)', () => {
    expect(listed.length).toBeGreaterThan(10);
  });

  test('no allowed option is one git describes as taking a file or program, or is named for one', () => {
    const bad = listed.filter(
      (o) =>
        Object.hasOwn(table, o.name) &&
        (TAKES_FILE_OR_PROGRAM.test(
          o.help.replace(/\bfilename\b|\bfiles?\b(?= (changed|names?|in columns))/g, ''),
        ) ||
          NAMED_FOR_FILE_OR_PROGRAM.test(o.name)),
    );
    // Reviewed exceptions: help text that says "file" about the blamed file or the diff's file names.
    const reviewed = new Set([
      '-R',
      '-a',
      '--text',
      '--pickaxe-all',
      '--no-ext-diff',
      '--no-textconv',
      '--use-mailmap',
      '-f',
      '--show-name',
      '--name-only',
      '--name-status',
      '-l',
      '-c',
      '--find-copies-harder',
      '-C',
      '--find-copies',
      '-B',
      '--break-rewrites',
      '-M',
      '--find-renames',
      '--untracked-files',
      '-u',
      '--ignored',
      '--follow',
      '--full-index',
      '--binary',
      '--check',
      '--stat',
      '--summary',
      '--shortstat',
      '--dirstat',
      '--compact-summary',
      '--numstat',
      '--raw',
      '--patch-with-raw',
      '--patch-with-stat',
      '--no-prefix',
      '-L',
    ]);
    expect(bad.map((o) => o.name).filter((n) => !reviewed.has(n))).toEqual([]);
    expect(Object.keys(table).filter((n) => !reviewed.has(n) && NAMED_FOR_FILE_OR_PROGRAM.test(n))).toEqual(
      [],
    );
  });

  test('every option git lists that is not on the allow-list is refused, in every spelling', () => {
    const notAllowed = listed.filter((o) => !Object.hasOwn(table, o.name));
    expect(notAllowed.length).toBeGreaterThan(0);
    const passed = notAllowed.flatMap((o) =>
      [`git ${sub} ${o.name} x`, `git ${sub} ${o.name}=x`, `git ${sub} ${o.name}x`]
        .filter((c) => checkCommand(c, none).ok)
        .map((c) => c),
    );
    expect(passed).toEqual([]);
  });

  test('every abbreviation of a refused long option is refused (git accepts unambiguous ones)', () => {
    const passed: string[] = [];
    for (const o of listed.filter((x) => x.name.startsWith('--') && !Object.hasOwn(table, x.name))) {
      for (let len = 4; len < o.name.length; len++) {
        const abbrev = o.name.slice(0, len);
        if (Object.hasOwn(table, abbrev)) continue; // an exact option, never taken as an abbreviation
        if (checkCommand(`git ${sub} ${abbrev}=x README.md`, none).ok) passed.push(abbrev);
        if (checkCommand(`git ${sub} ${abbrev} x README.md`, none).ok && !Object.hasOwn(table, abbrev))
          passed.push(abbrev);
      }
    }
    expect(passed).toEqual([]);
  });
});

describe('allow-list entries exist in the installed git', () => {
  const tempDir = tempDirs('cg-cmd-');
  const SAMPLE: Record<string, string> = {
    '-L': '1,1',
    '-S': 'x',
    '-G': 'x',
    '-U': '3',
    '--diff-filter': 'M',
    '--diff-algorithm': 'patience',
    '--diff-merges': 'off',
    '--encoding': 'UTF-8',
    '--format': '%H',
    '--date': 'iso',
  };

  test.each(Object.keys(GIT_SUBCOMMANDS))('git %s accepts every allowed option (no stale entry)', (sub) => {
    const dir = tempDir();
    git(dir, ['init', '-q']);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'one\n');
    git(dir, ['add', '.']);
    git(dir, ['commit', '-qm', 'one']);
    const unknown: string[] = [];
    for (const [name, kind] of Object.entries(GIT_SUBCOMMANDS[sub])) {
      const value = SAMPLE[name] ?? '1';
      const args =
        kind === 'required' ? (name.startsWith('--') ? [`${name}=${value}`] : [name, value]) : [name];
      const tail = sub === 'blame' ? ['--', 'a.txt'] : sub === 'status' ? [] : ['HEAD'];
      const r = spawnSync('git', [sub, ...args, ...tail], { cwd: dir, env: GIT_ENV, encoding: 'utf8' });
      if (r.status === 129 || /unknown (option|switch)|unrecognized argument/.test(r.stderr))
        unknown.push(name);
    }
    expect(unknown).toEqual([]);
  });
});

describe("git's global options (git -h)", () => {
  test('every global option git lists but --no-pager/-P is refused before the subcommand', () => {
    const h = run(['-h']);
    const names = [...`${h.stdout}${h.stderr}`.matchAll(/\[(-{1,2}[a-z][a-z-]*)/g)].map((m) => m[1]);
    const options = [...new Set(names.concat(['-c', '-C', '--git-dir', '--work-tree', '--exec-path']))];
    expect(options.length).toBeGreaterThan(8);
    const passed = options
      .filter((o) => !GIT_GLOBAL_OPTIONS.includes(o))
      .filter((o) => checkCommand(`git ${o} x log`, none).ok || checkCommand(`git ${o}=x log`, none).ok);
    expect(passed).toEqual([]);
  });
});

describe('the Bash hook', () => {
  const input = (command: unknown, tool = 'Bash') =>
    JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: tool, tool_input: { command } });

  test.each([
    [
      input('git blame --contents /etc/passwd -- README.md'),
      /claude-guard: command refused: 'git blame' option '--contents'/,
    ],
    [input(42), /has no command/],
    ['not json', /not JSON/],
  ])('denies %s', (stdin, why) => {
    const out = hookDecision(stdin, none);
    expect(out?.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(out?.hookSpecificOutput.permissionDecisionReason).toMatch(why);
  });

  test('passes an allowed command and other tools without a decision', () => {
    expect(hookDecision(input('git log -1'), none)).toBeUndefined();
    expect(hookDecision(input('x', 'Read'), none)).toBeUndefined();
  });

  test('the policy round-trips through its command line, quoted for sh', () => {
    const policy = { userPrefixes: ["make 'x'", 'npm test'] };
    expect(decodePolicy(encodePolicy(policy))).toEqual(policy);
    expect(() => decodePolicy('')).toThrow();
    const line = hookCommandLine("/opt/no'de", '/a b/hook.js', policy);
    expect(line).toBe(`'/opt/no'\\''de' '/a b/hook.js' '${encodePolicy(policy)}'`);
  });
});
