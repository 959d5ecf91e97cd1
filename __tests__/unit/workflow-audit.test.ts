import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AUDIT_RULE_IDS,
  auditWorkflow,
  renderAuditMarkdown,
  type AuditFinding,
  type AuditOptions,
} from '../../src/policy/workflow-audit.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'workflows');

interface Expected {
  options?: Partial<AuditOptions>;
  findings: Array<Pick<AuditFinding, 'id' | 'severity' | 'line' | 'job'>>;
}

const key = (f: Pick<AuditFinding, 'id' | 'severity' | 'line' | 'job'>) =>
  `${String(f.line ?? '-').padStart(4, '0')} ${f.id} ${f.severity} ${f.job ?? '-'}`;

const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((file) => {
    const name = file.slice(0, -'.yml'.length);
    const expected = JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Expected;
    return { name, text: readFileSync(join(FIXTURES, file), 'utf8'), expected };
  });

const audit = (text: string, opts: Partial<AuditOptions> = {}) =>
  auditWorkflow(text, { mode: 'review', ...opts });

describe('corpus: every fixture yields exactly its expected findings', () => {
  test('the corpus is large enough and covers every rule', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
    const seen = new Set(fixtures.flatMap((f) => f.expected.findings.map((x) => x.id)));
    expect([...AUDIT_RULE_IDS].filter((id) => !seen.has(id))).toEqual([]);
    expect(fixtures.filter((f) => f.expected.findings.length === 0).length).toBeGreaterThanOrEqual(3);
  });

  test.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const got = audit(f.text, f.expected.options).map(key).sort();
    expect(got).toEqual(f.expected.findings.map(key).sort());
  });
});

/** A job whose only step before `run` is claude-guard. */
const afterAgent = (run: string) => `
on: pull_request
permissions: { contents: read }
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/claude-guard@0123456789abcdef0123456789abcdef01234567
      - run: ${JSON.stringify(run)}
`;
const ids = (fs: AuditFinding[]) => fs.map((f) => f.id);

describe('install-after-agent: which commands install packages', () => {
  test.each([
    ['npm install', true],
    ['npm i lodash', true],
    ['npm ci', true],
    ['cd web && npm ci --ignore-scripts', true],
    ['pnpm install --frozen-lockfile', true],
    ['pnpm dlx create-thing', true],
    ['yarn add left-pad', true],
    ['yarn', true],
    ['bun install', true],
    ['npx eslint .', true],
    ['pip install -r requirements.txt', true],
    ['python -m pip install .', true],
    ['pipx run black .', true],
    ['uv pip install x', true],
    ['poetry install', true],
    ['gem install rails', true],
    ['bundle install', true],
    ['cargo build --release', true],
    ['cargo install ripgrep', true],
    ['go install ./cmd/x', true],
    ['go get example.com/m', true],
    ['sudo apt-get install -y jq', true],
    ['apt install curl', true],
    ['apk add git', true],
    ['brew install gh', true],
    ['composer install', true],
    ['npm run build', false],
    ['npm test', false],
    ['npm init -y', false],
    ['yarn-berry --version', false],
    ['pnpm build', false],
    ['cargo test', false],
    ['go test ./...', false],
    ['pip --version', false],
    ['echo done', false],
    ['git diff --exit-code', false],
    ['make install-deps-docs', false],
  ])('%s → %s', (cmd, flagged) => {
    expect(ids(audit(afterAgent(cmd))).includes('install-after-agent')).toBe(flagged);
  });

  test('installs before the agent, or in another job, are fine', () => {
    const wf = `
on: pull_request
permissions: { contents: read }
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: npm ci
  review:
    runs-on: ubuntu-latest
    steps:
      - run: npm ci
      - uses: acme/claude-guard@v1
`;
    expect(ids(audit(wf))).not.toContain('install-after-agent');
  });

  test.each([
    ['review', 'warning'],
    ['custom', 'error'],
    ['fix', 'error'],
  ] as const)('mode %s → %s (the agent can write files outside review)', (mode, severity) => {
    const f = audit(afterAgent('npm ci'), { mode }).find((x) => x.id === 'install-after-agent');
    expect(f).toMatchObject({ severity, line: 9, job: 'review' });
    expect(f?.message).toContain("'npm ci'");
  });
});

