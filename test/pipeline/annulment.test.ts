import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { creditForRemainder } from '../../src/domain/annulment.js';
import { computeDocument } from '../../src/domain/totals.js';
import type { FiscalDocumentDraftInput } from '../../src/domain/fiscal-document.js';

const invoiceDraft: FiscalDocumentDraftInput = {
  kind: 'invoice',
  issuedAt: '2026-03-14T10:00:00-05:00',
  currency: 'COP',
  buyer: { name: 'Tostadores', identification: { type: 'NIT', number: '900373115', checkDigit: '3' } },
  lines: [
    { sourceLineId: 'L1', code: 'AUD', description: 'Audífonos', quantity: '2', unitPrice: '119000.00', discounts: [{ amount: '12559.37' }], taxes: [{ code: 'IVA', percent: '19' }] },
    { sourceLineId: 'L2', code: 'CAF', description: 'Café', quantity: '3', unitPrice: '32000.00', taxes: [{ code: 'IVA', percent: '5' }] },
    { sourceLineId: 'S1', kind: 'shipping', code: 'ENVIO', description: 'Envío', quantity: '1', unitPrice: '12000.00', taxes: [{ code: 'IVA', percent: '19' }] },
  ],
  orderRef: { source: 'shopify:x', orderId: '1' },
};
const invoice = computeDocument(invoiceDraft);
const options = { issuedAt: '2026-03-22T11:30:00-05:00', description: 'Anulación' };

describe('annulment credit note', () => {
  it('credits the whole invoice when nothing was credited before', () => {
    const note = computeDocument(creditForRemainder(invoice, [], options));
    expect(note.kind).toBe('credit_note');
    expect(note.correction).toEqual({ code: 'annulment', description: 'Anulación' });
    expect(note.totals).toEqual(invoice.totals);
    expect(note.taxSummary).toEqual(invoice.taxSummary);
  });

  it('credits only what earlier refunds left, so the order is never credited twice', () => {
    const refund = computeDocument({
      ...invoiceDraft,
      kind: 'credit_note',
      lines: [
        { sourceLineId: 'L1', code: 'AUD', description: 'Audífonos', quantity: '1', unitPrice: '119000.00', netAmount: '112720.32', taxes: [{ code: 'IVA', percent: '19' }] },
        { sourceLineId: 'S1', kind: 'shipping', code: 'ENVIO', description: 'Envío', quantity: '1', unitPrice: '12000.00', taxes: [{ code: 'IVA', percent: '19' }] },
      ],
    });
    const rest = computeDocument(creditForRemainder(invoice, [refund], options));
    expect(rest.lines.map((l) => [l.sourceLineId, l.quantity, l.lineExtensionAmount])).toEqual([
      ['L1', '1', '112720.31'],
      ['L2', '3', '96000.00'],
    ]);
    // Together the refund and the annulment credit exactly what was invoiced.
    const credited = new Decimal(refund.totals.lineExtensionAmount).plus(rest.totals.lineExtensionAmount);
    expect(credited.toFixed(2)).toBe(invoice.totals.lineExtensionAmount);
  });

  it('leaves no line when refunds already credited everything', () => {
    const full = computeDocument({ ...creditForRemainder(invoice, [], options) });
    expect(creditForRemainder(invoice, [full], options).lines).toEqual([]);
  });
});
