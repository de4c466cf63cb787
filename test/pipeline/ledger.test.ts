import { describe, expect, it } from 'vitest';
import { decide } from '../../src/pipeline/ledger.js';
import { documentKey } from '../../src/pipeline/keys.js';
import type { DocumentRecord } from '../../src/store/store.js';

const source = 'shopify:acme.myshopify.com';
const policy = { trigger: 'paid' as const };

function doc(kind: DocumentRecord['kind'], subjectId?: string): DocumentRecord {
  return {
    id: `doc_${kind}_${subjectId ?? ''}`,
    idempotencyKey: 'k',
    connectionId: 'c',
    target: 'apidian',
    kind,
    source,
    orderId: '1',
    ...(subjectId ? { subjectId } : {}),
    eventId: 'evt',
    series: 'S',
    status: 'issued',
    attempts: 0,
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

describe('ledger', () => {
  it('a paid order without an invoice gets one, keyed by source, order and kind', () => {
    const decision = decide({ source, kind: 'order.paid', orderId: '1' }, [], policy);
    expect(decision).toEqual({
      action: 'create',
      documents: [{ subject: { kind: 'invoice' }, idempotencyKey: `${source}|order:1|invoice` }],
    });
  });

  it('a second paid event for an invoiced order issues nothing', () => {
    const decision = decide({ source, kind: 'order.paid', orderId: '1' }, [doc('invoice')], policy);
    expect(decision.action).toBe('ignore');
  });

  it('a refund becomes a credit note keyed by its refund id and referencing the invoice', () => {
    const decision = decide({ source, kind: 'order.refunded', orderId: '1', refundId: '77' }, [doc('invoice')], policy);
    expect(decision).toEqual({
      action: 'create',
      documents: [
        {
          subject: { kind: 'credit_note', refundId: '77' },
          idempotencyKey: `${source}|order:1|credit_note|refund:77`,
          referenceDocumentId: 'doc_invoice_',
        },
      ],
    });
  });

  it('a refund that arrives before its order was invoiced waits', () => {
    expect(decide({ source, kind: 'order.refunded', orderId: '1', refundId: '77' }, [], policy).action).toBe('wait');
  });

  it('a cancellation after the invoice annuls it once', () => {
    const first = decide({ source, kind: 'order.cancelled', orderId: '1' }, [doc('invoice')], policy);
    expect(first).toMatchObject({ action: 'create', documents: [{ subject: { kind: 'credit_note', annulment: true }, referenceDocumentId: 'doc_invoice_' }] });
    const again = decide({ source, kind: 'order.cancelled', orderId: '1' }, [doc('invoice'), doc('credit_note', 'annulment')], policy);
    expect(again.action).toBe('ignore');
  });

  it('a refund after the annulment credits nothing more', () => {
    const decision = decide(
      { source, kind: 'order.refunded', orderId: '1', refundId: '78' },
      [doc('invoice'), doc('credit_note', 'annulment')],
      policy,
    );
    expect(decision.action).toBe('ignore');
  });

  it('events that do not issue under the paid policy are ignored with a reason', () => {
    const decision = decide({ source, kind: 'order.fulfilled', orderId: '1' }, [], policy);
    expect(decision).toEqual({ action: 'ignore', note: expect.stringContaining('order.fulfilled') });
  });

  it('keys never depend on anything but what the document is', () => {
    expect(documentKey(source, '1', { kind: 'credit_note', refundId: '5' })).toBe(documentKey(source, '1', { kind: 'credit_note', refundId: '5' }));
    expect(documentKey(source, '1', { kind: 'credit_note', refundId: '5' })).not.toBe(documentKey(source, '1', { kind: 'credit_note', refundId: '6' }));
    expect(documentKey(source, '1', { kind: 'debit_note', editId: '9' })).toBe(`${source}|order:1|debit_note|edit:9`);
  });
});