describe('script-injection: attacker-controlled contexts in run scripts', () => {
  test.each([
    ['github.event.pull_request.title', true],
    ['github.event.pull_request.body', true],
    ['github.event.issue.title', true],
    ['github.event.comment.body', true],
    ['github.event.review.body', true],
    ['github.event.review_comment.body', true],
    ['github.event.discussion.body', true],
    ['github.event.head_commit.message', true],
    ['github.event.head_commit.author.email', true],
    ['github.event.commits[0].message', true],
    ['github.event.pages[0].page_name', true],
    ['github.event.pull_request.head.ref', true],
    ['github.event.pull_request.head.label', true],
    ['github.event.workflow_run.head_branch', true],
    ['github.head_ref', true],
    ['toJSON(github.event)', true],
    ['toJSON( github.event.pull_request )', true],
    ['github.event.pull_request.number', false],
    ['github.event.pull_request.head.sha', false],
    ['github.sha', false],
    ['github.actor', false],
    ['secrets.X', false],
    ['matrix.node', false],
  ])('${{ %s }} → %s', (expr, flagged) => {
    expect(ids(audit(afterAgent(`echo "\${{ ${expr} }}"`))).includes('script-injection')).toBe(flagged);
  });

  test('the same expression in step env, an if: or a with: input is not script injection', () => {
    const wf = `
on: pull_request
permissions: { contents: read }
jobs:
  review:
    if: contains(github.event.pull_request.title, 'review')
    runs-on: ubuntu-latest
    steps:
      - env:
          TITLE: \${{ github.event.pull_request.title }}
        run: echo "$TITLE"
      - uses: acme/claude-guard@v1
        with:
          prompt: \${{ github.event.pull_request.body }}
`;
    expect(ids(audit(wf))).not.toContain('script-injection');
  });

  test('the message quotes the expression found on that line', () => {
    const [f] = audit(afterAgent('echo "${{ github.head_ref }}"')).filter((x) => x.id === 'script-injection');
    expect(f.message).toContain('${{ github.head_ref }}');
  });
});

describe('script-injection: through env variables', () => {
  const wf = `
on: issues
permissions: {}
env:
  WF_TITLE: \${{ github.event.issue.title }}
  SHADOWED: \${{ github.event.issue.body }}
jobs:
  j:
    env:
      JOB_TITLE: \${{ github['event']['issue']['title'] }}
      SHADOWED: fixed
      VIA: \${{ env.WF_TITLE }}
    steps:
      - run: echo \${{ env.WF_TITLE }}
      - run: echo \${{ env.JOB_TITLE }}
      - run: echo \${{ env.STEP_TITLE }}
        env:
          STEP_TITLE: prefix \${{ github.event.issue.title }}
      - run: echo \${{ env.SHADOWED }}
      - run: echo \${{ env['VIA'] }}
      - run: echo "$WF_TITLE" \${{ env.UNKNOWN }}
      - run: echo \${{ env.JOB_TITLE }}
        env:
          JOB_TITLE: overridden
`;
  test('a variable set from attacker-controlled text is tainted at every level, until a plain value replaces it', () => {
    const found = audit(wf).filter((f) => f.id === 'script-injection');
    expect(found.map((f) => f.line)).toEqual([14, 15, 16, 20]);
    expect(found[0].message).toContain('env WF_TITLE is set from ${{ github.event.issue.title }}');
  });
});

