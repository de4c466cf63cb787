/**
 * What a WooCommerce order, as the REST API (and so every webhook) states it, means for Puente.
 * WooCommerce has no refund or payment topic: `order.created` and `order.updated` carry the whole
 * order as it is when the delivery is sent, and the sweep lists the same orders. So events are
 * derived from the order's state, never from which delivery brought it, and each change has one
 * deterministic delivery id — a webhook and a sweep that see the same change store it once:
 *   status in paidStatuses             → order.paid      `order:<id>:paid`
 *   each entry of refunds[]            → order.refunded  `refund:<refund id>` (the refund's lines are
 *                                        fetched later through `complete`)
 *   cancelled after payment            → order.cancelled `order:<id>:cancelled`
 *   refunded, with no refund recorded  → order.cancelled `order:<id>:refunded`
 *   any change to a paid order         → order.updated   `order:<id>:modified:<date_modified_gmt>`
 *                                        (the ledger issues a debit note when the total rose)
 *   every order / completed            → order.created / order.fulfilled, for the other trigger policies
 * A `refunded` order with refunds recorded gets no cancellation: its refunds already credit it, and
 * WooCommerce records one for the remainder when an order is marked refunded (wc_order_fully_refunded).
 */
import { isDecimalString } from '../../src/domain/money.js';
import type { SourceEvent, SourceEventKind } from '../../src/connector.js';
import { withUnitPrices } from './amounts.js';
import { resolveTaxId, type TaxIdKeys } from './tax-id.js';

export interface OrderEventOptions extends TaxIdKeys {
  /** `woocommerce:shop.example` */
  source: string;
  paidStatuses: readonly string[];
  /** The WooCommerce topic that brought the order, or `sweep`. */
  topic: string;
  /** The webhook delivery, kept on the payload for the admin views. */
  delivery?: { deliveryId?: string; webhookId?: string };
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** WooCommerce ids are WordPress post ids: positive integers (some plugins send them as text). */
function wooId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^[1-9]\d{0,19}$/.test(value)) return value;
  return undefined;
}

/** `2026-11-20T19:03:15` (the *_gmt fields) → `2026-11-20T19:03:15+00:00`; undefined when absent. */
export function gmtInstant(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) return `${value}+00:00`;
  return Number.isNaN(Date.parse(value)) ? undefined : value;
}

/** The order as Puente stores it: WooCommerce's JSON plus what the mappings need resolved. */
export function orderPayload(order: Record<string, unknown>, options: OrderEventOptions): Record<string, unknown> {
  const taxId = resolveTaxId(order, options);
  const payload: Record<string, unknown> = withUnitPrices({ ...order });
  if (taxId) payload.puente_tax_id = taxId;
  else delete payload.puente_tax_id;
  if (options.delivery?.deliveryId || options.delivery?.webhookId) {
    payload.puente_delivery = { topic: options.topic, ...options.delivery };
  }
  return payload;
}

/** The events an order's current state calls for, or a sentence saying why the body is not an order. */
export function eventsForOrder(order: unknown, options: OrderEventOptions): SourceEvent[] | string {
  if (!isRecord(order)) return 'the order must be a JSON object';
  const orderId = wooId(order.id);
  if (!orderId) return 'the order has no numeric `id`';
  if (typeof order.status !== 'string' || order.status === '') return `order ${orderId} has no \`status\``;
  const status = order.status;
  const total = isDecimalString(order.total) ? order.total : undefined;
  if (order.total !== undefined && total === undefined) return `order ${orderId}: \`total\` must be a decimal string such as "119000.00"`;
  const modified = typeof order.date_modified_gmt === 'string' && order.date_modified_gmt !== '' ? order.date_modified_gmt : undefined;
  const paidAt = gmtInstant(order.date_paid_gmt);
  const draft = status === 'checkout-draft';

  const payload = orderPayload(order, options);
  const events: SourceEvent[] = [];
  const base = { source: options.source, topic: options.topic, orderId };
  const add = (kind: SourceEventKind, deliveryId: string, extra: Partial<SourceEvent> = {}) =>
    events.push({ ...base, kind, deliveryId, payload, ...(total ? { orderTotal: total } : {}), ...extra });
  const at = (instant: string | undefined) => (instant ? { occurredAt: instant } : {});

  add('order.created', `order:${orderId}:created`, { ...at(gmtInstant(order.date_created_gmt)), ...(draft ? { draft: true } : {}) });
  if (draft) return events;

  const paid = options.paidStatuses.includes(status);
  if (paid) add('order.paid', `order:${orderId}:paid`, at(paidAt ?? gmtInstant(modified)));
  if (status === 'completed') add('order.fulfilled', `order:${orderId}:fulfilled`, at(gmtInstant(order.date_completed_gmt) ?? gmtInstant(modified)));
  if (paid && modified) add('order.updated', `order:${orderId}:modified:${modified}`, { editId: modified, ...at(gmtInstant(modified)) });

  const refunds = Array.isArray(order.refunds) ? order.refunds.filter(isRecord) : [];
  for (const refund of refunds) {
    const refundId = wooId(refund.id);
    if (!refundId) return `order ${orderId}: a refunds[] entry has no numeric id`;
    events.push({
      ...base,
      kind: 'order.refunded',
      deliveryId: `refund:${refundId}`,
      refundId,
      // The order lists only {id, reason, total}; `complete` fetches the refund with its lines.
      needsCompletion: true,
      payload: { id: Number(refundId), order_id: Number(orderId), reason: refund.reason ?? refund.refund ?? '', total: refund.total },
      ...at(gmtInstant(modified)),
    });
  }

  // An order cancelled before anyone paid (an abandoned checkout) has no invoice to annul.
  if (status === 'cancelled' && paidAt) add('order.cancelled', `order:${orderId}:cancelled`, at(gmtInstant(modified)));
  if (status === 'refunded' && paidAt && refunds.length === 0) add('order.cancelled', `order:${orderId}:refunded`, at(gmtInstant(modified)));
  return events;
}
