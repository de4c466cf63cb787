/**
 * How much money a Shopify refund gave back: the sum of its successful `refund` transactions, in the
 * shape webhooks (and the sweep's REST-shaped refunds) carry them. A restock without money back, or
 * a refund whose payment failed, gave back nothing — and calls for no credit note.
 */
import { Dec, isDecimalString } from '../../src/domain/money.js';


/** Decimal string; undefined when a transaction's amount cannot be read. */
export function refundedMoney(refund: Record<string, unknown>): string | undefined {
  let total = new Dec(0);
  for (const transaction of Array.isArray(refund.transactions) ? refund.transactions : []) {
    if (typeof transaction !== 'object' || transaction === null) continue;
    const { kind, status, amount } = transaction as Record<string, unknown>;
    if (kind !== 'refund' || status !== 'success') continue;
    if (!isDecimalString(amount)) return undefined;
    total = total.plus(amount);
  }
  return total.toFixed();
}