describe('script-injection: actions that run an input as code', () => {
  const step = (uses: string, input: string, value: string) => `
on: pull_request_target
permissions: {}
jobs:
  j:
    env: { T: "\${{ github.event.pull_request.title }}", SAFE: "1" }
    steps:
      - uses: ${uses}
        with:
          ${input}: ${JSON.stringify(value)}
`;
  test.each([
    ['actions/github-script@v7', 'script', 'console.log("${{ github.event.pull_request.title }}")', true],
    ['actions/github-script@v7', 'script', 'console.log("${{ env.T }}")', true],
    ['actions/github-script@v7', 'script', 'console.log("${{ env.SAFE }}")', false],
    ['actions/github-script@v7', 'script', 'console.log(process.env.T)', false],
    ['actions/github-script@v7', 'github-token', '${{ github.event.pull_request.title }}', false],
    ['mikefarah/yq@v4', 'cmd', '${{ github.event.pull_request.title }}', true],
    ['Amadevus/pwsh-script@v2', 'script', 'Write-Host "${{ github.head_ref }}"', true],
    ['azure/cli@v2', 'inlineScript', 'echo ${{ github.event.comment.body }}', true],
    ['addnab/docker-run-action@v3', 'run', 'echo ${{ github.event.issue.body }}', true],
    ['acme/other@v1', 'script', '${{ github.event.pull_request.title }}', false],
    ['actions/github-script@v7', 'script', 'console.log("${{ inputs.env.T }}")', false],
  ])('%s with %s: %s → %s', (uses, input, value, flagged) => {
    expect(ids(audit(step(uses, input, value))).includes('script-injection')).toBe(flagged);
  });
});

describe('overprovisioned-secrets', () => {
  test.each([
    ['${{ toJSON(secrets) }}', true],
    ["${{ format('{0}', toJson( secrets )) }}", true],
    ['${{ secrets[matrix.name] }}', true],
    ['${{ toJSON(secrets.ONE) }}', false],
    ['${{ inputs.secrets[0] }}', false],
    ["${{ secrets['ONE'] }}", false],
    ['${{ secrets.ONE }}', false],
    ['toJSON(secrets) outside an expression', false],
  ])('%s → %s', (value, flagged) => {
    const wf = `on: push\npermissions: {}\njobs:\n  j:\n    steps:\n      - run: x\n        env:\n          ALL: ${JSON.stringify(value)}\n`;
    const f = audit(wf).filter((x) => x.id === 'overprovisioned-secrets');
    expect(f.length).toBe(flagged ? 1 : 0);
    if (flagged) expect(f[0]).toMatchObject({ severity: 'warning', line: 8, job: 'j' });
  });

  test('in a with: input, a run script, or workflow-level env', () => {
    const wf = `on: push
permissions: {}
env: { ALL: "\${{ toJSON(secrets) }}" }
jobs:
  j:
    steps:
      - uses: acme/x@0123456789abcdef0123456789abcdef01234567
        with: { all: "\${{ toJSON(secrets) }}" }
      - run: |
          echo start
          echo '\${{ toJSON(secrets) }}' | jq .
`;
    expect(
      audit(wf)
        .filter((x) => x.id === 'overprovisioned-secrets')
        .map((x) => [x.line, x.job ?? '-']),
    ).toEqual([
      [3, '-'],
      [8, 'j'],
      [11, 'j'],
    ]);
  });
});

