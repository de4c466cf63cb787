import { describe, expect, it } from 'vitest';
import { DEFAULT_TAX_ID_META_KEYS, DEFAULT_TAX_ID_TYPE_META_KEYS } from '../../connectors/woocommerce/config.js';
import { eventsForOrder, gmtInstant } from '../../connectors/woocommerce/events.js';
import { withRefundAmounts } from '../../connectors/woocommerce/amounts.js';
import { looksLikeTaxId, resolveTaxId } from '../../connectors/woocommerce/tax-id.js';
import { buildOrder, buildRefund, type WooOrder } from '../../connectors/woocommerce/sandbox/orders.js';
import type { SourceEvent } from '../../src/connector.js';
import { CONSUMER_ORDER, NIT_ORDER } from './samples.js';

const OPTIONS = {
  source: 'woocommerce:tienda.example',
  paidStatuses: ['processing', 'completed'],
  taxIdMetaKeys: [...DEFAULT_TAX_ID_META_KEYS],
  taxIdTypeMetaKeys: [...DEFAULT_TAX_ID_TYPE_META_KEYS],
  topic: 'order.updated',
};

function events(order: unknown, options = OPTIONS): SourceEvent[] {
  const result = eventsForOrder(order, options);
  if (typeof result === 'string') throw new Error(result);
  return result;
}
const byKind = (list: SourceEvent[], kind: string) => list.filter((e) => e.kind === kind);

describe('what an order means', () => {
  it('a paid order is one order.paid with a delivery id of the order, its charged total and when it was paid', () => {
    const order = buildOrder(NIT_ORDER);
    const [paid, ...others] = byKind(events(order), 'order.paid');
    expect(others).toEqual([]);
    expect(paid).toMatchObject({
      source: 'woocommerce:tienda.example',
      orderId: '4817',
      deliveryId: 'order:4817:paid',
      orderTotal: '206074.99',
      occurredAt: '2026-11-20T19:03:15+00:00',
    });
    expect((paid!.payload as { id: number }).id).toBe(4817);
  });

  it('the same payment seen again — completed later, or through the sweep — has the same delivery id', () => {
    const processing = buildOrder(NIT_ORDER);
    const completed = { ...buildOrder({ ...NIT_ORDER, status: 'completed' }), date_modified_gmt: '2026-11-21T10:00:00' };
    const fromWebhook = byKind(events(processing), 'order.paid')[0]!;
    const fromSweep = byKind(events(completed, { ...OPTIONS, topic: 'sweep' }), 'order.paid')[0]!;
    expect(fromSweep.deliveryId).toBe(fromWebhook.deliveryId);
    expect(byKind(events(completed), 'order.fulfilled')[0]!.deliveryId).toBe('order:4817:fulfilled');
  });

  it('a status outside paidStatuses is not paid; the configured statuses decide', () => {
    const onHold = buildOrder({ ...NIT_ORDER, status: 'on-hold' });
    expect(byKind(events(onHold), 'order.paid')).toEqual([]);
    expect(byKind(events(onHold, { ...OPTIONS, paidStatuses: ['on-hold'] }), 'order.paid')).toHaveLength(1);
    expect(byKind(events(buildOrder({ ...NIT_ORDER, status: 'pending' })), 'order.updated')).toEqual([]);
  });

  it('every change to a paid order is one order.updated keyed by date_modified_gmt, carrying the total for the debit-note rule', () => {
    const order = { ...buildOrder(NIT_ORDER), date_modified_gmt: '2026-11-21T08:15:00' };
    const [updated] = byKind(events(order), 'order.updated');
    expect(updated).toMatchObject({ deliveryId: 'order:4817:modified:2026-11-21T08:15:00', editId: '2026-11-21T08:15:00', orderTotal: '206074.99' });
  });

  it('each refund is one order.refunded keyed by the refund id, completed later with the refund lines', () => {
    const order = buildOrder(NIT_ORDER);
    order.refunds = [
      { id: 4902, reason: 'Sobrante', total: '-10000.00' },
      { id: 4850, reason: 'Talla equivocada', total: '-61050.00' },
    ];
    const refunds = byKind(events(order), 'order.refunded');
    expect(refunds.map((e) => [e.deliveryId, e.refundId, e.needsCompletion])).toEqual([
      ['refund:4902', '4902', true],
      ['refund:4850', '4850', true],
    ]);
    expect(refunds[1]!.payload).toEqual({ id: 4850, order_id: 4817, reason: 'Talla equivocada', total: '-61050.00' });
    // The charged total stays what was charged: refunds never lower it.
    expect(byKind(events(order), 'order.paid')[0]!.orderTotal).toBe('206074.99');
  });

  it('a paid order cancelled is one order.cancelled; an unpaid one cancelled is nothing to annul', () => {
    const paidThenCancelled = { ...buildOrder(NIT_ORDER), status: 'cancelled' };
    expect(byKind(events(paidThenCancelled), 'order.cancelled').map((e) => e.deliveryId)).toEqual(['order:4817:cancelled']);
    expect(byKind(events(paidThenCancelled), 'order.paid')).toEqual([]);
    const abandoned = buildOrder({ ...NIT_ORDER, status: 'cancelled' });
    expect(abandoned.date_paid_gmt).toBeNull();
    expect(byKind(events(abandoned), 'order.cancelled')).toEqual([]);
  });

  it('refunded with its refunds recorded credits through them; refunded with none is a full cancellation', () => {
    const withRefund = { ...buildOrder(NIT_ORDER), status: 'refunded' } as WooOrder;
    withRefund.refunds = [{ id: 4850, reason: '', total: '-206074.99' }];
    expect(byKind(events(withRefund), 'order.cancelled')).toEqual([]);
    expect(byKind(events(withRefund), 'order.refunded')).toHaveLength(1);
    const without = { ...buildOrder(NIT_ORDER), status: 'refunded' };
    expect(byKind(events(without), 'order.cancelled').map((e) => e.deliveryId)).toEqual(['order:4817:refunded']);
  });

  it('a checkout draft is only a draft order.created', () => {
    const draft = events(buildOrder({ ...NIT_ORDER, status: 'checkout-draft' }));
    expect(draft.map((e) => [e.kind, e.draft])).toEqual([['order.created', true]]);
  });

  it('refuses bodies that are not orders, naming what is missing', () => {
    expect(eventsForOrder([], OPTIONS)).toMatch(/JSON object/);
    expect(eventsForOrder({ status: 'processing' }, OPTIONS)).toMatch(/numeric `id`/);
    expect(eventsForOrder({ id: 7 }, OPTIONS)).toMatch(/status/);
    expect(eventsForOrder({ id: 7, status: 'processing', total: 12.5 }, OPTIONS)).toMatch(/total.*decimal string/);
    expect(eventsForOrder({ ...buildOrder(NIT_ORDER), refunds: [{ total: '-1.00' }] }, OPTIONS)).toMatch(/refunds\[\] entry has no numeric id/);
  });

  it('GMT dates get their offset', () => {
    expect(gmtInstant('2026-11-20T19:03:15')).toBe('2026-11-20T19:03:15+00:00');
    expect(gmtInstant(null)).toBeUndefined();
  });
});

