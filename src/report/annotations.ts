/**
 * Findings as workflow annotations: each shows on the run's summary page and on the file in the
 * "Files changed" view, even where no inline comment could be placed. Only gate-approved findings
 * are given here, so every message is already redacted and neutralised (threat model X3: the job log
 * is readable by everyone who can read the run). Messages go to @actions/core unchanged: core escapes
 * `%`, CR and LF in the message, and also `:` and `,` in properties, so a finding cannot end its
 * annotation and start another workflow command on a new line. GitHub shows at most 50 annotations
 * per step, so the worst 50 are emitted and the rest counted (X6: a flood of findings cannot flood the
 * log either).
 */
import { severityRank, type Finding, type Severity } from '../findings/schema.js';
import { flatten } from './markdown.js';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** The subset of @actions/core's AnnotationProperties we set. */
export interface AnnotationProperties {
  title: string;
  file: string;
  startLine: number;
  endLine?: number;
}

export interface Annotation {
  level: AnnotationLevel;
  message: string;
  properties: AnnotationProperties;
}

/** The part of @actions/core that emits annotations. */
export type AnnotationSink = Record<
  AnnotationLevel,
  (message: string, properties: AnnotationProperties) => void
>;

/** GitHub renders about 4 KB of an annotation's message. */
export const ANNOTATION_MESSAGE_MAX = 4000;
/** GitHub keeps at most 50 annotations per step. */
export const ANNOTATIONS_MAX = 50;

const LEVEL: Record<Severity, AnnotationLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'notice',
  info: 'notice',
};

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? '')) cut--;
  return `${text.slice(0, cut)}…`;
}

/** Pure: the annotation for one finding. */
export function annotationFor(f: Finding): Annotation {
  const title = `[${f.severity}] ${flatten(f.title)}`;
  const body = f.body.trim() === '' ? title : f.body.trim();
  const end = f.end_line ?? f.line;
  return {
    level: LEVEL[f.severity],
    message: cap(body, ANNOTATION_MESSAGE_MAX),
    properties: { title, file: f.path, startLine: f.line, ...(end > f.line ? { endLine: end } : {}) },
  };
}

/** Emits the worst `ANNOTATIONS_MAX` findings (worst first, stable) and returns how many were skipped. */
export function emitAnnotations(findings: readonly Finding[], core: AnnotationSink): number {
  const ranked = findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(b.f.severity) - severityRank(a.f.severity) || a.i - b.i)
    .slice(0, ANNOTATIONS_MAX);
  for (const { f } of ranked) {
    const a = annotationFor(f);
    core[a.level](a.message, a.properties);
  }
  return findings.length - ranked.length;
}