describe('pull-request-target-checkout-head', () => {
  const checkout = (on: string, ref: string) => `
on: ${on}
permissions: { contents: read }
jobs:
  t:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@0123456789abcdef0123456789abcdef01234567
        with:
          ref: ${ref}
`;
  test.each([
    ['pull_request_target', '${{ github.event.pull_request.head.sha }}', true],
    ['pull_request_target', '${{ github.event.pull_request.head.ref }}', true],
    ['pull_request_target', '${{ github.event.pull_request.merge_commit_sha }}', true],
    ['pull_request_target', '${{ github.head_ref }}', true],
    ['pull_request_target', 'refs/pull/${{ github.event.number }}/head', true],
    ['workflow_run', '${{ github.event.workflow_run.head_sha }}', true],
    ['pull_request_target', '${{ github.event.pull_request.base.sha }}', false],
    ['pull_request_target', 'main', false],
    ['pull_request', '${{ github.event.pull_request.head.sha }}', false],
    ['[push, pull_request]', '${{ github.head_ref }}', false],
  ])('on %s, ref %s → %s', (on, ref, flagged) => {
    const found = audit(checkout(on, ref)).filter((f) => f.id === 'pull-request-target-checkout-head');
    expect(found.length).toBe(flagged ? 1 : 0);
    if (flagged) expect(found[0]).toMatchObject({ severity: 'error', line: 10, job: 't' });
  });

  // The fork-safe pattern: the head checked out without credentials for claude-guard alone is a notice;
  // anything that could run the checked-out code after it keeps the error.
  const forkSafe = (persist: string, after: string) => `
on: { workflow_run: { workflows: [t], types: [completed] } }
permissions: {}
jobs:
  review:
    runs-on: ubuntu-latest
    permissions: { contents: read, pull-requests: write }
    steps:
      - uses: actions/checkout@0123456789abcdef0123456789abcdef01234567
        with:
          ref: \${{ github.event.workflow_run.head_sha }}
${persist}${after}`;
  const GUARD = `      - uses: claude-guard/claude-guard@0123456789abcdef0123456789abcdef01234567
        with: { allow-untrusted-pr: true }
`;
  const NO_CREDS = '          persist-credentials: false\n';
  test.each([
    ['only claude-guard after it, no credentials', NO_CREDS, GUARD, 'notice'],
    ['credentials kept', '', GUARD, 'error'],
    ['a run step after it', NO_CREDS, `${GUARD}      - run: npm test\n`, 'error'],
    ['a local action after it', NO_CREDS, `      - uses: ./\n`, 'error'],
    [
      'another action after it',
      NO_CREDS,
      `      - uses: acme/build@0123456789abcdef0123456789abcdef01234567\n${GUARD}`,
      'error',
    ],
    ['nothing after it', NO_CREDS, '', 'error'],
  ])('workflow_run head checkout with %s → %s', (_name, persist, after, severity) => {
    const found = audit(forkSafe(persist, after)).filter((f) => f.id === 'pull-request-target-checkout-head');
    expect(found.map((f) => f.severity)).toEqual([severity]);
    if (severity === 'notice') expect(found[0].message).toMatch(/for claude-guard only.*no step after it/);
  });

  test('the same job on pull_request_target stays an error (the fork-safe pair is the workflow_run one)', () => {
    const text = forkSafe(NO_CREDS, GUARD)
      .replace('{ workflow_run: { workflows: [t], types: [completed] } }', 'pull_request_target')
      .replace('workflow_run.head_sha', 'pull_request.head.sha');
    const found = audit(text).filter((f) => f.id === 'pull-request-target-checkout-head');
    expect(found.map((f) => f.severity)).toEqual(['error']);
  });
});

