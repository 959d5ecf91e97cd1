/**
 * What every layer shares and nothing more: the run's mode and isolation level, the error that names a
 * bad input, and the one check of an http(s) URL given by a user. It imports nothing of ours, so any
 * module may import it without making a cycle (`npm run lint` runs scripts/import-cycles.mjs).
 */

export const MODES = ['review', 'custom', 'fix'] as const;
export type Mode = (typeof MODES)[number];

export const ISOLATION_LEVELS = ['strict', 'sandbox', 'rules-only'] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** A bad input value: the message names the input and says what is accepted. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
    this.name = 'InputError';
  }
}

/**
 * An http(s) URL a user gave (a base URL, a registry): parsed, or why not. No credentials in it and,
 * unless `allowQuery`, no query or fragment. The caller words the error around the name it knows.
 */
export function checkHttpUrl(
  raw: string,
  options: { allowQuery?: boolean } = {},
): { url: URL; problem?: undefined } | { url?: undefined; problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { problem: `scheme '${url.protocol}' is not accepted; use an http:// or https:// URL` };
  if (url.username !== '' || url.password !== '')
    return { problem: 'must not contain credentials (user:password@)' };
  if (!options.allowQuery && (raw.includes('?') || raw.includes('#')))
    return { problem: 'must not contain a query (?) or fragment (#)' };
  return { url };
}
