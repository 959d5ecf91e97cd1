import { describe, expect, test } from '@jest/globals';
import { rateLimitWait, SECONDARY_FALLBACK_S, type LimitedAnswer } from '../../src/github/rate-limit.js';

const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;

describe('rateLimitWait', () => {
  test.each<[string, LimitedAnswer, ReturnType<typeof rateLimitWait>]>([
    [
      'a secondary limit with retry-after waits that long',
      { status: 403, message: 'You have exceeded a secondary rate limit', headers: { 'retry-after': '12' } },
      { kind: 'secondary', seconds: 12 },
    ],
    [
      'a secondary limit without retry-after, quota exhausted, waits until one second past the reset',
      {
        status: 403,
        message: 'You have exceeded a secondary rate limit',
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 20) },
      },
      { kind: 'secondary', seconds: 21 },
    ],
    [
      'a secondary limit with neither header waits the minute GitHub asks for',
      { status: 403, message: 'You have exceeded a secondary rate limit', headers: {} },
      { kind: 'secondary', seconds: SECONDARY_FALLBACK_S },
    ],
    [
      'a bare 429 is a secondary limit',
      { status: 429, message: 'Too Many Requests', headers: { 'retry-after': 3 } },
      { kind: 'secondary', seconds: 3 },
    ],
    [
      'an exhausted primary quota waits until one second past the reset',
      {
        status: 403,
        message: 'API rate limit exceeded',
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 90) },
      },
      { kind: 'primary', seconds: 91 },
    ],
    [
      'a reset already past waits nothing',
      {
        status: 429,
        message: 'API rate limit exceeded',
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S - 5) },
      },
      { kind: 'primary', seconds: 0 },
    ],
    [
      'GraphQL RATE_LIMITED on a 200 is a primary limit',
      {
        status: 200,
        message: '',
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW_S + 1) },
        errors: [{ type: 'RATE_LIMITED' }],
      },
      { kind: 'primary', seconds: 2 },
    ],
    [
      'a 403 missing permission is no limit',
      {
        status: 403,
        message: 'Resource not accessible by integration',
        headers: { 'x-ratelimit-remaining': '4999' },
      },
      undefined,
    ],
    [
      'a 5xx is no limit',
      { status: 502, message: 'Bad gateway', headers: { 'retry-after': '1' } },
      undefined,
    ],
    ['a success is no limit', { status: 200, message: '', headers: {} }, undefined],
    [
      'GraphQL errors of another type are no limit',
      { status: 200, message: '', headers: {}, errors: [{ type: 'FORBIDDEN' }] },
      undefined,
    ],
  ])('%s', (_name, answer, expected) => {
    expect(rateLimitWait(answer, NOW_MS)).toEqual(expected);
  });
});