describe('permissions', () => {
  const job = (perms: string, mode: AuditOptions['mode'] = 'review') =>
    audit(
      `
on: pull_request
jobs:
  review:
    runs-on: ubuntu-latest
    permissions: ${perms}
    steps:
      - uses: acme/claude-guard@v1
`,
      { mode },
    ).filter((f) => f.id.startsWith('permissions'));
  test.each([
    ['{ contents: read, pull-requests: write }', 'review', []],
    ['read-all', 'review', ['warning']],
    ['read-all', 'custom', ['warning']],
    ['{}', 'review', []],
    ['write-all', 'review', ['error']],
    ['write-all', 'custom', ['error']],
    ['{ contents: write }', 'review', ['warning']],
    ['{ contents: write }', 'custom', []],
    ['{ contents: write }', 'fix', []],
    ['{ id-token: write }', 'custom', ['warning']],
    ['{ actions: write, packages: write }', 'review', ['warning', 'warning']],
    ['{ actions: write, packages: write }', 'custom', ['warning', 'warning']],
    ['{ actions: write, packages: write }', 'fix', ['warning', 'warning']],
    ['{ actions: read, packages: read, id-token: none }', 'review', []],
    ['{ issues: write, checks: write, statuses: write }', 'review', ['warning', 'warning', 'warning']],
    ['{ issues: write, checks: write, statuses: write }', 'custom', []],
    ['{ contents: read, pull-requests: write, security-events: write }', 'review', []],
    ['{ contents: write, pull-requests: write, security-events: write }', 'fix', []],
    ['{ contents: write, issues: write }', 'fix', ['warning']],
    ['{ nonexistent: write }', 'review', ['warning']],
  ] as const)('%s in %s mode → %j', (perms, mode, severities) => {
    expect(job(perms, mode).map((f) => f.severity)).toEqual(severities);
  });

  test.each([
    ['{ contents: write }', 'a review only reads the code'],
    ['{ issues: write }', 'needs only pull-requests and security-events to write'],
    ['{ actions: write }', 'cancel, re-run and dispatch workflows'],
    ['read-all', 'every step can read every scope'],
  ])('%s in review mode: the message says why', (perms, why) => {
    expect(job(perms)[0].message).toContain(why);
  });

  test('workflow-level permissions cover jobs without their own; one finding per block, not per job', () => {
    const wf = `
on: pull_request
permissions: write-all
jobs:
  a:
    steps: [{ uses: acme/claude-guard@v1 }]
  b:
    steps: [{ uses: acme/claude-guard@v1 }]
  c:
    permissions: { contents: read }
    steps: [{ uses: acme/claude-guard@v1 }]
`;
    expect(audit(wf).filter((f) => f.id.startsWith('permissions'))).toEqual([
      expect.objectContaining({ id: 'permissions-too-broad', severity: 'error', line: 3 }),
    ]);
  });

  test('missing everywhere: one warning per agent job only', () => {
    const wf = `
on: pull_request
jobs:
  a:
    steps: [{ uses: acme/claude-guard@v1 }]
  other:
    steps: [{ run: echo }]
`;
    expect(audit(wf).filter((f) => f.id === 'permissions-missing')).toEqual([
      expect.objectContaining({ severity: 'warning', line: 4, job: 'a' }),
    ]);
  });
});

describe('permissions: a workflow that can only be called', () => {
  test('its step jobs get the caller’s token (no permissions-missing); a job calling another workflow still sets its own', () => {
    const wf = (on: string) => `
on: ${on}
jobs:
  steps-job:
    steps: [{ uses: acme/claude-guard@v1 }]
  call-job:
    uses: $/.github/workflows/other.yml
`;
    const missing = (on: string) =>
      audit(wf(on), { everyJob: true })
        .filter((f) => f.id === 'permissions-missing')
        .map((f) => f.job);
    expect(missing('workflow_call')).toEqual(['call-job']);
    expect(missing('[workflow_call, push]')).toEqual(['steps-job', 'call-job']);
  });
});

describe('everyJob: every job judged as one that runs claude-guard', () => {
  const wf = `
on: push
jobs:
  build:
    steps:
      - uses: actions/checkout@0123456789abcdef0123456789abcdef01234567
`;
  test.each([
    [false, ['agent-step-not-found']],
    [true, ['permissions-missing', 'persist-credentials']],
  ])('everyJob %s → %j', (everyJob, expected) => {
    expect(ids(audit(wf, { everyJob }))).toEqual(expected);
  });
});

describe('finding this action', () => {
  const wf = (uses: string) => `
on: pull_request
jobs:
  j:
    steps:
      - uses: ${uses}
`;
  test.each([
    ['acme/claude-guard@v1', undefined, true],
    ['Acme/Claude-Guard/sub@0123456789abcdef0123456789abcdef01234567', undefined, true],
    ['./', './', true],
    ['$/', './', true],
    ['./', '$/', true],
    ['./', undefined, false],
    ['acme/ai-review@v2', 'acme/ai-review', true],
    ['acme/ai-review@v2', 'acme/ai-review-other', false],
    ['./.github/actions/review', './.github/actions/review/', true],
    ['actions/checkout@v4', undefined, false],
  ])('uses %s with actionRef %s → %s', (uses, actionRef, found) => {
    expect(ids(audit(wf(uses), { actionRef })).includes('permissions-missing')).toBe(found);
    expect(ids(audit(wf(uses), { actionRef })).includes('agent-step-not-found')).toBe(!found);
  });

  test('jobId names the job even when no uses: matched; a jobId that is not in the file does not', () => {
    expect(ids(audit(wf('./wrapper'), { jobId: 'j' }))).toContain('permissions-missing');
    const notFound = audit(wf('./wrapper'), { jobId: 'elsewhere' });
    expect(ids(notFound)).toEqual(['agent-step-not-found']);
    expect(notFound[0].message).toContain("'elsewhere'");
  });
});

