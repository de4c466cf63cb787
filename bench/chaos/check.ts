/**
 * The chaos run's verdict, from what the invoicing APIs hold: exactly one invoice per order, one
 * credit note per refund or cancellation, one debit note per raised total, each with the amount
 * computed independently from the generated orders (to the currency's last digit), numbers gapless
 * per series, and nothing the API holds that it should not (a second copy, a rejected resend, a
 * document of no order).
 */
import { Dec } from '../../src/domain/money.js';
import type { ExpectedOrder } from './orders.js';
import type { FiscalKind, HeldDocument, TargetProfile } from './targets.js';

export interface TargetVerdict {
  target: string;
  held: Record<FiscalKind, number>;
  /** Invoices the API annulled outright for a cancellation (no credit note). */
  annulled: number;
  invalid: number;
  discrepancies: string[];
}

const KINDS: FiscalKind[] = ['invoice', 'credit_note', 'debit_note'];

export function checkTarget(profile: TargetProfile, expected: ExpectedOrder[], held: HeldDocument[]): TargetVerdict {
  const discrepancies: string[] = [];
  const money = (value: Dec) => value.toFixed(profile.decimals);
  const byBuyer = new Map<string, HeldDocument[]>();
  for (const document of held) byBuyer.set(document.buyer, [...(byBuyer.get(document.buyer) ?? []), document]);

  for (const document of held.filter((d) => !d.valid)) {
    discrepancies.push(`${profile.name}: ${document.kind} ${document.series}-${document.number} of "${document.buyer}" is not a valid fiscal document (${document.state})`);
  }

  const known = new Set(expected.map((e) => e.buyer));
  for (const [buyer, documents] of byBuyer) {
    if (!known.has(buyer)) discrepancies.push(`${profile.name}: ${documents.length} document(s) for "${buyer}", which is no order of this run`);
  }

  for (const order of expected) {
    const documents = (byBuyer.get(order.buyer) ?? []).filter((d) => d.valid);
    const of = (kind: FiscalKind) => documents.filter((d) => d.kind === kind).map((d) => money(d.total)).sort();
    const want: Record<FiscalKind, string[]> = {
      invoice: [money(order.invoice)],
      credit_note: order.credits.map(money).sort(),
      debit_note: order.debits.map(money).sort(),
    };
    // An API that annuls an invoice outright (tuimprenta's cancel) answers a cancellation without a
    // credit note; anything else annulled is a discrepancy.
    const annulled = documents.some((d) => d.kind === 'invoice' && d.annulled);
    if (annulled && order.story !== 'cancel') discrepancies.push(`${profile.name}: order ${order.index} (${order.story}) has its invoice annulled, but it was never cancelled`);
    if (annulled && order.story === 'cancel' && of('credit_note').length === 0) want.credit_note = [];
    for (const kind of KINDS) {
      const have = of(kind);
      if (have.join('|') !== want[kind].join('|')) {
        discrepancies.push(
          `${profile.name}: order ${order.index} (${order.story}, ${order.orderId}) ${kind}: expected [${want[kind].join(', ')}], the API holds [${have.join(', ')}]`,
        );
      }
    }
  }

  // Gapless: in each series the valid numbers are distinct and consecutive.
  const series = new Map<string, number[]>();
  for (const document of held.filter((d) => d.valid)) {
    series.set(document.series, [...(series.get(document.series) ?? []), document.number]);
  }
  for (const [name, numbers] of series) {
    numbers.sort((a, b) => a - b);
    for (let i = 1; i < numbers.length; i++) {
      if (numbers[i] === numbers[i - 1]) discrepancies.push(`${profile.name}: series ${name} holds number ${numbers[i]} twice`);
      else if (numbers[i]! !== numbers[i - 1]! + 1) {
        discrepancies.push(`${profile.name}: series ${name} has a gap between ${numbers[i - 1]} and ${numbers[i]}`);
      }
    }
  }

  const count = (kind: FiscalKind) => held.filter((d) => d.valid && d.kind === kind).length;
  return {
    target: profile.name,
    held: { invoice: count('invoice'), credit_note: count('credit_note'), debit_note: count('debit_note') },
    annulled: held.filter((d) => d.valid && d.annulled).length,
    invalid: held.filter((d) => !d.valid).length,
    discrepancies,
  };
}

/** How many documents of each kind the generated orders call for. */
export function expectedCounts(expected: ExpectedOrder[]): Record<FiscalKind, number> {
  return {
    invoice: expected.length,
    credit_note: expected.reduce((n, e) => n + e.credits.length, 0),
    debit_note: expected.reduce((n, e) => n + e.debits.length, 0),
  };
}

export const sumOf = (values: Dec[]) => values.reduce((a, b) => a.plus(b), new Dec(0));
