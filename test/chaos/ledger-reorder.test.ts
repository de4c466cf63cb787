/**
 * Deliveries come in any order. A raise made after payment (orders/updated with a higher total) that
 * arrives before the paid order has its invoice must not be dropped: the chaos run lost debit notes
 * that way. It waits, and once the invoice exists it is compared with what was billed.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/pipeline/ledger.js';
import type { DocumentRecord } from '../../src/store/store.js';

const source = 'shopify:caos.myshopify.com';
const invoice = {
  id: 'doc_inv',
  idempotencyKey: `${source}|order:1|invoice`,
  kind: 'invoice',
  status: 'issued',
  orderId: '1',
  source,
  sourceTotal: '70000.00',
} as DocumentRecord;
const raise = { source, kind: 'order.updated' as const, orderId: '1', editId: '2026-05-12T11:00:00-05:00', orderTotal: '80000.00' };

describe('a raise that arrives before the invoice', () => {
  it('waits instead of being ignored, then becomes a debit note once the invoice exists', () => {
    expect(decide(raise, [], { trigger: 'paid' }).action).toBe('wait');
    const later = decide(raise, [invoice], { trigger: 'paid' });
    expect(later.action).toBe('create');
    expect(later.action === 'create' && later.documents.map((d) => [d.subject.kind, d.referenceDocumentId])).toEqual([['debit_note', 'doc_inv']]);
  });

  it('a change made before payment waits too, and issues nothing once the invoice carries it', () => {
    const before = { ...raise, orderTotal: '70000.00' };
    expect(decide(before, [], { trigger: 'paid' }).action).toBe('wait');
    expect(decide(before, [invoice], { trigger: 'paid' }).action).toBe('ignore');
  });

  it('an update that cannot call for a debit note (no total, or an order the policy never invoices) is still ignored at once', () => {
    expect(decide({ ...raise, orderTotal: undefined }, [], { trigger: 'paid' }).action).toBe('ignore');
    expect(decide({ ...raise, test: true }, [], { trigger: 'paid' }).action).toBe('ignore');
  });
});
