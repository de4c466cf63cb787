import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { debitForIncrease } from '../../src/domain/debit.js';
import type { FiscalDocumentDraftInput } from '../../src/domain/fiscal-document.js';
import { computeDocument } from '../../src/domain/totals.js';
import { decide } from '../../src/pipeline/ledger.js';
import type { DocumentRecord } from '../../src/store/store.js';

const base: FiscalDocumentDraftInput = {
  kind: 'invoice',
  issuedAt: '2026-03-14T10:00:00-05:00',
  currency: 'COP',
  buyer: { name: 'Consumidor final', identification: { type: 'FINAL_CONSUMER', number: '222222222222' } },
  lines: [
    { sourceLineId: 'L1', code: 'CAF', description: 'Café', quantity: '2', unitPrice: '32000.00', taxes: [{ code: 'IVA', percent: '5' }] },
    { sourceLineId: 'S1', kind: 'shipping', code: 'ENVIO', description: 'Envío', quantity: '1', unitPrice: '12000.00', taxes: [{ code: 'IVA', percent: '19' }] },
  ],
  orderRef: { source: 'shopify:x', orderId: '1' },
};
const invoice = computeDocument(base);
const options = { issuedAt: '2026-03-15T09:00:00-05:00', description: 'Aumento' };
const payable = (d: ReturnType<typeof computeDocument>) => new Decimal(d.totals.payableAmount);

describe('debit note for a raised order', () => {
  it('charges an added line, a larger quantity and a higher shipping price — exactly the difference', () => {
    const now = computeDocument({
      ...base,
      lines: [
        { ...base.lines[0]!, quantity: '3' },
        { ...base.lines[1]!, unitPrice: '15000.00' },
        { sourceLineId: 'L2', code: 'LIB', description: 'Libro', quantity: '1', unitPrice: '45000.00', taxes: [{ code: 'IVA', percent: '0' }] },
      ],
    });
    const debit = computeDocument(debitForIncrease([invoice], now, options));
    expect(debit.kind).toBe('debit_note');
    expect(debit.correction).toEqual({ code: 'value_change', description: 'Aumento' });
    expect(debit.lines.map((l) => [l.sourceLineId, l.quantity, l.lineExtensionAmount])).toEqual([
      ['L1', '1', '32000.00'],
      ['S1', '1', '3000.00'],
      ['L2', '1', '45000.00'],
    ]);
    expect(payable(debit).toFixed(2)).toBe(payable(now).minus(payable(invoice)).toFixed(2));
  });

  it('charges nothing that an earlier debit note already charged, and nothing for decreases', () => {
    const raised = computeDocument({ ...base, lines: [{ ...base.lines[0]!, quantity: '3' }, base.lines[1]!] });
    const first = computeDocument(debitForIncrease([invoice], raised, options));
    expect(debitForIncrease([invoice, first], raised, options).lines).toEqual([]);
    const lowered = computeDocument({ ...base, lines: [{ ...base.lines[0]!, quantity: '1' }, base.lines[1]!] });
    expect(debitForIncrease([invoice], lowered, options).lines).toEqual([]);
  });
});

describe('ledger: raised totals', () => {
  const source = 'shopify:x';
  const invoiceRecord = {
    id: 'doc_inv',
    kind: 'invoice',
    source,
    orderId: '1',
    status: 'issued',
    sourceTotal: '76280.00',
  } as DocumentRecord;

  it('a total above what was invoiced asks for a debit note keyed by the change', () => {
    const decision = decide({ source, kind: 'order.updated', orderId: '1', editId: '2026-03-15T09:00:00-05:00', orderTotal: '80000.00' }, [invoiceRecord], { trigger: 'paid' });
    expect(decision).toEqual({
      action: 'create',
      documents: [
        {
          subject: { kind: 'debit_note', editId: '2026-03-15T09:00:00-05:00' },
          idempotencyKey: `${source}|order:1|debit_note|edit:2026-03-15T09:00:00-05:00`,
          referenceDocumentId: 'doc_inv',
        },
      ],
    });
  });

  it('an update that does not raise the total above the highest billed one issues nothing', () => {
    const debited = { ...invoiceRecord, id: 'doc_deb', kind: 'debit_note', sourceTotal: '90000.00' } as DocumentRecord;
    const event = { source, kind: 'order.updated' as const, orderId: '1', editId: 'e', orderTotal: '80000.00' };
    expect(decide(event, [invoiceRecord, debited], { trigger: 'paid' }).action).toBe('ignore');
    expect(decide({ ...event, orderTotal: '76280.00' }, [invoiceRecord], { trigger: 'paid' }).action).toBe('ignore');
    // Before any invoice a stated raise waits (deliveries come in any order: the paid order may follow).
    expect(decide({ ...event, orderTotal: '99999.00' }, [], { trigger: 'paid' }).action).toBe('wait');
    expect(decide({ ...event, orderTotal: undefined }, [], { trigger: 'paid' }).action).toBe('ignore');
  });
});
