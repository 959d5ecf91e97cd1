/**
 * Why a run failed, in one word a reviewer understands, and what to change. Pure: decided from the
 * error the main step caught (its class and the action's own message) and the key proxy's refusals.
 * The word and the advice are the action's own text, so they may go on the pull request; the error
 * message itself stays in the job summary (it can quote the agent).
 */

export type FailureReason =
  | 'timeout'
  | 'max turns'
  | 'budget'
  | 'model API error'
  | 'refused'
  | 'configuration'
  | 'isolation'
  | 'agent error';

export interface FailureExplanation {
  reason: FailureReason;
  /** What to change, one sentence, in the action's own words. */
  advice: string;
}

export interface FailureFacts {
  /** The caught error's class name (InputError, TriggerRefused, IsolationError, …). */
  errorName?: string;
  message: string;
  /** The key proxy refused a request because the budget was spent. */
  budgetExceeded?: boolean;
}

/** Pure: the reason and advice for a failed run. */
export function explainFailure(facts: FailureFacts): FailureExplanation {
  const msg = facts.message;
  if (facts.errorName === 'InputError' || /^Input '/.test(msg)) {
    return { reason: 'configuration', advice: 'Fix the input named in the job summary.' };
  }
  if (facts.errorName === 'TriggerRefused') {
    return {
      reason: 'refused',
      advice:
        'This trigger or actor is not allowed to start a run; the job summary says which input allows it.',
    };
  }
  if (/IsolationError|IsolationProofError/.test(facts.errorName ?? '')) {
    return {
      reason: 'isolation',
      advice:
        "The machine could not contain the agent as required; see the job summary, or relax 'require-isolation'.",
    };
  }
  if (facts.budgetExceeded || /budget/i.test(msg) || /model API status 402\b/.test(msg)) {
    return {
      reason: 'budget',
      advice: "The run spent its 'budget-usd'; raise it, or review smaller changes.",
    };
  }
  if (/timeout-minutes/.test(msg)) {
    return { reason: 'timeout', advice: "The agent ran out of time; raise 'timeout-minutes'." };
  }
  if (/max-turns/.test(msg)) {
    return { reason: 'max turns', advice: "The agent used all its turns; raise 'max-turns'." };
  }
  if (/model API status|api_error|overloaded|rate.?limit/i.test(msg)) {
    return {
      reason: 'model API error',
      advice:
        "The model API returned an error; re-run the job, and check the key and 'anthropic-base-url' if it repeats.",
    };
  }
  return { reason: 'agent error', advice: 'The job summary of the workflow run has the details.' };
}
