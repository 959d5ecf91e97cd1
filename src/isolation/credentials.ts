/**
 * Checkout credentials out and back (threat-model rows S4 and X4).
 *
 * actions/checkout leaves the GitHub token where the agent could read it: checkout < v6 writes
 * `http.https://github.com/.extraheader = AUTHORIZATION: basic …` into `.git/config`; v6+ writes
 * `includeIf.gitdir:<repo>/.git.path` (and `…/.git/worktrees/*.path`, plus the `/github/workspace`
 * container forms) pointing at `$RUNNER_TEMP/git-credentials-<uuid>.config`, which holds the header.
 * Submodules get the same entries in `.git/modules/<name>/config`.
 *
 * Before the agent starts, `removeCheckoutCredentials` deletes every `http[.<url>].extraheader` and
 * every `include[If.<cond>].path` naming a `git-credentials-*.config` file from those config files, and
 * returns a backup. The credentials file under RUNNER_TEMP is left alone (keeping RUNNER_TEMP out of
 * the agent's reach is another module's job); its paths are in the backup so that module can check it.
 *
 * After the agent has ended, `restoreCheckoutCredentials` writes each config file back byte for byte
 * as it was before removal — so order, sections and comments come back exactly, and anything written
 * to the config while the agent ran (say `core.fsmonitor`, X4) is discarded and reported.
 *
 * The token never reaches a command line: removal unsets extraheader keys by name only (an include
 * path's value is a file path, not a secret, and is passed to pick the value to unset), and restore
 * writes the file itself instead of running `git config --add` (git has no way to take a value from
 * stdin). Logs name keys and files, never values.
 *
 * The backup holds the token, and at rules-only and sandbox the agent runs as the action's own uid: no
 * file the action writes is closed to it. So the backup stays in the main step's memory for its own
 * undo, and what the post step may need is sealed (`sealBackup`: AES-256-GCM, a fresh random key per
 * run) into the run directory before the agent starts. The key is never on disk while the agent runs:
 * main hands it to the post step (saved state) only after the agent has ended and only if main's own
 * restore failed; otherwise the sealed file is deleted and the key dies with main. Trade-off: if main is
 * SIGKILLed while the agent runs, the post step finds a sealed backup and no key, cannot restore, and
 * says so (a later step needing git auth must run actions/checkout again).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, lstat, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import * as core from '@actions/core';
import { createGit } from '../git-runner.js';

/** One entry of a git config file as `git config --list` names it (section and name lower-cased). */
export interface ConfigEntry {
  key: string;
  /** null for a bare `name` line without `=` (boolean true). */
  value: string | null;
}

/** The git operations removal needs, on one config file at a time. */
export interface GitConfigPort {
  /** Every entry of `file` in file order; include directives are not followed. */
  list(file: string): Promise<ConfigEntry[]>;
  /** Removes every value of `key` in `file`, or only the values equal to `value`. No-op when absent. */
  unsetAll(file: string, key: string, value?: string): Promise<void>;
}

export interface ConfigFileBackup {
  /** Canonical path (no symbolic links) of the config file. */
  file: string;
  /** Permission bits of the file before removal. */
  mode: number;
  /** The whole file before removal, base64. Holds the token. */
  original: string;
  /** sha256 (hex) of the file right after removal, to tell whether anything changed it since. */
  afterRemovalSha256: string;
  /** What was removed, in file order: key names and how many values each had removed. */
  removed: { key: string; count: number }[];
}

export interface CredentialsBackup {
  version: 1;
  files: ConfigFileBackup[];
  /** The `git-credentials-*.config` paths the removed includes named (container forms may not exist). */
  credentialFiles: string[];
}

export type RestoreOutcome = 'already-restored' | 'restored' | 'restored-over-changes';

const EXTRAHEADER_KEY = /^http\.(?:.*\.)?extraheader$/;
const INCLUDE_PATH_KEY = /^include(?:if\..*)?\.path$/;
const CREDENTIALS_FILE = /(?:^|[\\/])git-credentials-[^\\/]*\.config$/i;

/** Whether one config entry carries checkout credentials (the header itself, or an include of its file). */
export function isCheckoutCredential(entry: ConfigEntry): boolean {
  if (EXTRAHEADER_KEY.test(entry.key)) return true;
  return INCLUDE_PATH_KEY.test(entry.key) && entry.value !== null && CREDENTIALS_FILE.test(entry.value);
}

export interface PlannedRemoval {
  key: string;
  /** Unset these values only (include paths); undefined: unset every value of the key (extraheader). */
  values?: string[];
  count: number;
}

/** Which keys (and, for includes, which values) to remove from one config file, in file order. */
export function planRemoval(entries: readonly ConfigEntry[]): PlannedRemoval[] {
  const plan = new Map<string, PlannedRemoval>();
  for (const entry of entries.filter(isCheckoutCredential)) {
    const byKey = EXTRAHEADER_KEY.test(entry.key);
    const planned = plan.get(entry.key) ?? { key: entry.key, values: byKey ? undefined : [], count: 0 };
    planned.count += 1;
    if (planned.values && entry.value !== null && !planned.values.includes(entry.value)) {
      planned.values.push(entry.value);
    }
    plan.set(entry.key, planned);
  }
  return [...plan.values()];
}

