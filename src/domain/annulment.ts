/**
 * The credit note that annuls an invoice: it credits everything the invoice charged that earlier
 * credit notes (refunds) did not, so a cancelled order that was partly refunded is never credited
 * twice. Lines are matched by kind and source line id (falling back to the product code).
 *
 * Known limit: a credit note line that matches no invoice line (a value-only goodwill refund) cannot
 * be attributed to a line, so it does not reduce the remainder; the ledger refuses to annul an order
 * twice, and such refunds are rare on orders that are later cancelled.
 */
import type { FiscalDocument, FiscalDocumentDraftInput, LineDraft } from './fiscal-document.js';
import { Dec, sumDecimals } from './money.js';

export interface AnnulmentOptions {
  issuedAt: string;
  description: string;
}

type Line = FiscalDocument['lines'][number];

function lineKey(line: Pick<Line, 'kind' | 'sourceLineId' | 'code'>): string {
  return `${line.kind}|${line.sourceLineId ?? `code:${line.code}`}`;
}

/** The draft of the line as it was given, without the amounts domain code computed from it. */
function asDraft(line: Line): LineDraft {
  const { grossAmount, discountAmount, lineExtensionAmount, netUnitPrice, taxAmount, chargedUnitPrice, taxes, ...draft } = line;
  void grossAmount, discountAmount, lineExtensionAmount, netUnitPrice, taxAmount, chargedUnitPrice;
  return { ...draft, taxes: taxes.map(({ code, percent, name }) => ({ code, percent, ...(name ? { name } : {}) })) };
}

export function creditForRemainder(
  invoice: FiscalDocument,
  creditNotes: readonly FiscalDocument[],
  options: AnnulmentOptions,
): FiscalDocumentDraftInput {
  const credited = new Map<string, Line[]>();
  for (const line of creditNotes.flatMap((note) => note.lines)) {
    credited.set(lineKey(line), [...(credited.get(lineKey(line)) ?? []), line]);
  }
  const lines: LineDraft[] = [];
  for (const line of invoice.lines) {
    const earlier = credited.get(lineKey(line)) ?? [];
    if (earlier.length === 0) {
      lines.push(asDraft(line));
      continue;
    }
    const remainingAmount = new Dec(line.lineExtensionAmount).minus(sumDecimals(earlier.map((l) => new Dec(l.lineExtensionAmount))));
    if (remainingAmount.lte(0)) continue;
    const remainingQuantity = new Dec(line.quantity).minus(sumDecimals(earlier.map((l) => new Dec(l.quantity))));
    const quantity = remainingQuantity.gt(0) ? remainingQuantity : new Dec(1);
    // Tax-exclusive price rounded up, so quantity × price ≥ the remaining amount and the small
    // difference becomes the line's discount; netAmount fixes the credited amount exactly.
    const unitPrice = remainingAmount.div(quantity).toDecimalPlaces(6, Dec.ROUND_UP);
    const { discounts, netAmount, ...rest } = asDraft(line);
    void discounts, netAmount;
    lines.push({
      ...rest,
      quantity: quantity.toString(),
      unitPrice: unitPrice.toString(),
      priceIncludesTax: false,
      discounts: [],
      netAmount: remainingAmount.toString(),
    });
  }
  const nothingCreditedYet = creditNotes.length === 0;
  return {
    kind: 'credit_note',
    issuedAt: options.issuedAt,
    currency: invoice.currency,
    ...(invoice.exchangeRate ? { exchangeRate: invoice.exchangeRate } : {}),
    buyer: invoice.buyer,
    lines,
    charges: nothingCreditedYet ? invoice.charges : [],
    allowances: nothingCreditedYet ? invoice.allowances : [],
    payment: invoice.payment,
    correction: { code: 'annulment', description: options.description },
    orderRef: invoice.orderRef,
  };
}
