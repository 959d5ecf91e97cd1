/**
 * The backstop's edge (findings/backstop.ts): which random-looking strings of a review the PR's own
 * files hold, or name git objects of the repository. The strings go to git on stdin, never on a command
 * line (one of them may be a secret): `git grep -F -o -h -f -` over the given commits' tracked content,
 * and `git cat-file --batch-check` for hex strings. Runs through the one git runner (git-runner.ts).
 */
import type { Git } from '../git-runner.js';

/** The candidates found in the tracked content of `revs` (missing revs are skipped) or naming objects. */
export async function knownInRepository(
  git: Git,
  revs: readonly string[],
  candidates: readonly string[],
): Promise<Set<string>> {
  const known = new Set<string>();
  if (candidates.length === 0) return known;
  const patterns = Buffer.from(`${candidates.join('\n')}\n`);
  for (const rev of revs) {
    const r = await git.exec(['grep', '-F', '-o', '-h', '-I', '-f', '-', rev, '--'], { input: patterns });
    if (r.exitCode === 0) for (const line of r.stdout.toString('utf8').split('\n')) if (line) known.add(line);
  }
  const hex = candidates.filter((c) => /^[0-9a-f]{7,64}$/i.test(c));
  if (hex.length > 0) {
    const r = await git.exec(['cat-file', '--batch-check=%(objectname)'], {
      input: Buffer.from(`${hex.join('\n')}\n`),
    });
    r.stdout
      .toString('utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line && !line.endsWith(' missing') && hex[i]) known.add(hex[i]);
      });
  }
  return known;
}
