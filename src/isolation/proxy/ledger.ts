/**
 * The run's spend: token counts and cost per model, request counts, and the two reasons to stop
 * forwarding (threat-model row X6): the budget is reached, or a model response could not be metered.
 */
import { costUsd, priceFor, TOKEN_KEYS, zeroTokens, type PriceTable, type TokenCounts } from './pricing.js';

export interface ModelUsage extends TokenCounts {
  costUsd: number;
  /** The price-table family used. */
  pricedAs: string;
  /** No family matched the model id, so it was priced as the most expensive family. */
  unknownModel: boolean;
}

export interface Usage {
  byModel: Record<string, ModelUsage>;
  costUsd: number;
  /** Requests forwarded upstream. */
  requests: number;
  /** Requests refused: bad token, path, shape, budget, size. */
  refused: number;
  /** Model responses without readable usage (each one stops all later requests). */
  unmetered: number;
}

export function emptyUsage(): Usage {
  return { byModel: {}, costUsd: 0, requests: 0, refused: 0, unmetered: 0 };
}

export class Ledger {
  readonly usage = emptyUsage();
  private unmeteredStop = false;

  constructor(
    private readonly budgetUsd: number,
    private readonly prices: PriceTable,
    /** Called once per model id that matches no price family. */
    private readonly onUnknownModel: (model: string, pricedAs: string) => void = () => undefined,
  ) {}

  /** Adds a token delta to the totals; returns its cost. */
  charge(model: string, delta: TokenCounts): number {
    const { family, prices, known } = priceFor(model, this.prices);
    let row = this.usage.byModel[model];
    if (!row) {
      row = { ...zeroTokens(), costUsd: 0, pricedAs: family, unknownModel: !known };
      this.usage.byModel[model] = row;
      if (!known) this.onUnknownModel(model, family);
    }
    const cost = costUsd(delta, prices);
    for (const k of TOKEN_KEYS) row[k] += delta[k];
    row.costUsd += cost;
    this.usage.costUsd += cost;
    return cost;
  }

  /** A model response carried no readable usage: from now on every request is refused. */
  markUnmetered(): void {
    this.usage.unmetered++;
    this.unmeteredStop = true;
  }

  /** Why no more requests may be forwarded, or undefined while spending may go on. */
  stopReason(): string | undefined {
    if (this.unmeteredStop) return 'claude-guard stopped spending: a model response could not be metered';
    if (this.usage.costUsd >= this.budgetUsd) return `claude-guard budget of $${this.budgetUsd} reached`;
    return undefined;
  }
}
