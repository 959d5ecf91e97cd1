import { describe, expect, test } from '@jest/globals';
import { InputError } from '../../src/inputs.js';
import {
  buildRules,
  CRITICAL_DENIALS,
  DEFAULT_ALLOW,
  DENY_RULES,
  pathDenyRules,
  validateUserRule,
} from '../../src/policy/permissions.js';

describe('default rules', () => {
  test('review allow-list reads the repository and runs read-only git in the colon form only', () => {
    expect([...DEFAULT_ALLOW].sort()).toEqual(
      [
        'Read',
        'Grep',
        'Glob',
        'Bash(git diff:*)',
        'Bash(git log:*)',
        'Bash(git show:*)',
        'Bash(git status:*)',
        'Bash(git blame:*)',
      ].sort(),
    );
  });

  test.each([
    'Bash(curl:*)',
    'Bash(wget:*)',
    'Bash(nc:*)',
    'Bash(ssh:*)',
    'Bash(dig:*)',
    'Bash(ping:*)',
    'Bash(npm:*)',
    'Bash(npx:*)',
    'Bash(pip3:*)',
    'Bash(cargo install:*)',
    'Bash(go get:*)',
    'Bash(apt-get:*)',
    'Bash(sudo:*)',
    'Bash(su:*)',
    'Bash(doas:*)',
    'Bash(env:*)',
    'Bash(printenv:*)',
    'Bash(git push:*)',
    'Bash(git fetch:*)',
    'Bash(git pull:*)',
    'Bash(git clone:*)',
    'Bash(git remote:*)',
    'Bash(git submodule:*)',
    'Bash(git config:*)',
    'Bash(git credential:*)',
    'Bash(git difftool:*)',
    'Bash(git diff *--output*)',
    'Bash(git log *--output*)',
    'Bash(git show *--output*)',
    'Bash(git blame *--cont*)',
    'Bash(git blame *--ignore-revs*)',
    'Bash(git blame *-S*)',
    'Bash(git diff *-O*)',
    'Bash(git log *-O*)',
    'Bash(git show *-O*)',
    'Bash(git diff *--no-index*)',
    'Bash(git diff *--ext-diff*)',
    'Bash(git log *--ext-diff*)',
    'Bash(git show *--ext-diff*)',
    'WebFetch',
    'WebSearch',
    'Read(.env*)',
    'Read(.git/config)',
    'Edit(.env*)',
    'Edit(*.pem)',
    'Edit(*.key)',
    'Edit(.git/**)',
    'Read(~/.ssh/**)',
    'Read(~/.aws/**)',
    'Read(~/.docker/**)',
    'Read(~/.npmrc)',
    'Read(~/.netrc)',
    'Read(~/.config/gh/**)',
    'Read(~/.kube/**)',
    'Read(~/.gnupg/**)',
    'Read(//proc/**)',
  ])('DENY_RULES contains %s', (rule) => {
    expect(DENY_RULES).toContain(rule);
  });

  test.each([
    'Bash(curl:*)',
    'Bash(npm:*)',
    'Bash(sudo:*)',
    'Bash(env:*)',
    'Bash(printenv:*)',
    'Bash(git push:*)',
    'Bash(git diff *--output*)',
    'Bash(git difftool:*)',
    'WebFetch',
    'WebSearch',
  ])('CRITICAL_DENIALS contains %s', (rule) => {
    expect(CRITICAL_DENIALS).toContain(rule);
  });

  test('CRITICAL_DENIALS is a subset of DENY_RULES and holds no path rules', () => {
    for (const rule of CRITICAL_DENIALS) expect(DENY_RULES).toContain(rule);
    expect(CRITICAL_DENIALS.filter((r) => /^(Read|Edit)\(/.test(r))).toEqual([]);
  });

  test('no default allow rule is also denied', () => {
    expect(DEFAULT_ALLOW.filter((rule) => DENY_RULES.includes(rule))).toEqual([]);
  });
});

describe('pathDenyRules', () => {
  test.each([
    [{ workspace: '/w/repo' }, ['Read(//w/repo/.git/config)'], ['Read(//tmp/rt/**)']],
    [
      { workspace: '/w/repo/', runnerTemp: '/home/runner/work/_temp/' },
      [
        'Read(//home/runner/work/_temp/**)',
        'Edit(//home/runner/work/_temp/**)',
        'Read(//w/repo/.git/config)',
      ],
      [],
    ],
    [
      { workspace: '/w', home: '/home/runner' },
      ['Read(//home/runner/.ssh/**)', 'Edit(//home/runner/.aws/**)', 'Read(//home/runner/.npmrc)'],
      [],
    ],
  ])('%j', (paths, present, absent) => {
    const rules = pathDenyRules(paths);
    for (const rule of present) expect(rules).toContain(rule);
    for (const rule of absent) expect(rules).not.toContain(rule);
  });
});

describe('validateUserRule', () => {
  test.each([
    ['Bash(make test:*)', 'allow', 'review'],
    ['  Bash(npm-check:*)  ', 'allow', 'review'],
    ['Bash(python3 -m pytest:*)', 'allow', 'custom'],
    ['Bash(git log --oneline:*)', 'allow', 'review'],
    ['Bash(find . -name x)', 'allow', 'custom'],
    ['Read(src/**)', 'allow', 'review'],
    ['Read(//**)', 'deny', 'review'],
    ['Bash(git diff *)', 'allow', 'review'],
    ['Bash(sh scripts/test.sh)', 'allow', 'review'],
    ['Read(docs/**)', 'allow', 'review'],
    ['Task', 'allow', 'review'],
    ['Edit(src/**)', 'allow', 'custom'],
    ['Write(**)', 'allow', 'custom'],
    ['Bash', 'deny', 'review'],
    ['Bash(rm:*)', 'deny', 'review'],
    ['Read(secrets/**)', 'deny', 'custom'],
    ['mcp__github', 'deny', 'review'],
    ['WebFetch', 'deny', 'review'],
  ] as const)('accepts %j as %s in %s mode', (rule, kind, mode) => {
    expect(validateUserRule(rule, kind, mode)).toBe(rule.trim());
  });

  test.each([
    ['Bash', 'allow', 'custom', /every shell command/],
    ['Bash(*)', 'allow', 'custom', /wildcard/],
    ['Bash(**)', 'allow', 'custom', /wildcard/],
    ['Bash(:*)', 'allow', 'custom', /wildcard/],
    ['Bash( * )', 'allow', 'custom', /wildcard/],
    ['Bash(* install)', 'allow', 'custom', /wildcard/],
    ['Bash(bash:*)', 'allow', 'custom', /arbitrary code/],
    ['Bash(bash -c:*)', 'allow', 'custom', /arbitrary code/],
    ['Bash(python3 *)', 'allow', 'custom', /arbitrary code/],
    ['Bash(node -e:*)', 'allow', 'custom', /arbitrary code/],
    ['Bash(git:*)', 'allow', 'custom', /arbitrary code/],
    ['Bash(git -c:*)', 'allow', 'custom', /arbitrary code/],
    // issue 10 item 7: rules that slipped through validation, and their relatives
    ['Read(//**)', 'allow', 'review', /absolute path/],
    ['Read(//home/runner/.aws/**)', 'allow', 'custom', /absolute path/],
    ['Read(~/.aws/credentials)', 'allow', 'review', /home directory/],
    ['Read(/credentials.json)', 'allow', 'review', /settings file/],
    ['Read(../**)', 'allow', 'review', /climbs out/],
    ['Grep(//etc/**)', 'allow', 'review', /absolute path/],
    ['Edit(//tmp/**)', 'allow', 'custom', /absolute path/],
    ['Bash(git diff:*; curl x)', 'allow', 'review', /shell syntax ';'/],
    ['Bash(git diff:* && curl x)', 'allow', 'review', /shell syntax '&'/],
    ['Bash(git log $(id):*)', 'allow', 'review', /shell syntax '\$'/],
    ['Bash(git log:*:*)', 'allow', 'review', /may only end a rule/],
    ['Bash(git -c core.pager=sh diff:*)', 'allow', 'review', /git option '-c'/],
    ['Bash(git --git-dir=/tmp/x log:*)', 'allow', 'review', /--git-dir/],
    ['Bash(git blame --contents:*)', 'allow', 'review', /--contents/],
    ['Bash(git commit:*)', 'allow', 'custom', /not one of the read-only git commands/],
    ['Bash(git grep:*)', 'allow', 'review', /not one of the read-only git commands/],
    ['Bash(find:*)', 'allow', 'review', /find -exec/],
    ['Bash(find . -name:*)', 'allow', 'custom', /find -exec/],
    ['Bash(xargs:*)', 'allow', 'custom', /arbitrary code|find -exec/],
    ['Bash(setsid:*)', 'allow', 'custom', /arbitrary code|find -exec/],
    ['Bash(sed -n:*)', 'allow', 'custom', /sed e/],
    ['Bash(tar -tf:*)', 'allow', 'custom', /as broad as Bash/],
    ['Bash(timeout 60 make:*)', 'allow', 'custom', /as broad as Bash/],
    ['Bash(env FOO=1 make:*)', 'allow', 'custom', /always-on deny|as broad as Bash/],
    ['Bash(vim *)', 'allow', 'custom', /as broad as Bash/],
    ['Bash(less:*)', 'allow', 'custom', /as broad as Bash/],
    ['Bash(curl:*)', 'allow', 'custom', /Bash\(curl:\*\)/],
    ['Bash(curl https://example.com:*)', 'allow', 'custom', /Bash\(curl:\*\)/],
    ['Bash(sudo apt-get install:*)', 'allow', 'custom', /Bash\(sudo:\*\)/],
    ['Bash(npm test)', 'allow', 'custom', /Bash\(npm:\*\)/],
    ['Bash(git push origin:*)', 'allow', 'custom', /Bash\(git push:\*\)/],
    ['Bash(git diff --output=x)', 'allow', 'custom', /--output/],
    ['Bash(printenv)', 'allow', 'custom', /printenv/],
    ['Read(.env*)', 'allow', 'custom', /always-on deny/],
    ['WebFetch', 'allow', 'custom', /no route out/],
    ['WebFetch(domain:example.com)', 'allow', 'custom', /no route out/],
    ['WebSearch', 'allow', 'review', /no route out/],
    ['mcp__github', 'allow', 'custom', /MCP/],
    ['mcp__github__create_issue', 'allow', 'custom', /MCP/],
    ['Write(**)', 'allow', 'review', /review mode/],
    ['Edit(**)', 'allow', 'review', /review mode/],
    ['Edit(src/a.ts)', 'allow', 'review', /review mode/],
    ['MultiEdit', 'allow', 'review', /review mode/],
    ['NotebookEdit(x.ipynb)', 'allow', 'review', /review mode/],
    ['Shell(ls)', 'allow', 'review', /unknown tool/],
    ['bash(ls)', 'deny', 'review', /unknown tool/],
    ['Bash(ls', 'deny', 'review', /form Tool/],
    ['Bash()', 'deny', 'review', /empty specifier/],
    ['Bash(ls)\u0007', 'allow', 'review', /control character/],
    ['', 'allow', 'review', /form Tool/],
  ] as const)('refuses %j as %s in %s mode', (rule, kind, mode, why) => {
    let error: unknown;
    try {
      validateUserRule(rule, kind, mode);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const err = error as InputError;
    expect(err.input).toBe(kind === 'allow' ? 'allowed-tools' : 'denied-tools');
    expect(err.message).toMatch(why);
    if (rule.trim() !== '' && !/[\u0000-\u001f]/.test(rule)) expect(err.message).toContain(rule.trim());
  });
});

describe('buildRules', () => {
  const paths = { workspace: '/w/repo', runnerTemp: '/rt', home: '/home/runner' };

  test('defaults plus user rules, de-duplicated, deny includes path rules', () => {
    const rules = buildRules('custom', ['Bash(make test:*)', 'Read'], ['Bash(rm:*)', 'WebFetch'], paths);
    expect(rules.allow).toEqual([...DEFAULT_ALLOW, 'Bash(make test:*)']);
    expect(rules.deny.slice(0, DENY_RULES.length)).toEqual([...DENY_RULES]);
    expect(rules.deny).toContain('Read(//rt/**)');
    expect(rules.deny).toContain('Read(//home/runner/.ssh/**)');
    expect(rules.deny).toContain('Bash(rm:*)');
    expect(rules.deny.filter((r) => r === 'WebFetch')).toHaveLength(1);
  });

  test("sandboxed: no Read deny on .git/config (the sandbox would make git's own config unreadable); everything else stays", () => {
    const plain = buildRules('review', [], [], paths);
    const sandboxed = buildRules('review', [], [], { ...paths, sandboxed: true });
    expect(plain.deny).toEqual(expect.arrayContaining(['Read(.git/config)', 'Read(//w/repo/.git/config)']));
    expect(plain.deny.filter((r) => !sandboxed.deny.includes(r))).toEqual([
      'Read(.git/config)',
      'Read(//w/repo/.git/config)',
    ]);
    expect(sandboxed.deny.filter((r) => !plain.deny.includes(r))).toEqual([]);
    expect(sandboxed.deny).toContain('Edit(.git/**)');
  });

  test('custom mode has the same defaults as review mode', () => {
    expect(buildRules('custom', [], [], paths)).toEqual(buildRules('review', [], [], paths));
  });

  test('user rules are validated again here', () => {
    expect(() => buildRules('review', ['Edit(**)'], [], paths)).toThrow(InputError);
    expect(() => buildRules('custom', ['Bash(*)'], [], paths)).toThrow(/every shell command|wildcard/);
  });
});
