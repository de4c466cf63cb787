/**
 * The chaos run's checker must catch every way an API can end up wrong, or a clean chaos run proves
 * nothing: a missing document, a second copy, a wrong amount, a gap or a repeated number, a refused
 * resend, a document of no order.
 */
import { describe, expect, it } from 'vitest';
import { checkTarget } from '../../bench/chaos/check.js';
import type { ExpectedOrder } from '../../bench/chaos/orders.js';
import { TARGETS, type HeldDocument } from '../../bench/chaos/targets.js';
import { Dec } from '../../src/domain/money.js';

const profile = TARGETS.apidian;
const orders: ExpectedOrder[] = [
  { index: 0, orderId: '1', buyer: 'Caos 0', story: 'refunds', invoice: new Dec('100.00'), credits: [new Dec('10.00')], debits: [] },
  { index: 1, orderId: '2', buyer: 'Caos 1', story: 'edit', invoice: new Dec('200.00'), credits: [], debits: [new Dec('20.50')] },
];
const doc = (kind: HeldDocument['kind'], series: string, number: number, total: string, buyer: string, valid = true): HeldDocument => ({
  kind,
  series,
  number,
  total: new Dec(total),
  buyer,
  valid,
  state: valid ? 'valid' : 'Regla 90',
});
const exact = (): HeldDocument[] => [
  doc('invoice', 'SETP', 1, '100.00', 'Caos 0'),
  doc('invoice', 'SETP', 2, '200.00', 'Caos 1'),
  doc('credit_note', 'NC', 1, '10.00', 'Caos 0'),
  doc('debit_note', 'ND', 1, '20.50', 'Caos 1'),
];

describe('checkTarget', () => {
  it('finds nothing wrong when every order has exactly its documents', () => {
    const verdict = checkTarget(profile, orders, exact());
    expect(verdict.discrepancies).toEqual([]);
    expect(verdict.held).toEqual({ invoice: 2, credit_note: 1, debit_note: 1 });
  });

  it('a missing credit note, a second invoice and a total off by a cent are each reported', () => {
    const held = exact()
      .filter((d) => d.kind !== 'credit_note')
      .map((d) => (d.kind === 'debit_note' ? doc('debit_note', 'ND', 1, '20.49', 'Caos 1') : d));
    held.push(doc('invoice', 'SETP', 3, '200.00', 'Caos 1'));
    const { discrepancies } = checkTarget(profile, orders, held);
    expect(discrepancies).toEqual([
      'apidian: order 0 (refunds, 1) credit_note: expected [10.00], the API holds []',
      'apidian: order 1 (edit, 2) invoice: expected [200.00], the API holds [200.00, 200.00]',
      'apidian: order 1 (edit, 2) debit_note: expected [20.50], the API holds [20.49]',
    ]);
  });

  it('gaps and repeated numbers in a series are reported', () => {
    const held = exact();
    held[1] = doc('invoice', 'SETP', 3, '200.00', 'Caos 1');
    expect(checkTarget(profile, orders, held).discrepancies).toEqual(['apidian: series SETP has a gap between 1 and 3']);
    held[1] = doc('invoice', 'SETP', 1, '200.00', 'Caos 1');
    expect(checkTarget(profile, orders, held).discrepancies).toEqual(['apidian: series SETP holds number 1 twice']);
  });

  it('a copy the API refused (a resend) and a document of no order are reported', () => {
    const held = [...exact(), doc('invoice', 'SETP', 1, '100.00', 'Caos 0', false), doc('invoice', 'SETP', 3, '5.00', 'Intruso')];
    expect(checkTarget(profile, orders, held).discrepancies).toEqual([
      'apidian: invoice SETP-1 of "Caos 0" is not a valid fiscal document (Regla 90)',
      'apidian: 1 document(s) for "Intruso", which is no order of this run',
    ]);
  });
});
