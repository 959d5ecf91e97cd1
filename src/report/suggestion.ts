/**
 * When a finding's replacement text may be offered as a GitHub suggestion, and how it is fenced.
 * A suggestion block replaces exactly the lines its review comment spans, so one is offered only when
 * the comment's placement covers exactly the finding's line..end_line; otherwise a reviewer who clicks
 * "commit suggestion" would overwrite lines the agent never meant (an unreviewed write, threat model
 * X4's spirit applied to the PR). The fence is longer than any backtick run in the text, so the
 * agent's text cannot close it early and turn the rest into markdown (X2). Pure.
 */
import { fence } from './markdown.js';
import type { GatedFinding } from './types.js';

/** The comment range a suggestion for `f` needs (start_line..line), or null if none may be offered. */
export function suggestionRange(f: GatedFinding): { startLine?: number; line: number } | null {
  if (f.suggestion === undefined || f.placement === null) return null;
  const end = f.end_line ?? f.line;
  const placedStart = f.placement.startLine ?? f.placement.line;
  if (placedStart !== f.line || f.placement.line !== end) return null;
  return end > f.line ? { startLine: f.line, line: end } : { line: end };
}

/**
 * A ```suggestion block whose content replaces the commented lines with `text`. An empty `text`
 * gives an empty block, which GitHub applies as deleting the lines.
 */
export function suggestionBlock(text: string): string {
  if (text === '') return '```suggestion\n```';
  return fence(text, 'suggestion');
}