describe('untrusted-trigger', () => {
  const wf = (on: string, allow?: string) => `
on: ${on}
permissions: {}
jobs:
  j:
    steps:
      - uses: acme/claude-guard@0123456789abcdef0123456789abcdef01234567
${allow === undefined ? '' : `        with:\n          allow-untrusted-pr: ${allow}\n`}`;
  test.each([
    ['pull_request_target', undefined, ['notice']],
    ['pull_request_target', 'false', ['notice']],
    ['pull_request_target', 'true', ['warning']],
    ["'true'", 'true', []],
    ['[workflow_run, pull_request_target]', 'true', ['warning', 'warning']],
    ['{ workflow_run: { workflows: [ci] } }', undefined, ['notice']],
    ['[pull_request, push]', undefined, []],
  ])('on %s, allow-untrusted-pr %s → %j', (on, allow, severities) => {
    expect(
      audit(wf(on, allow))
        .filter((f) => f.id === 'untrusted-trigger')
        .map((f) => f.severity),
    ).toEqual(severities);
  });

  test('a job GITHUB_JOB names runs claude-guard through a wrapper: never counted as allowed', () => {
    const wrapper = `on: pull_request_target\npermissions: {}\njobs:\n  j:\n    steps: [{ uses: ./wrapper }]\n`;
    expect(audit(wrapper).filter((f) => f.id === 'untrusted-trigger')).toEqual([]);
    expect(
      audit(wrapper, { jobId: 'j' })
        .filter((f) => f.id === 'untrusted-trigger')
        .map((f) => f.severity),
    ).toEqual(['notice']);
  });
});

describe('unpinned-action', () => {
  test.each([
    ['actions/checkout@v4', 'notice'],
    ['github/codeql-action/init@v3', 'notice'],
    ['acme/claude-guard@v1', 'warning'],
    ['acme/claude-guard@main', 'warning'],
    ['acme/claude-guard@0123456', 'warning'],
    ['acme/claude-guard', 'warning'],
    ['docker://node:24', 'warning'],
    ['acme/claude-guard@0123456789ABCDEF0123456789abcdef01234567', undefined],
    ['docker://node@sha256:' + 'a'.repeat(64), undefined],
    ['./local-action', undefined],
    ['$/local-action', undefined],
    ['$/.github/workflows/reusable.yml@tag', undefined],
  ])('%s → %s', (uses, severity) => {
    const f = audit(`on: push\njobs:\n  j:\n    steps:\n      - uses: ${uses}\n`).find(
      (x) => x.id === 'unpinned-action',
    );
    expect(f?.severity).toBe(severity);
  });
});

describe('unpinned-action: the uses: value as YAML writes it', () => {
  test.each([
    ['|\n          acme/x@0123456789abcdef0123456789abcdef01234567', undefined, undefined],
    ['|\n          acme/x@v4', 'warning', 7],
    ['>-\n          acme/x@v4', 'warning', 7],
    ['"acme/x@0123456789abcdef0123456789abcdef01234567 "', undefined, undefined],
    ['"./local"', undefined, undefined],
  ])('uses: %s → %s at line %s', (uses, severity, line) => {
    const wf = `on: push\npermissions: {}\njobs:\n  j:\n    steps:\n      - uses: ${uses}\n        with: { persist-credentials: false }\n`;
    const f = audit(wf).find((x) => x.id === 'unpinned-action');
    expect(f?.severity).toBe(severity);
    expect(f?.line).toBe(line);
  });

  test('a reusable-workflow call is checked too, self-repository forms exempt', () => {
    const wf = `on: push\njobs:\n  a:\n    uses: o/r/.github/workflows/w.yml@main\n  b:\n    uses: $/.github/workflows/w.yml\n  c:\n    uses: ./.github/workflows/w.yml\n`;
    expect(
      audit(wf)
        .filter((x) => x.id === 'unpinned-action')
        .map((x) => x.job),
    ).toEqual(['a']);
  });
});

