/** The error of the isolation stage: a level that cannot be reached, or a proof that failed. */
export class IsolationError extends Error {
  override name = 'IsolationError';
}