/**
 * Removes checkout credentials from the repository's config and its submodules' configs. Calling it
 * again finds nothing and returns an empty backup: keep the first one. If removal fails part-way,
 * every file already touched is put back before the error is rethrown.
 */
export async function removeCheckoutCredentials(
  repoDir: string,
  git: GitConfigPort,
): Promise<CredentialsBackup> {
  const backup: CredentialsBackup = { version: 1, files: [], credentialFiles: [] };
  let touched: { file: string; original: Buffer; mode: number } | undefined;
  try {
    for (const found of await configFiles(repoDir)) {
      const file = join(await realpath(dirname(found)), basename(found));
      const entries = await git.list(file);
      const plan = planRemoval(entries);
      if (plan.length === 0) continue;
      const original = await readFile(file);
      const mode = (await lstat(file)).mode & 0o7777;
      touched = { file, original, mode };
      for (const { key, values } of plan) {
        if (values === undefined) await git.unsetAll(file, key);
        for (const value of values ?? []) await git.unsetAll(file, key, value);
      }
      backup.files.push({
        file,
        mode,
        original: original.toString('base64'),
        afterRemovalSha256: sha256(await readFile(file)),
        removed: plan.map(({ key, count }) => ({ key, count })),
      });
      touched = undefined;
      for (const { key, value } of entries.filter(isCheckoutCredential)) {
        if (value !== null && !EXTRAHEADER_KEY.test(key) && !backup.credentialFiles.includes(value)) {
          backup.credentialFiles.push(value);
        }
      }
      core.info(`Removed checkout credentials from ${file}: ${plan.map((p) => p.key).join(', ')}`);
    }
  } catch (error) {
    const undo = backup.files.map(({ file, original, mode }) => ({
      file,
      original: Buffer.from(original, 'base64'),
      mode,
    }));
    for (const { file, original, mode } of touched ? [...undo, touched] : undo)
      await replaceFile(file, original, mode);
    throw new Error(
      `Removing the checkout credentials from the git config under ${repoDir} failed (the config was put back): ${String(error)}`,
      { cause: error },
    );
  }
  return backup;
}

/**
 * Writes every config file in the backup back exactly as it was before removal. Idempotent: a file
 * that already has its original bytes is left alone. Refuses (without writing) a file whose directory
 * became a symbolic link, so the token is never written somewhere the agent chose. Tries every file,
 * then throws one error naming each file that could not be restored.
 */