describe('dangerously-skip-permissions', () => {
  test.each([
    ['--dangerously-skip-permissions', true],
    ['--allow-dangerously-skip-permissions', true],
    ['--permission-mode bypassPermissions', true],
    ['--permission-mode acceptEdits', false],
    ['--max-turns 5', false],
  ])('claude-args %s → %s', (args, flagged) => {
    const wf = `on: push\njobs:\n  j:\n    steps:\n      - uses: acme/claude-guard@v1\n        with:\n          claude-args: ${args}\n`;
    const f = audit(wf).filter((x) => x.id === 'dangerously-skip-permissions');
    expect(f.length).toBe(flagged ? 1 : 0);
    if (flagged) expect(f[0]).toMatchObject({ severity: 'error', line: 7 });
  });

  test('also in with: of a reusable-workflow call', () => {
    const wf = `on: push\njobs:\n  j:\n    uses: ./.github/workflows/x.yml\n    with:\n      args: --dangerously-skip-permissions\n`;
    expect(audit(wf).find((x) => x.id === 'dangerously-skip-permissions')).toMatchObject({
      line: 6,
      job: 'j',
    });
  });
});

describe('secret-in-workflow-env', () => {
  test.each([
    ['${{ secrets.ANTHROPIC_API_KEY }}', 'MY_VAR', 'error'],
    ['${{ secrets.anthropic_key }}', 'KEY', 'error'],
    ['${{ secrets.OTHER }}', 'CLAUDE_TOKEN', 'error'],
    ["${{ secrets['DEPLOY_KEY'] }}", 'X', 'warning'],
    ['${{ secrets.DEPLOY_KEY || secrets.FALLBACK }}', 'X', 'warning'],
    ['${{ github.token }}', 'GH_TOKEN', 'warning'],
    ['${{ vars.ANTHROPIC_MODEL }}', 'MODEL', undefined],
    ['secrets.ANTHROPIC_API_KEY', 'LITERAL_TEXT', undefined],
    ['${{ github.sha }}', 'SHA', undefined],
  ])('env %s as %s → %s', (value, name, severity) => {
    const f = audit(
      `on: push\nenv:\n  ${name}: ${JSON.stringify(value)}\njobs:\n  j:\n    steps: [{ run: x }]\n`,
    ).find((x) => x.id === 'secret-in-workflow-env');
    expect(f?.severity).toBe(severity);
    if (f) expect(f.line).toBe(3);
  });

  test('the message names the variable and the secret, never a value', () => {
    const f = audit(
      `on: push\njobs:\n  j:\n    env:\n      KEY: \${{ secrets.ANTHROPIC_API_KEY }}\n    steps: [{ run: x }]\n`,
    )[0];
    expect(f).toMatchObject({ id: 'secret-in-workflow-env', job: 'j', line: 5 });
    expect(f.message).toContain('KEY');
    expect(f.message).toContain('secrets.ANTHROPIC_API_KEY');
  });
});

describe('secret-in-workflow-env: scope', () => {
  test("only a job running claude-guard is said to put the secret in claude-guard's environment", () => {
    const wf = `
on: push
permissions: {}
jobs:
  deploy:
    env: { TOKEN: "\${{ secrets.DEPLOY }}" }
    steps: [{ run: ./deploy }]
  review:
    env: { TOKEN: "\${{ secrets.DEPLOY }}" }
    steps: [{ uses: acme/claude-guard@v1 }]
`;
    const byJob = Object.fromEntries(
      audit(wf)
        .filter((f) => f.id === 'secret-in-workflow-env')
        .map((f) => [f.job, f.message]),
    );
    expect(byJob.deploy).not.toContain("claude-guard's start-up environment");
    expect(byJob.review).toContain("claude-guard's start-up environment");
  });
});

