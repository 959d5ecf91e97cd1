/**
 * End-to-end, mode: fix and the organisation policy. Scripted agents fix a bug inside the PR's files,
 * and try to edit a file outside them, add a workflow and add a symlink to /etc — only the first is
 * delivered, and the working tree is the PR's again afterwards. A central policy caps what a
 * repository may ask for, and an input that would loosen it fails naming the policy line.
 */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { git, type ScriptContext, type Turn } from './support/index.mjs';
import { leaks, scenarios, structured } from './support/scenario.js';

const go = scenarios();
const tool = (name: string, input: Record<string, unknown>): Turn => ({ toolUse: { name, input } });
const sequence =
  (steps: ((ctx: ScriptContext) => Turn)[]) =>
  (_req: unknown, ctx: ScriptContext): Turn =>
    (steps[ctx.turn] ?? (() => structured([])))(ctx);

describe('mode: fix', () => {
  const attempts = sequence([
    (c) => tool('Read', { file_path: `${c.cwd}/src/app.js` }),
    (c) =>
      tool('Edit', {
        file_path: `${c.cwd}/src/app.js`,
        old_string: '  return a / b;',
        new_string: "  if (b === 0) throw new RangeError('b is 0');\n  return a / b;",
      }),
    (c) => tool('Read', { file_path: `${c.cwd}/README.md` }),
    (c) => tool('Edit', { file_path: `${c.cwd}/README.md`, old_string: '# widgets', new_string: '# pwned' }),
    (c) => tool('Write', { file_path: `${c.cwd}/.github/workflows/x.yml`, content: 'on: push\n' }),
    () => tool('Bash', { command: 'ln -s /etc/passwd passwd-link', description: 'x' }),
    () => structured([]),
  ]);

  test('only the in-scope fix is delivered, as a suggestion; everything else is refused; the tree is the PR’s again', async () => {
    const s = await go({ inputs: { mode: 'fix' }, script: attempts });
    expect(s.run.main.code).toBe(0);
    const comments = s.github.state.reviews.flatMap((r) => r.comments);
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ path: 'src/app.js' });
    expect(comments[0].body).toMatch(/```suggestion\n[\s\S]*RangeError/);
    expect(JSON.stringify(s.github.state)).not.toContain('pwned');
    expect(Number(s.run.outputs['denied-count'])).toBeGreaterThanOrEqual(3);
    expect(git(s.repo.dir, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(fs.existsSync(path.join(s.repo.dir, 'passwd-link'))).toBe(false);
    expect(leaks(s)).toEqual([]);
  });

  test('fix-delivery: patch writes a checked patch that applies to the PR head', async () => {
    const s = await go({ inputs: { mode: 'fix', 'fix-delivery': 'patch' }, script: attempts });
    expect(s.run.main.code).toBe(0);
    expect(s.fixPatch).toMatch(/^diff --git a\/src\/app\.js b\/src\/app\.js/m);
    expect(s.fixPatch).toContain("+  if (b === 0) throw new RangeError('b is 0');");
    expect(s.fixPatch).not.toMatch(/README|workflows|passwd/);
    expect(s.github.state.reviews).toHaveLength(0);
  });

  test('review and fix modes refuse write rules from allowed-tools', async () => {
    const s = await go({ inputs: { mode: 'fix', 'allowed-tools': 'Edit(**)' } });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.errors.join('\n')).toMatch(/allowed-tools.*fix mode/);
    expect(s.model.requests).toHaveLength(0);
  });
});

describe('organisation policy', () => {
  const policy = [
    'version: 1',
    'allowed-modes: [review]',
    'budget-usd: 1',
    'max-turns: 10',
    'minimum-isolation: rules-only',
    'deny:',
    '  - Bash(git blame:*)',
    '',
  ].join('\n');
  const files = { 'src/app.js': 'export const a = 2;\n', '.github/claude-guard.yml': policy };

  test('the effective policy caps the defaults, adds its deny rules and is shown in the summary', async () => {
    const s = await go({
      head: files,
      inputs: { policy: '.github/claude-guard.yml' },
      script: [tool('Bash', { command: 'git blame src/app.js', description: 'x' }), structured([])],
    });
    expect(s.run.main.code).toBe(0);
    expect(s.run.summary).toMatch(/budget-usd/);
    expect(s.run.summary).toContain('git blame src/app.js');
    expect(s.run.outputs['denied-count']).toBe('1');
  });

  test.each([
    [{ 'budget-usd': '50' }, /budget-usd.*50.*ceiling.*line 3/],
    [{ mode: 'custom', prompt: 'x' }, /mode.*custom.*line 2/],
  ])('an input that loosens it (%j) fails naming the policy line', async (inputs, message) => {
    const s = await go({ head: files, inputs: { policy: '.github/claude-guard.yml', ...inputs } });
    expect(s.run.main.code).not.toBe(0);
    expect(s.run.errors.join('\n')).toMatch(message);
    expect(s.model.requests).toHaveLength(0);
  });
});
