/**
 * What model tokens cost: list prices per model family and the cost of a token count. Pure; used by the
 * ledger (ledger.ts) to turn the usage a model response reports into dollars against the budget.
 */

/** USD per million tokens. */
export interface Prices {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

/** Model family (a substring of the model id, lower case, first match wins) → prices. */
export type PriceTable = Record<string, Prices>;

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

/**
 * Standard-context list prices, the highest in each family (Opus 4/4.1; Opus 4.5 and later list at
 * $5/$25), cache writes at the 5-minute rate (1.25× input), cache reads at 0.1× input. A budget is a
 * ceiling, so pricing high errs on the side of stopping early.
 */
export const DEFAULT_PRICES: PriceTable = {
  opus: { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  sonnet: { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  haiku: { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
};

export const TOKEN_KEYS = [
  'inputTokens',
  'outputTokens',
  'cacheCreationInputTokens',
  'cacheReadInputTokens',
] as const;

/** The Messages API's name for each count in a `usage` object. */
export const API_USAGE_FIELDS: Record<(typeof TOKEN_KEYS)[number], string> = {
  inputTokens: 'input_tokens',
  outputTokens: 'output_tokens',
  cacheCreationInputTokens: 'cache_creation_input_tokens',
  cacheReadInputTokens: 'cache_read_input_tokens',
};

export function zeroTokens(): TokenCounts {
  return { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };
}

/** Prices for a model id: its family's, or for an unknown model the most expensive family's. */
export function priceFor(
  model: string,
  table: PriceTable,
): { family: string; prices: Prices; known: boolean } {
  const id = model.toLowerCase();
  const family = Object.keys(table).find((f) => id.includes(f.toLowerCase()));
  if (family !== undefined) return { family, prices: table[family], known: true };
  const [dearest, prices] = Object.entries(table).reduce((a, b) =>
    b[1].input + b[1].output > a[1].input + a[1].output ? b : a,
  );
  return { family: dearest, prices, known: false };
}

export function costUsd(tokens: TokenCounts, p: Prices): number {
  return (
    (tokens.inputTokens * p.input +
      tokens.outputTokens * p.output +
      tokens.cacheCreationInputTokens * p.cacheWrite +
      tokens.cacheReadInputTokens * p.cacheRead) /
    1e6
  );
}

export function isPriceTable(v: unknown): v is PriceTable {
  const price = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  const isObject = (o: unknown): o is Record<string, unknown> =>
    typeof o === 'object' && o !== null && !Array.isArray(o);
  return (
    isObject(v) &&
    Object.keys(v).length > 0 &&
    !Object.hasOwn(v, '') &&
    Object.values(v).every(
      (p) => isObject(p) && price(p.input) && price(p.output) && price(p.cacheWrite) && price(p.cacheRead),
    )
  );
}
