/**
 * The findings as a SARIF 2.1.0 log for github/codeql-action/upload-sarif, so they land in code
 * scanning where a team triages, dismisses and tracks them across pushes. One rule per category; each
 * result carries a stable partial fingerprint (findings/fingerprint.ts) so a finding that moves down
 * the file stays the same alert. Built only from gate-approved findings, whose text is already redacted
 * (threat model X2, X3: the SARIF file is an output others read). The file is written beside, never
 * through, whatever is at its path (X4: a planted symlink does not redirect our write).
 */
import fs from 'node:fs';
import path from 'node:path';
import type * as Sarif from 'sarif';
import { severityRank, type Finding, type Severity } from '../findings/schema.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'claudeGuard/v1';
export const TOOL_NAME = 'claude-guard';

export type SarifLevel = 'error' | 'warning' | 'note';

// Our shapes are narrower than SARIF (every field we always write is required) and extend the
// published SARIF 2.1.0 types (@types/sarif), so the compiler checks each field against the standard.
export interface SarifMessage extends Sarif.Message {
  text: string;
}

export interface SarifRule extends Sarif.ReportingDescriptor {
  id: string;
  shortDescription: SarifMessage;
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties?: { tags: string[]; 'security-severity'?: string };
}

export interface SarifResult extends Sarif.Result {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: '%SRCROOT%' };
      region: { startLine: number; endLine?: number };
    };
  }[];
  partialFingerprints: Record<string, string>;
  properties: { severity: Severity; category: string; 'security-severity'?: string };
}

export interface SarifRun extends Sarif.Run {
  tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
  results: SarifResult[];
  versionControlProvenance?: { repositoryUri: string; revisionId?: string }[];
  properties?: { runUrl: string };
}

export interface SarifLog extends Sarif.Log {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

export interface SarifInput {
  findings: readonly Finding[];
  /** Each finding's fingerprint (findings/fingerprint.ts), by object identity or computed. */
  fingerprints: ReadonlyMap<Finding, string> | ((f: Finding) => string);
  toolVersion: string;
  /** Absolute URL of the action's own repository (tool.driver.informationUri). */
  informationUri?: string;
  /** Absolute URL of the reviewed repository. */
  repoUri?: string;
  commitSha?: string;
  runUrl?: string;
}

const LEVEL: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** GitHub's security-severity scores: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low. */
const SECURITY_SEVERITY: Partial<Record<Severity, number>> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 3.0,
};

/** A rule id from a free-text category: lowercase words joined by '-', e.g. "Security / Auth" → "security-auth". */
export function categorySlug(category: string): string {
  const slug = category
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug === '' ? 'general' : slug;
}

export function isSecurityCategory(slug: string): boolean {
  return /(^|-)(security|vulnerability)(-|$)/.test(slug);
}

/** A repository-relative path as a relative URI reference: each segment percent-encoded. */
export function pathToUri(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

function securitySeverity(slug: string, s: Severity): string | undefined {
  const score = isSecurityCategory(slug) ? SECURITY_SEVERITY[s] : undefined;
  return score === undefined ? undefined : score.toFixed(1);
}

function fingerprintOf(input: SarifInput, f: Finding): string {
  const fp = typeof input.fingerprints === 'function' ? input.fingerprints(f) : input.fingerprints.get(f);
  if (fp === undefined) {
    throw new Error(`no fingerprint for the finding at ${f.path}:${f.line}; compute one with fingerprint()`);
  }
  return fp;
}

/** A category's rule: its level and (for security) its score are those of its worst finding in this run. */
function ruleFor(id: string, severities: Severity[]): SarifRule {
  const worst = severities.reduce((a, b) => (severityRank(b) > severityRank(a) ? b : a));
  const score = securitySeverity(id, worst);
  return {
    id,
    shortDescription: { text: `claude-guard findings in category "${id}"` },
    defaultConfiguration: { level: LEVEL[worst] },
    ...(isSecurityCategory(id)
      ? { properties: { tags: ['security'], ...(score !== undefined ? { 'security-severity': score } : {}) } }
      : {}),
  };
}

/**
 * Pure: the SARIF log. GitHub reads security-severity from the rule, so a security rule carries the
 * worst score among its results in this run; each result also carries its own.
 */
export function buildSarif(input: SarifInput): SarifLog {
  const slugs = [...new Set(input.findings.map((f) => categorySlug(f.category)))].sort();
  const rules = slugs.map((id) =>
    ruleFor(
      id,
      input.findings.filter((f) => categorySlug(f.category) === id).map((f) => f.severity),
    ),
  );
  const results = input.findings.map((f): SarifResult => {
    const ruleId = categorySlug(f.category);
    const score = securitySeverity(ruleId, f.severity);
    const end = f.end_line ?? f.line;
    return {
      ruleId,
      ruleIndex: slugs.indexOf(ruleId),
      level: LEVEL[f.severity],
      message: { text: f.body.trim() === '' ? f.title : `${f.title}\n\n${f.body}` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: pathToUri(f.path), uriBaseId: '%SRCROOT%' },
            region: { startLine: f.line, ...(end > f.line ? { endLine: end } : {}) },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprintOf(input, f) },
      properties: {
        severity: f.severity,
        category: f.category,
        ...(score !== undefined ? { 'security-severity': score } : {}),
      },
    };
  });
  const run: SarifRun = {
    tool: {
      driver: {
        name: TOOL_NAME,
        version: input.toolVersion,
        ...(input.informationUri ? { informationUri: input.informationUri } : {}),
        rules,
      },
    },
    results,
  };
  if (input.repoUri) {
    run.versionControlProvenance = [
      { repositoryUri: input.repoUri, ...(input.commitSha ? { revisionId: input.commitSha } : {}) },
    ];
  }
  if (input.runUrl) run.properties = { runUrl: input.runUrl };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

/**
 * Writes the log to `file` (mode 0644, for upload-sarif). It is written to a new file in the same
 * directory and renamed into place, so a symlink or hard link already at `file` is replaced, never
 * written through.
 */
export function writeSarif(file: string, log: SarifLog): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let created = false;
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'wx', 0o644);
    created = true;
    try {
      fs.writeFileSync(fd, `${JSON.stringify(log, null, 2)}\n`);
      fs.fchmodSync(fd, 0o644);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    if (created) fs.rmSync(tmp, { force: true });
    throw new Error(
      `could not write the SARIF file ${file} (${(err as Error).message}); check the sarif path input and that its directory is writable`,
    );
  }
}
