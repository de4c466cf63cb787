/**
 * The sweep's payloads must be what the webhooks deliver, as far as the mappings can tell: the
 * same sample order, once built as the webhook body and once as the GraphQL Admin API answers it
 * (connectors/shopify/admin/sample-orders.ts, computed from the same description, not converted),
 * must give the same fiscal document through the real stage-1 mappings.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventsForOrder } from '../../../connectors/shopify/admin/sweep.js';
import { legacyId, restOrder } from '../../../connectors/shopify/admin/rest-shape.js';
import { sampleGqlOrder } from '../../../connectors/shopify/admin/sample-orders.js';
import { parseShopifyJson } from '../../../connectors/shopify/payload-json.js';
import { createShopifyWebhookReceiver } from '../../../connectors/shopify/webhook.js';
import { shopifyWebhookHeaders } from '../../../connectors/shopify/signing.js';
import {
  SAMPLE_CANCELLATION_REFUND,
  SAMPLE_CANCELLED_AT,
  SAMPLE_PAID_ORDER,
  SAMPLE_PARTIAL_REFUND,
  SAMPLE_SHOP,
} from '../../../connectors/shopify/samples/index.js';
import type { SourceEvent } from '../../../src/connector.js';
import { computeDocument } from '../../../src/domain/totals.js';
import { loadMappingFile, type CompiledMapping } from '../../../src/mapping/index.js';

const SOURCE = `shopify:${SAMPLE_SHOP}`;
const ISSUED_AT = '2026-03-21T09:00:00-05:00';

type Json = any;

function sample(name: string): Json {
  return parseShopifyJson(readFileSync(new URL(`../../../connectors/shopify/samples/${name}`, import.meta.url), 'utf8'));
}

function only(events: SourceEvent[], kind: SourceEvent['kind']): SourceEvent {
  const found = events.filter((e) => e.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
}

let invoiceMapping: CompiledMapping;
let refundMapping: CompiledMapping;

beforeAll(async () => {
  invoiceMapping = await loadMappingFile(new URL('../../../mappings/shopify/order-invoice.yaml', import.meta.url).pathname);
  refundMapping = await loadMappingFile(new URL('../../../mappings/shopify/refund-credit-note.yaml', import.meta.url).pathname);
});

const invoice = async (order: unknown) => computeDocument((await invoiceMapping.run({ order, issuedAt: ISSUED_AT, shop: SAMPLE_SHOP, country: 'CO' })) as never);
const creditNote = async (order: unknown, refund: unknown) =>
  computeDocument((await refundMapping.run({ order, refund, issuedAt: ISSUED_AT, shop: SAMPLE_SHOP, country: 'CO' })) as never);

describe('GraphQL order → REST-shaped payload, through the real stage-1 mappings', () => {
  it('the swept paid order gives the same invoice as the orders/paid webhook body', async () => {
    const paid = only(eventsForOrder(SOURCE, sampleGqlOrder(SAMPLE_PAID_ORDER)), 'order.paid');
    const fromWebhook = await invoice(sample('order-paid.json'));
    const fromSweep = await invoice(paid.payload);
    expect(fromSweep).toEqual(fromWebhook);
    // Not an empty comparison: the sample has three lines and shipping, with taxes and a buyer NIT.
    expect(fromSweep.lines).toHaveLength(4);
    expect(fromSweep.totals.payableAmount).toBe(sample('order-paid.json').total_price);
    expect(fromSweep.buyer.identification?.number).toBe('900373115-3');
  });

  it('the swept refund gives the same credit note as the refunds/create webhook body', async () => {
    const swept = sampleGqlOrder(SAMPLE_PAID_ORDER, { refunds: [SAMPLE_PARTIAL_REFUND] });
    const events = eventsForOrder(SOURCE, swept);
    const refunded = only(events, 'order.refunded');
    expect(refunded.refundId).toBe(String(SAMPLE_PARTIAL_REFUND.id));
    const fromWebhook = await creditNote(sample('order-paid.json'), sample('refund-partial.json'));
    const fromSweep = await creditNote(only(events, 'order.paid').payload, refunded.payload);
    expect(fromSweep).toEqual(fromWebhook);
    expect(fromSweep.lines.map((l: Json) => l.kind)).toEqual(['item', 'shipping']);
  });

  it('a paid order swept after a refund is invoiced as it was paid (the refund goes to its credit note)', async () => {
    const swept = sampleGqlOrder(SAMPLE_PAID_ORDER, { refunds: [SAMPLE_PARTIAL_REFUND] });
    const paid = only(eventsForOrder(SOURCE, swept), 'order.paid');
    expect(await invoice(paid.payload)).toEqual(await invoice(sample('order-paid.json')));
    // …while the order as it is now has one headphone fewer.
    const now = restOrder(swept.order, swept.refunds) as Json;
    expect(now.line_items[0].current_quantity).toBe(1);
  });

  it('keeps ids exact as strings, money as decimal strings in shop money', () => {
    const rest = restOrder(sampleGqlOrder(SAMPLE_PAID_ORDER).order, []) as Json;
    const webhook = sample('order-paid.json');
    expect(rest.id).toBe(webhook.id);
    expect(rest.line_items.map((l: Json) => [l.id, l.variant_id, l.product_id, l.price, l.current_quantity])).toEqual(
      webhook.line_items.map((l: Json) => [l.id, l.variant_id, l.product_id, l.price, l.current_quantity]),
    );
    expect(rest.shipping_lines[0].price).toBe(webhook.shipping_lines[0].price);
    expect(rest.note_attributes).toEqual(webhook.note_attributes);
    expect(rest.billing_address).toEqual(webhook.billing_address);
    expect(rest.total_price_set).toEqual(webhook.total_price_set);
    expect(legacyId('gid://shopify/Order/9007199254740993123')).toBe('9007199254740993123');
  });

  it('orderTotal of a swept cancelled order equals what the webhook receiver computes for orders/cancelled', async () => {
    const secret = 'whsec';
    const receiver = createShopifyWebhookReceiver({ apiSecretKey: secret });
    const body = readFileSync(new URL('../../../connectors/shopify/samples/order-cancelled.json', import.meta.url), 'utf8');
    const verdict = await receiver.receive({ rawBody: body, headers: shopifyWebhookHeaders({ topic: 'orders/cancelled', shop: SAMPLE_SHOP, body, secret }) });
    if (!verdict.ok) throw new Error(verdict.error);
    const fromWebhook = verdict.events[0]!;

    const swept = sampleGqlOrder(SAMPLE_PAID_ORDER, {
      cancellation: { cancelledAt: SAMPLE_CANCELLED_AT, reason: 'customer', refunds: [SAMPLE_PARTIAL_REFUND, SAMPLE_CANCELLATION_REFUND] },
    });
    const cancelled = only(eventsForOrder(SOURCE, swept), 'order.cancelled');
    expect(cancelled.orderTotal).toBe(fromWebhook.orderTotal);
    expect(cancelled.orderId).toBe(fromWebhook.orderId);
  });
});
