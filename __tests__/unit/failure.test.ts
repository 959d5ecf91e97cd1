import { describe, expect, test } from '@jest/globals';
import { explainFailure, type FailureFacts } from '../../src/report/failure.js';

describe('explainFailure: a failed run in one word, with what to change', () => {
  test.each<[string, FailureFacts, string, RegExp]>([
    [
      'timeout',
      { message: 'The agent did not finish within timeout-minutes (15); its whole process tree was killed.' },
      'timeout',
      /timeout-minutes/,
    ],
    ['max turns', { message: 'The agent hit max-turns (30) before answering.' }, 'max turns', /max-turns/],
    [
      'budget (proxy refusal)',
      { message: 'Claude Code reported an error: error_during_execution', budgetExceeded: true },
      'budget',
      /budget-usd/,
    ],
    [
      'model API error',
      { message: 'Claude Code reported an error (model API status 529): error_during_execution' },
      'model API error',
      /re-run/,
    ],
    [
      'refused',
      { errorName: 'TriggerRefused', message: 'claude-guard refused to run: …' },
      'refused',
      /not allowed/,
    ],
    ['bad input', { errorName: 'InputError', message: "Input 'max-turns': 'x'" }, 'configuration', /input/],
    ['isolation', { errorName: 'IsolationError', message: 'below strict' }, 'isolation', /require-isolation/],
    ['anything else', { message: 'Claude Code ended without a result.' }, 'agent error', /job summary/],
  ])('%s', (_name, facts, reason, advice) => {
    const e = explainFailure(facts);
    expect(e.reason).toBe(reason);
    expect(e.advice).toMatch(advice);
  });
});
