/**
 * Shopify's GraphQL Admin API meters each app+shop pair with a leaky bucket of query-cost points
 * (reference §1.11): every answer reports `extensions.cost.throttleStatus` — how many points the
 * bucket holds at most, how many are left, how many flow back per second — and what the query was
 * estimated (`requestedQueryCost`) and charged (`actualQueryCost`). A query is refused (THROTTLED)
 * when its requested cost exceeds what is left, so the client waits until the bucket holds enough.
 */

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: ThrottleStatus;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** `extensions.cost` of an answer, when it is there and well formed. */
export function costOf(extensions: unknown): QueryCost | undefined {
  if (typeof extensions !== 'object' || extensions === null) return undefined;
  const cost = (extensions as { cost?: unknown }).cost;
  if (typeof cost !== 'object' || cost === null) return undefined;
  const { requestedQueryCost, actualQueryCost, throttleStatus } = cost as Record<string, unknown>;
  const out: QueryCost = {};
  if (isFiniteNumber(requestedQueryCost)) out.requestedQueryCost = requestedQueryCost;
  if (isFiniteNumber(actualQueryCost)) out.actualQueryCost = actualQueryCost;
  if (typeof throttleStatus === 'object' && throttleStatus !== null) {
    const { maximumAvailable, currentlyAvailable, restoreRate } = throttleStatus as Record<string, unknown>;
    if (isFiniteNumber(maximumAvailable) && isFiniteNumber(currentlyAvailable) && isFiniteNumber(restoreRate) && restoreRate > 0) {
      out.throttleStatus = { maximumAvailable, currentlyAvailable, restoreRate };
    }
  }
  return out;
}

/** What the client knows of one shop's bucket: the last status Shopify reported, and when. */
export class CostBucket {
  #status: ThrottleStatus | undefined;
  #at = 0;

  /** Records the status an answer carried, observed at `now` (ms). */
  observe(status: ThrottleStatus, now: number): void {
    this.#status = status;
    this.#at = now;
  }

  get known(): boolean {
    return this.#status !== undefined;
  }

  /** Points in the bucket at `now`: the last reading plus what has flowed back since, up to the maximum. */
  available(now: number): number | undefined {
    if (!this.#status) return undefined;
    const { maximumAvailable, currentlyAvailable, restoreRate } = this.#status;
    const restored = (Math.max(0, now - this.#at) / 1000) * restoreRate;
    return Math.min(maximumAvailable, currentlyAvailable + restored);
  }

  /**
   * How long to wait (ms) before a query estimated at `cost` points can run without being
   * throttled: 0 while the bucket holds enough. A cost above the bucket's maximum can never fit;
   * it waits for a full bucket and lets Shopify decide.
   */
  waitFor(cost: number, now: number): number {
    const available = this.available(now);
    if (available === undefined || !this.#status) return 0;
    const needed = Math.min(cost, this.#status.maximumAvailable);
    if (available >= needed) return 0;
    return Math.ceil(((needed - available) / this.#status.restoreRate) * 1000);
  }
}
