/**
 * The `sandbox` level (defence 6; threat rows S2, S7, S8, S9, X1 where no second user is possible):
 * Claude Code's own bubblewrap sandbox around every Bash command. The settings block turns it on, makes
 * the CLI refuse to start without it (`failIfUnavailable`), removes the unsandboxed escape hatch
 * (`allowUnsandboxedCommands: false`), allows no network domain, and hides RUNNER_TEMP and the runner's
 * credential folders. Bash runs in its own PID namespace, so the runner's /proc/<pid>/environ is not
 * even visible there. The probe actually starts bwrap the way the CLI will, because an installed but
 * unusable bwrap (Ubuntu 24.04 restricts unprivileged user namespaces) lets the CLI start and then
 * fails every command. The CLI finds bwrap and socat on PATH (a `bwrapPath` setting was not honoured
 * on Linux in 2.1.332), so the agent's PATH must be the one probed here.
 */
import * as path from 'node:path';
import type { SystemPort } from './system.js';

/** Credential folders and files under the runner's HOME (threat row S9). */
export const HOME_SECRET_PATHS = [
  '.ssh',
  '.aws',
  '.azure',
  '.config/gcloud',
  '.config/gh',
  '.docker',
  '.kube',
  '.gnupg',
  '.npmrc',
  '.yarnrc.yml',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  '.gem/credentials',
  '.cargo/credentials.toml',
];

export interface SandboxPaths {
  runnerTemp?: string;
  runnerHome?: string;
  /** More paths to hide from Bash (e.g. checkout credential files outside RUNNER_TEMP). */
  extraDenyRead?: string[];
}

/** The `sandbox` block of the generated settings file (merged in by the settings-file module). */
export interface SandboxSettings {
  enabled: true;
  failIfUnavailable: true;
  autoAllowBashIfSandboxed: false;
  allowUnsandboxedCommands: false;
  network: { allowedDomains: string[]; strictAllowlist: true };
  filesystem: { denyRead: string[] };
}

export function sandboxSettings(paths: SandboxPaths): SandboxSettings {
  const denyRead = [
    ...(paths.runnerTemp ? [paths.runnerTemp] : []),
    ...(paths.runnerHome ? HOME_SECRET_PATHS.map((p) => path.join(paths.runnerHome as string, p)) : []),
    ...(paths.extraDenyRead ?? []),
  ];
  return {
    enabled: true,
    failIfUnavailable: true,
    autoAllowBashIfSandboxed: false,
    allowUnsandboxedCommands: false,
    network: { allowedDomains: [], strictAllowlist: true },
    filesystem: { denyRead: [...new Set(denyRead)] },
  };
}

export type BubblewrapProbe = { ok: true } | { ok: false; reason: string };

async function which(system: SystemPort, name: string): Promise<string | undefined> {
  const result = await system.run('sh', ['-c', 'command -v "$0"', name]);
  const found = result.stdout.trim();
  return result.exitCode === 0 && path.isAbsolute(found) ? found : undefined;
}

async function readSysctl(system: SystemPort, file: string): Promise<string | undefined> {
  const result = await system.run('cat', [file]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** Explains why unprivileged user namespaces are unavailable, from the kernel's switches. */
export function usernsRestriction(sysctls: {
  apparmor?: string;
  unprivilegedClone?: string;
  maxUserNamespaces?: string;
}): string | undefined {
  if (sysctls.apparmor === '1')
    return 'kernel.apparmor_restrict_unprivileged_userns=1 (Ubuntu 24.04 AppArmor restriction on unprivileged user namespaces)';
  if (sysctls.unprivilegedClone === '0') return 'kernel.unprivileged_userns_clone=0';
  if (sysctls.maxUserNamespaces === '0') return 'user.max_user_namespaces=0';
  return undefined;
}

/** Starts bwrap as the CLI will (all namespaces unshared) and checks socat; says why not when it fails. */
export async function probeBubblewrap(system: SystemPort): Promise<BubblewrapProbe> {
  if (system.platform !== 'linux')
    return { ok: false, reason: `bubblewrap needs Linux (this is ${system.platform})` };
  const bwrapPath = await which(system, 'bwrap');
  if (!bwrapPath) return { ok: false, reason: 'bwrap is not installed (apt-get install bubblewrap)' };
  if (!(await which(system, 'socat')))
    return { ok: false, reason: 'socat is not installed (apt-get install socat)' };
  const result = await system.run(bwrapPath, [
    '--unshare-all',
    '--die-with-parent',
    '--ro-bind',
    '/',
    '/',
    '/bin/true',
  ]);
  if (result.exitCode === 0) return { ok: true };
  const restriction =
    system.uid === 0
      ? undefined
      : usernsRestriction({
          apparmor: await readSysctl(system, '/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
          unprivilegedClone: await readSysctl(system, '/proc/sys/kernel/unprivileged_userns_clone'),
          maxUserNamespaces: await readSysctl(system, '/proc/sys/user/max_user_namespaces'),
        });
  const stderr = result.stderr.trim().split('\n')[0] ?? '';
  return {
    ok: false,
    reason: `bwrap cannot start (exit ${result.exitCode}: ${stderr})${restriction ? `; cause: ${restriction}` : ''}`,
  };
}