describe('what the payload carries for the mappings', () => {
  it('each line gets its unit price before coupons, exact or rounded up to six places', () => {
    const order = buildOrder(NIT_ORDER);
    const payload = byKind(events(order), 'order.paid')[0]!.payload as WooOrder;
    expect(payload.line_items.map((l) => [l.subtotal, l.quantity, l.puente_unit_price])).toEqual([
      ['100672.26', 2, '50336.13'],
      ['85714.29', 3, '28571.43'],
    ]);
    const uneven = buildOrder({ ...CONSUMER_ORDER, items: [{ ...CONSUMER_ORDER.items[0]!, quantity: 3, price: '29411.763333' }] });
    const line = (byKind(events(uneven), 'order.paid')[0]!.payload as WooOrder).line_items[0]!;
    expect([line.subtotal, line.puente_unit_price]).toEqual(['88235.29', '29411.763334']);
  });

  it('a refund gets positive quantities and unit prices from its negative lines', () => {
    const order = buildOrder(NIT_ORDER);
    const refund = withRefundAmounts(buildRefund(order, { id: 4850, createdAt: '2026-11-22T15:30:00', lines: [{ itemId: order.line_items[1]!.id, quantity: 2 }] }));
    const line = (refund.line_items as Record<string, unknown>[])[0]!;
    expect([line.quantity, line.total, line.puente_quantity, line.puente_unit_price]).toEqual([-2, '-51428.57', '2', '25714.285']);
  });

  it('the buyer id comes from the first configured meta key that has one, with its declared type', () => {
    const order = buildOrder(NIT_ORDER);
    expect(resolveTaxId(order, OPTIONS)).toEqual({ value: '900.123.456-8', from: 'meta:_billing_dni', type: 'NIT' });
    expect(resolveTaxId(order, { ...OPTIONS, taxIdMetaKeys: ['nit_cliente', '_billing_dni'] })?.from).toBe('meta:_billing_dni');
    const custom = buildOrder({ ...NIT_ORDER, meta: [{ key: 'nit_cliente', value: ' 800.197.268-4 ' }] });
    expect(resolveTaxId(custom, { ...OPTIONS, taxIdMetaKeys: ['nit_cliente'] })).toEqual({ value: '800.197.268-4', from: 'meta:nit_cliente' });
    expect(byKind(events(order), 'order.paid')[0]!.payload).toMatchObject({ puente_tax_id: { value: '900.123.456-8', type: 'NIT' } });
  });

  it('then a billing company that reads as an id; a company name is not an id', () => {
    const withId = buildOrder({ ...CONSUMER_ORDER, billing: { ...CONSUMER_ORDER.billing, company: '1.020.304.050' } });
    expect(resolveTaxId(withId, OPTIONS)).toEqual({ value: '1.020.304.050', from: 'billing.company' });
    const withName = buildOrder({ ...CONSUMER_ORDER, billing: { ...CONSUMER_ORDER.billing, company: 'Tostadora Andina SAS' } });
    expect(resolveTaxId(withName, OPTIONS)).toBeUndefined();
    expect(byKind(events(withName), 'order.paid')[0]!.payload).not.toHaveProperty('puente_tax_id');
    expect(looksLikeTaxId('J-12345678-9')).toBe(true);
    expect(looksLikeTaxId('Calle 10')).toBe(false);
  });
});
