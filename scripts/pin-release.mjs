// Pins every reference to claude-guard in the README, the examples and the reusable workflow to one
// release: `claude-guard/claude-guard@<full commit SHA> # vX.Y.Z` (and the same for
// `…/.github/workflows/review.yml@`). The release workflow runs it with the release commit's SHA and
// tag; `--check` (used by a test) fails on a reference that is not in that form or pins another SHA.
//
//   node scripts/pin-release.mjs [--root DIR] <sha> <vX.Y.Z>     rewrite the files
//   node scripts/pin-release.mjs [--root DIR] --check            verify them
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = 'claude-guard/claude-guard';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The files that show users how to pin claude-guard. */
export function pinnedFiles(dir = root) {
  const examples = fs
    .readdirSync(path.join(dir, 'examples'))
    .filter((f) => /\.(ya?ml|md)$/.test(f))
    .map((f) => path.join('examples', f));
  return ['README.md', '.github/workflows/review.yml', ...examples];
}

/** A pinned reference: the repository (optionally the reusable workflow), a full SHA and a version comment. */
export const PIN =
  /claude-guard\/claude-guard((?:\/\.github\/workflows\/review\.yml)?)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)/g;
/** Any reference to the action or the workflow by name. */
const ANY_REF =
  /(?:OWNER|claude-guard)\/claude-guard(?:\/\.github\/workflows\/review\.yml)?@[A-Za-z0-9][^\s'"`)]*/g;

/** Pure: `text` with every pin set to `sha` and `version`. */
export function rewritePins(text, sha, version) {
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`not a full commit SHA: ${sha}`);
  if (!/^v\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a version tag like v1.2.3: ${version}`);
  return text.replace(PIN, (_m, workflow) => `${REPOSITORY}${workflow}@${sha} # ${version}`);
}

/** Pure: problems with the references in `text` (unpinned, another form, more than one pin). */
export function checkPins(text, file) {
  const problems = [];
  const pins = new Set();
  for (const m of text.matchAll(ANY_REF)) {
    const line = text.slice(0, m.index).split('\n').length;
    const rest = text.slice(
      m.index,
      text.indexOf('\n', m.index) === -1 ? undefined : text.indexOf('\n', m.index),
    );
    const pin = new RegExp(PIN.source).exec(rest);
    if (!pin || pin.index !== 0)
      problems.push(`${file}:${line}: '${m[0]}' is not in the form ${REPOSITORY}@<sha> # vX.Y.Z`);
    else pins.add(`${pin[2]} ${pin[3]}`);
  }
  return { problems, pins: [...pins] };
}

/** The command line: `[--root DIR] <sha> <vX.Y.Z>` or `[--root DIR] --check` (DIR: the repository, by default this one). */
export function main(argv, log = console) {
  const args = [...argv];
  let dir = root;
  const at = args.indexOf('--root');
  if (at >= 0) {
    dir = path.resolve(args[at + 1] ?? '');
    args.splice(at, 2);
  }
  const files = pinnedFiles(dir);
  if (args[0] === '--check') {
    const all = files.map((f) => checkPins(fs.readFileSync(path.join(dir, f), 'utf8'), f));
    const problems = all.flatMap((r) => r.problems);
    const pins = new Set(all.flatMap((r) => r.pins));
    if (pins.size > 1) problems.push(`more than one pin in use: ${[...pins].join(', ')}`);
    for (const p of problems) log.error(p);
    return problems.length ? 1 : 0;
  }
  const [sha, version] = args;
  // Every file is rewritten in memory first: a bad argument changes nothing.
  const next = files.map((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    return { f, text, next: rewritePins(text, sha, version) };
  });
  for (const { f, text, next: out } of next) {
    if (out === text) continue;
    fs.writeFileSync(path.join(dir, f), out);
    log.log(`pinned ${f}`);
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`pin-release: ${err.message}`);
    process.exitCode = 2;
  }
}
