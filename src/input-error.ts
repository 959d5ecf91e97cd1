/** The error every bad input ends in: it names the input (modules that read inputs share it without a cycle). */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`Input '${input}': ${message}`);
    this.name = 'InputError';
  }
}

/** Reads one raw input (core.getInput semantics: trimmed, '' when unset). */
export type GetInput = (name: string) => string;