describe('robustness', () => {
  const laughs = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...Array.from({ length: 8 }, (_, i) => {
      const n = String.fromCharCode(98 + i);
      const p = String.fromCharCode(97 + i);
      return `${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`;
    }),
    'jobs: { j: { steps: [{ run: *i }] } }',
  ].join('\n');

  test.each([
    ['empty', ''],
    ['a scalar', 'just text'],
    ['null', 'null'],
    ['a list', '- a\n- b'],
    ['unclosed flow', 'on: [push\njobs: {'],
    ['two documents', 'on: push\n---\njobs: {}'],
    ['jobs not a map', 'on: push\njobs: [a, b]'],
    ['a billion laughs', laughs],
    ['deep nesting', `jobs: ${'['.repeat(200)}${']'.repeat(200)}`],
    ['a self-referencing alias', 'jobs: &j { a: { steps: [*j] } }'],
  ])('%s → one workflow-unreadable finding, no throw', (_name, text) => {
    const fs = audit(text);
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ id: 'workflow-unreadable', severity: 'warning' });
  });

  test('an invalid-YAML finding carries the line of the first error', () => {
    const [f] = audit('on: push\njobs:\n  j:\n    steps:\n      - run: "unclosed\n');
    expect(f.id).toBe('workflow-unreadable');
    expect(f.line).toBeGreaterThanOrEqual(5);
  });

  test('CRLF line endings give the same lines as LF', () => {
    const lf = readFileSync(join(FIXTURES, 'multiline-run.yml'), 'utf8');
    expect(audit(lf.replace(/\n/g, '\r\n')).map(key)).toEqual(audit(lf).map(key));
  });

  test('findings are ordered by line', () => {
    const lines = audit(fixtures.find((f) => f.name === 'secrets-env')!.text).map((f) => f.line ?? Infinity);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });
});

test('the README documents every rule, one row each', () => {
  const readme = readFileSync(join(FIXTURES, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## The workflow audit'),
    readme.indexOf('### Parity with zizmor'),
  );
  const rows = section.split('\n').filter((l) => /^\| `[a-z-]+` \|/.test(l));
  expect(rows.map((l) => /^\| `([a-z-]+)`/.exec(l)?.[1]).sort()).toEqual([...AUDIT_RULE_IDS].sort());
});

describe('renderAuditMarkdown', () => {
  test('no findings: a short all-clear under the heading', () => {
    expect(renderAuditMarkdown([], '.github/workflows/r.yml')).toBe(
      '### Workflow audit of `.github/workflows/r.yml`\n\nNo known mistakes found.',
    );
  });

  test('one row per finding, most severe first, workflow text escaped', () => {
    const md = renderAuditMarkdown([
      { id: 'unpinned-action', severity: 'notice', line: 3, job: 'a|b', message: "'x@v1' | not pinned" },
      {
        id: 'script-injection',
        severity: 'error',
        line: 9,
        job: 'j',
        message: 'uses `${{ x }}` <img src=x>\nhere',
      },
      { id: 'agent-step-not-found', severity: 'notice', message: 'none' },
    ]);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(4);
    expect(rows[1]).toContain('script-injection');
    expect(rows[1]).toContain('\\`${{ x }}\\` &lt;img src=x&gt; here');
    expect(rows[2]).toContain("'x@v1' \\| not pinned");
    expect(rows[2]).toContain('`a\\|b`');
    expect(rows[3]).toMatch(/\| – \| – \| none \|$/);
    expect(md).toContain('3 finding(s)');
  });

  test('real findings render: every row has five cells', () => {
    const md = renderAuditMarkdown(audit(fixtures.find((f) => f.name === 'script-injection')!.text));
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length - 2).toBe(5);
  });
});