export async function restoreCheckoutCredentials(
  backup: CredentialsBackup,
): Promise<{ file: string; outcome: RestoreOutcome }[]> {
  const results: { file: string; outcome: RestoreOutcome }[] = [];
  const failures: string[] = [];
  for (const saved of backup.files) {
    try {
      results.push({ file: saved.file, outcome: await restoreFile(saved) });
    } catch (error) {
      failures.push(`${saved.file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `Could not restore the checkout credentials; later steps may lack git auth. ${failures.join('; ')}`,
    );
  }
  return results;
}

async function restoreFile(saved: ConfigFileBackup): Promise<RestoreOutcome> {
  const dir = dirname(saved.file);
  if ((await realpath(dir)) !== dir) {
    throw new Error(`${dir} was replaced by a link while the agent ran; not writing the token there`);
  }
  const original = Buffer.from(saved.original, 'base64');
  const current = await readRegularFile(saved.file);
  if (current?.equals(original)) return 'already-restored';
  await replaceFile(saved.file, original, saved.mode);
  const keys = saved.removed.map((r) => r.key).join(', ');
  if (current !== null && sha256(current) === saved.afterRemovalSha256) {
    core.info(`Restored checkout credentials in ${saved.file}: ${keys}`);
    return 'restored';
  }
  core.warning(
    `${saved.file} was changed while the agent ran; restored the version from before the agent (changes discarded), with ${keys}`,
  );
  return 'restored-over-changes';
}

/** The repository's config and every submodule's, found under `.git/modules` at any depth. */
async function configFiles(repoDir: string): Promise<string[]> {
  const gitDir = join(repoDir, '.git');
  const kind = await lstat(gitDir).catch(ignoreMissing);
  if (kind === null) return [];
  if (!kind.isDirectory()) {
    throw new Error(
      `${gitDir} is not a directory (a worktree or submodule checkout?); run the action in the directory actions/checkout checked out`,
    );
  }
  const own = (await lstat(join(gitDir, 'config')).catch(ignoreMissing))?.isFile()
    ? [join(gitDir, 'config')]
    : [];
  return [...own, ...(await moduleConfigs(join(gitDir, 'modules')))];
}

/** Submodule git dirs hold HEAD and config; a name with slashes nests plain directories. Links are not followed. */
async function moduleConfigs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(ignoreMissing);
  const found: string[] = [];
  for (const entry of (entries ?? [])
    .filter((e) => e.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const sub = join(dir, entry.name);
    const config = await lstat(join(sub, 'config')).catch(ignoreMissing);
    const head = await lstat(join(sub, 'HEAD')).catch(ignoreMissing);
    if (config?.isFile() && head !== null)
      found.push(join(sub, 'config'), ...(await moduleConfigs(join(sub, 'modules'))));
    else found.push(...(await moduleConfigs(sub)));
  }
  return found;
}

/** Writes a new file next to `file` and renames it over: never follows a link planted at `file`. */
async function replaceFile(file: string, content: Buffer, mode: number): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomUUID()}.claude-guard`);
  try {
    await writeFile(temp, content, { flag: 'wx', mode: 0o600 });
    await chmod(temp, mode);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

async function readRegularFile(file: string): Promise<Buffer | null> {
  const stat = await lstat(file).catch(ignoreMissing);
  return stat?.isFile() ? readFile(file) : null;
}

function ignoreMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
  throw error;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * The real port: `git config --file` through the git runner (its base environment, never the job's
 * GIT_* variables), silently: values never reach the log.
 */
export function execGitConfig(gitPath: string): GitConfigPort {
  const git = createGit(gitPath);
  const run = async (args: string[], okCodes: number[]): Promise<string> => {
    const result = await git.exec(['config', ...args]);
    if (!okCodes.includes(result.exitCode)) {
      throw new Error(
        `git config ${args.slice(0, 3).join(' ')} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
      );
    }
    return result.stdout.toString('utf8');
  };
  return {
    async list(file) {
      const out = await run(['--file', file, '--no-includes', '--null', '--list'], [0]);
      return out
        .split('\0')
        .filter((record) => record !== '')
        .map((record) => {
          const newline = record.indexOf('\n');
          return newline < 0
            ? { key: record, value: null }
            : { key: record.slice(0, newline), value: record.slice(newline + 1) };
        });
    },
    async unsetAll(file, key, value) {
      const match = value === undefined ? [] : ['--fixed-value'];
      // Exit 5: the key (or value) is not there, which is the state we want.
      await run(
        ['--file', file, ...match, '--unset-all', key, ...(value === undefined ? [] : [value])],
        [0, 5],
      );
    },
  };
}

export function serializeBackup(backup: CredentialsBackup): string {
  return JSON.stringify(backup);
}

/** Parses a backup written by `serializeBackup`; the error names what is wrong, never a value. */
export function parseBackup(text: string): CredentialsBackup {
  const fail = (what: string): never => {
    throw new Error(
      `The checkout credentials backup is not valid (${what}); credentials cannot be restored from it`,
    );
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail('not JSON');
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  const isString = (v: unknown): v is string => typeof v === 'string';
  if (!isObject(data) || data.version !== 1) return fail('unknown version');
  if (!Array.isArray(data.credentialFiles) || !data.credentialFiles.every(isString))
    return fail('credentialFiles');
  if (!Array.isArray(data.files)) return fail('files');
  for (const [i, f] of data.files.entries()) {
    const ok =
      isObject(f) &&
      isString(f.file) &&
      isAbsolute(f.file) &&
      Number.isInteger(f.mode) &&
      isString(f.original) &&
      isString(f.afterRemovalSha256) &&
      Array.isArray(f.removed) &&
      f.removed.every((r) => isObject(r) && isString(r.key) && Number.isInteger(r.count));
    if (!ok) return fail(`files[${i}]`);
  }
  return data as unknown as CredentialsBackup;
}

/** The sealed backup's file in the run directory. */
export const SEALED_BACKUP_FILE = 'credentials.sealed';

const SEAL_MAGIC = Buffer.from('cg-seal-1');

/** Encrypts a backup with a fresh 256-bit key (AES-GCM: a changed byte fails to open). */
export function sealBackup(backup: CredentialsBackup): { sealed: Buffer; key: string } {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(SEAL_MAGIC);
  const body = Buffer.concat([cipher.update(serializeBackup(backup), 'utf8'), cipher.final()]);
  return { sealed: Buffer.concat([SEAL_MAGIC, iv, cipher.getAuthTag(), body]), key: key.toString('base64') };
}

/** Opens what sealBackup wrote; the error names what is wrong, never a value. */
export function openBackup(sealed: Buffer, key: string): CredentialsBackup {
  const fail = (what: string): never => {
    throw new Error(
      `The sealed checkout credentials backup cannot be opened (${what}); credentials cannot be restored from it`,
    );
  };
  const keyBytes = Buffer.from(key, 'base64');
  if (keyBytes.length !== 32) return fail('the key is not 256 bits');
  const head = SEAL_MAGIC.length;
  if (sealed.length < head + 28 || !sealed.subarray(0, head).equals(SEAL_MAGIC))
    return fail('not a sealed backup');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes, sealed.subarray(head, head + 12));
  decipher.setAAD(SEAL_MAGIC);
  decipher.setAuthTag(sealed.subarray(head + 12, head + 28));
  let text: string;
  try {
    text = Buffer.concat([decipher.update(sealed.subarray(head + 28)), decipher.final()]).toString('utf8');
  } catch {
    return fail('wrong key, or the file was changed');
  }
  return parseBackup(text);
}
