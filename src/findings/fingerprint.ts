/**
 * A finding's identity across runs, so the same problem found on the next push is recognised as the
 * same alert (SARIF `partialFingerprints`, de-duplication of comments) instead of a new one. It hashes
 * what stays put when a pull request moves on: the file, the title with the wording noise a model
 * varies between runs removed (case, digits, quotes, punctuation), and the code at the finding,
 * whitespace-collapsed. The line number is left out on purpose: code moves between pushes.
 * Pure. The hash carries no finding text out (threat model X2, X3): only a 64-bit digest of
 * already-gated data.
 */
import { createHash } from 'node:crypto';
import type { Finding } from './schema.js';

/** Hex characters kept from the SHA-256 digest (64 bits). */
export const FINGERPRINT_LENGTH = 16;

/** The title without what models vary: case, digits, quotes, punctuation, symbols, spacing. */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\p{N}/gu, '')
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Code with every run of whitespace (indentation, line breaks, CRLF) collapsed to one space. */
export function normaliseCode(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

/**
 * The trimmed text of lines `line`..`endLine` (1-based, inclusive) of `fileText`, one per line;
 * lines past the end of the file are simply absent, so a stale line number gives ''.
 */
export function codeContextAt(fileText: string, line: number, endLine: number = line): string {
  const lines = fileText.split(/\r\n|\r|\n/);
  return lines
    .slice(Math.max(line, 1) - 1, Math.max(endLine, line))
    .map((l) => l.trim())
    .join('\n');
}

/** A short, stable identity for `f`: path + normalised title + normalised code context. */
export function fingerprint(f: Finding, codeContext: string): string {
  const key = JSON.stringify([f.path, normaliseTitle(f.title), normaliseCode(codeContext)]);
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, FINGERPRINT_LENGTH);
}
