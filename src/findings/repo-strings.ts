/**
 * The backstop's edge (findings/backstop.ts): which random-looking strings of a review the PR's own
 * files hold, or name git objects of the repository. The strings go to git on stdin, never on a command
 * line (one of them may be a secret): `git grep -F -o -h -f -` over the given commits' tracked content,
 * and `git cat-file --batch-check` for hex strings.
 */
import { spawn } from 'node:child_process';
import { GIT_BASE_ENV } from '../system-tools.js';

function run(
  git: string,
  args: string[],
  cwd: string,
  input: string,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(git, args, { cwd, env: { ...GIT_BASE_ENV }, stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', () => resolve({ code: -1, out: '' }));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The candidates found in the tracked content of `revs` (missing revs are skipped) or naming objects. */
export async function knownInRepository(
  git: string,
  workspace: string,
  revs: readonly string[],
  candidates: readonly string[],
): Promise<Set<string>> {
  const known = new Set<string>();
  if (candidates.length === 0) return known;
  const patterns = `${candidates.join('\n')}\n`;
  for (const rev of revs) {
    const { code, out } = await run(
      git,
      ['grep', '-F', '-o', '-h', '-I', '-f', '-', rev, '--'],
      workspace,
      patterns,
    );
    if (code === 0) for (const line of out.split('\n')) if (line) known.add(line);
  }
  const hex = candidates.filter((c) => /^[0-9a-f]{7,64}$/i.test(c));
  if (hex.length > 0) {
    const { out } = await run(
      git,
      ['cat-file', '--batch-check=%(objectname)'],
      workspace,
      `${hex.join('\n')}\n`,
    );
    out.split('\n').forEach((line, i) => {
      if (line && !line.endsWith(' missing') && hex[i]) known.add(hex[i]);
    });
  }
  return known;
}
