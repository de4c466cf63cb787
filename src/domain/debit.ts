/**
 * The debit note for a raised order: it charges exactly what the order now has beyond what the
 * invoice and earlier debit notes already charged — an added line, a larger quantity, a higher
 * price, an added shipping charge. Lines are matched by kind and source line id (falling back to the
 * product code), as in annulment.ts. Decreases are not this document's business: they are refunds,
 * and refunds become credit notes.
 */
import type { FiscalDocument, FiscalDocumentDraftInput, LineDraft } from './fiscal-document.js';
import { Dec, sumDecimals } from './money.js';

type Line = FiscalDocument['lines'][number];

function lineKey(line: Pick<Line, 'kind' | 'sourceLineId' | 'code'>): string {
  return `${line.kind}|${line.sourceLineId ?? `code:${line.code}`}`;
}

export interface DebitOptions {
  issuedAt: string;
  description: string;
}

/** Lines of `current` that exceed what `billed` documents charged; empty when nothing rose. */
export function debitForIncrease(
  billed: readonly FiscalDocument[],
  current: FiscalDocument,
  options: DebitOptions,
): FiscalDocumentDraftInput {
  const charged = new Map<string, Line[]>();
  for (const line of billed.flatMap((document) => document.lines)) {
    charged.set(lineKey(line), [...(charged.get(lineKey(line)) ?? []), line]);
  }
  const lines: LineDraft[] = [];
  for (const line of current.lines) {
    const earlier = charged.get(lineKey(line)) ?? [];
    const increase = new Dec(line.lineExtensionAmount).minus(sumDecimals(earlier.map((l) => new Dec(l.lineExtensionAmount))));
    if (increase.lte(0)) continue;
    const addedQuantity = new Dec(line.quantity).minus(sumDecimals(earlier.map((l) => new Dec(l.quantity))));
    // A price rise on the same quantity is charged as one unit of "price difference".
    const quantity = addedQuantity.gt(0) ? addedQuantity : new Dec(1);
    lines.push({
      ...(line.sourceLineId ? { sourceLineId: line.sourceLineId } : {}),
      kind: line.kind,
      code: line.code,
      description: addedQuantity.gt(0) ? line.description : `${line.description} (ajuste de precio)`,
      quantity: quantity.toString(),
      // Rounded up so quantity × price covers the increase; netAmount fixes the charged amount exactly.
      unitPrice: increase.div(quantity).toDecimalPlaces(6, Dec.ROUND_UP).toString(),
      priceIncludesTax: false,
      discounts: [],
      netAmount: increase.toString(),
      taxes: line.taxes.map(({ code, percent, name }) => ({ code, percent, ...(name ? { name } : {}) })),
      unit: line.unit,
      freeOfCharge: false,
    });
  }
  return {
    kind: 'debit_note',
    issuedAt: options.issuedAt,
    currency: current.currency,
    ...(current.exchangeRate ? { exchangeRate: current.exchangeRate } : {}),
    // The note corrects the invoice, so it names the invoice's buyer even if the order's changed since.
    buyer: billed[0]?.buyer ?? current.buyer,
    lines,
    payment: current.payment,
    correction: { code: 'value_change', description: options.description },
    orderRef: current.orderRef,
  };
}
