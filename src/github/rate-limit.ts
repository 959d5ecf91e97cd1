/**
 * GitHub's rate limits, honoured without spacing requests out. A run makes a handful of writes (one review,
 * a comment or two, a few GraphQL calls); GitHub asks clients to space mutating requests only when they make
 * many, so a fixed gap between them (plugin-throttling waits ≥ 1 s between writes and ≥ 3 s between
 * "notification" POSTs, counting GraphQL as a write) is pure waiting. What GitHub does require is kept: when
 * it answers that a limit was hit, wait the time it names and retry, a bounded number of times.
 *
 * `rateLimitWait` is the decision (a pure function, table-tested); `rateLimitPlugin` is the Octokit plugin
 * that applies it, with the clock and the sleep injected so tests never wait for real.
 */
import type { Octokit } from '@octokit/core';

export type RateLimitKind = 'primary' | 'secondary';

export interface LimitedAnswer {
  status?: number;
  message: string;
  headers: Record<string, string | number | undefined>;
  /** The body's `errors` (GraphQL reports a rate limit as an error of type RATE_LIMITED). */
  errors?: unknown;
}

/** Without retry-after or a reset time, GitHub asks to wait at least a minute before a secondary retry. */
export const SECONDARY_FALLBACK_S = 60;

const header = (h: LimitedAnswer['headers'], name: string): string | undefined => {
  const v = h[name];
  return v === undefined ? undefined : String(v);
};

const graphqlRateLimited = (errors: unknown): boolean =>
  Array.isArray(errors) && errors.some((e) => (e as { type?: unknown } | null)?.type === 'RATE_LIMITED');

/**
 * Whether an answer is a rate limit, which one, and how many seconds GitHub asks to wait before retrying
 * (GitHub docs, "Rate limits for the REST API": retry-after if present; else, when x-ratelimit-remaining is
 * 0, until x-ratelimit-reset; else at least a minute). `undefined`: not a rate limit, nothing to wait for.
 */
export function rateLimitWait(
  answer: LimitedAnswer,
  nowMs: number,
): { kind: RateLimitKind; seconds: number } | undefined {
  const { status, message, headers } = answer;
  const graphql = graphqlRateLimited(answer.errors);
  if (!graphql && status !== 403 && status !== 429) return undefined;
  const retryAfter = Number(header(headers, 'retry-after'));
  const exhausted = header(headers, 'x-ratelimit-remaining') === '0';
  const secondary = /\bsecondary rate\b/i.test(message);
  const untilReset = (): number => {
    const resetS = Number(header(headers, 'x-ratelimit-reset'));
    // One second past the reset, so the retry lands after it.
    return Number.isFinite(resetS) && resetS > 0 ? Math.max(Math.ceil(resetS - nowMs / 1000) + 1, 0) : 0;
  };
  if (secondary || (status === 429 && !exhausted)) {
    const seconds =
      Number.isFinite(retryAfter) && retryAfter >= 0
        ? retryAfter
        : exhausted
          ? untilReset()
          : SECONDARY_FALLBACK_S;
    return { kind: 'secondary', seconds };
  }
  if (exhausted || graphql) {
    return {
      kind: 'primary',
      seconds: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : untilReset(),
    };
  }
  // Any other 403 (a missing permission, a blocked user …) is a refusal, not a limit.
  return undefined;
}

export interface RateLimitOptions {
  /** Asked before each retry; false gives up (the limit's error is thrown). */
  onLimit(
    kind: RateLimitKind,
    seconds: number,
    request: { method: string; url: string },
    retryCount: number,
  ): boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: LimitedAnswer['headers']; data?: unknown };
}

/** The Octokit plugin: retries a request GitHub rate-limited, after the wait GitHub names; no other waits. */
export function rateLimitPlugin(opts: RateLimitOptions) {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  return (octokit: Octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      for (let retryCount = 0; ; retryCount++) {
        let answer: LimitedAnswer;
        let failure: unknown;
        try {
          const response = await request(options);
          const errors = (response.data as { errors?: unknown } | null)?.errors;
          if (!graphqlRateLimited(errors)) return response;
          answer = {
            status: response.status,
            message: 'GraphQL rate limit exceeded',
            headers: response.headers,
            errors,
          };
          failure = Object.assign(new Error('GraphQL rate limit exceeded'), {
            status: response.status,
            errors,
          });
        } catch (error) {
          const e = error as RequestErrorLike;
          answer = {
            status: e.status,
            message: e.message ?? '',
            headers: e.response?.headers ?? {},
            errors: (e.response?.data as { errors?: unknown } | null)?.errors,
          };
          failure = error;
        }
        const wait = rateLimitWait(answer, now());
        const target = { method: options.method, url: options.url };
        if (!wait || !opts.onLimit(wait.kind, wait.seconds, target, retryCount)) throw failure;
        await sleep(wait.seconds * 1000);
      }
    });
  };
}
