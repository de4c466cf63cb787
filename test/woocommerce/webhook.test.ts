import { describe, expect, it } from 'vitest';
import { createWooCommerceSource } from '../../connectors/woocommerce/index.js';
import { signWooCommerceWebhook } from '../../connectors/woocommerce/signing.js';
import { buildOrder } from '../../connectors/woocommerce/sandbox/orders.js';
import type { SourceBinding } from '../../connectors/index.js';
import type { WebhookVerdict } from '../../src/connector.js';
import { NIT_ORDER, WEBHOOK_SECRET, bindingFor } from './samples.js';

const bindings: SourceBinding[] = [bindingFor('https://tienda.example', 'tienda')];
const source = createWooCommerceSource({ bindings: () => bindings });

function delivery(body: string, headers: Record<string, string> = {}, connection = 'tienda', secret = WEBHOOK_SECRET) {
  return source.webhook!.receive({
    rawBody: body,
    params: { connection },
    headers: {
      'content-type': 'application/json',
      'x-wc-webhook-topic': 'order.updated',
      'x-wc-webhook-resource': 'order',
      'x-wc-webhook-event': 'updated',
      'x-wc-webhook-id': '12',
      'x-wc-webhook-delivery-id': '8d1f6c0e9b2a',
      'x-wc-webhook-signature': signWooCommerceWebhook(body, secret),
      ...headers,
    },
  });
}

const ok = (verdict: WebhookVerdict) => {
  if (!verdict.ok) throw new Error(`refused: ${verdict.status} ${verdict.error}`);
  return verdict.events;
};

describe('WooCommerce webhook receiver', () => {
  const body = JSON.stringify(buildOrder(NIT_ORDER));

  it('turns a signed order delivery into the order\'s events, for the connection the URL names', async () => {
    const events = ok(await delivery(body));
    expect(events.map((e) => e.kind).sort()).toEqual(['order.created', 'order.paid', 'order.updated']);
    expect(new Set(events.map((e) => e.source))).toEqual(new Set(['woocommerce:tienda.example']));
    const paid = events.find((e) => e.kind === 'order.paid')!;
    expect(paid.deliveryId).toBe('order:4817:paid');
    expect(paid.topic).toBe('order.updated');
    // The delivery id is kept with the payload for the admin views.
    expect(paid.payload).toMatchObject({ puente_delivery: { deliveryId: '8d1f6c0e9b2a', webhookId: '12', topic: 'order.updated' } });
  });

  it('a redelivery gives the same delivery ids, so the inbox stores it once', async () => {
    const first = ok(await delivery(body)).map((e) => e.deliveryId);
    const again = ok(await delivery(body, { 'x-wc-webhook-delivery-id': 'another' })).map((e) => e.deliveryId);
    expect(again).toEqual(first);
  });

  it('answers the form ping WooCommerce sends when the webhook is saved', async () => {
    const verdict = await source.webhook!.receive({
      rawBody: 'webhook_id=12',
      params: { connection: 'tienda' },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(verdict).toEqual({ ok: true, events: [] });
  });

  it('refuses a wrong or missing signature with 401 and says where the secret lives', async () => {
    const forged = await delivery(body, {}, 'tienda', 'not-the-secret');
    expect(forged).toMatchObject({ ok: false, status: 401 });
    expect(!forged.ok && forged.error).toMatch(/webhookSecret/);
    const altered = await delivery(body, { 'x-wc-webhook-signature': signWooCommerceWebhook(`${body} `, WEBHOOK_SECRET) });
    expect(altered).toMatchObject({ ok: false, status: 401 });
    const unsigned = await delivery(body, { 'x-wc-webhook-signature': '' });
    expect(unsigned).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 404 for a connection that is not configured, or a URL without one', async () => {
    expect(await delivery(body, {}, 'nope')).toMatchObject({ ok: false, status: 404 });
    const bare = await source.webhook!.receive({ rawBody: body, headers: {}, params: {} });
    expect(bare).toMatchObject({ ok: false, status: 404 });
    expect(!bare.ok && bare.error).toMatch(/\/webhooks\/woocommerce\/<connection id>/);
    // A connection of another source type is not a WooCommerce connection.
    const mixed = createWooCommerceSource({ bindings: [{ connectionId: 'tienda', source: 'shopify:x.myshopify.com', settings: { type: 'shopify', shop: 'x.myshopify.com' } }] });
    expect(await mixed.webhook!.receive({ rawBody: body, headers: {}, params: { connection: 'tienda' } })).toMatchObject({ ok: false, status: 404 });
  });

  it('sees connections added after it was created', async () => {
    bindings.push(bindingFor('https://otra.example', 'otra'));
    const events = ok(await delivery(body, {}, 'otra'));
    expect(events[0]!.source).toBe('woocommerce:otra.example');
    bindings.pop();
  });

  it('refuses a malformed or oversize body with 400 / 413', async () => {
    expect(await delivery('{"id": 48')).toMatchObject({ ok: false, status: 400 });
    expect(await delivery(JSON.stringify({ status: 'processing' }))).toMatchObject({ ok: false, status: 400 });
    const small = createWooCommerceSource({ bindings, maxBodyBytes: 100 });
    const big = await small.webhook!.receive({ rawBody: body, params: { connection: 'tienda' }, headers: { 'x-wc-webhook-signature': signWooCommerceWebhook(body, WEBHOOK_SECRET) } });
    expect(big).toMatchObject({ ok: false, status: 413 });
  });

  it('acknowledges topics that are not orders, order.deleted and payload-less deliveries without events', async () => {
    expect(ok(await delivery(JSON.stringify({ id: 4817 }), { 'x-wc-webhook-topic': 'order.deleted' }))).toEqual([]);
    expect(ok(await delivery(JSON.stringify({ id: 9 }), { 'x-wc-webhook-topic': 'product.updated' }))).toEqual([]);
    expect(ok(await delivery('', {}))).toEqual([]);
  });

  it('applies the connection\'s paid statuses and tax id keys', async () => {
    const custom: SourceBinding[] = [
      bindingFor('https://tienda.example', 'tienda', { paidStatuses: ['completed'], taxIdMetaKeys: ['_billing_type_document'] }),
    ];
    const receiver = createWooCommerceSource({ bindings: custom });
    const verdict = await receiver.webhook!.receive({
      rawBody: body,
      params: { connection: 'tienda' },
      headers: { 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-signature': signWooCommerceWebhook(body, WEBHOOK_SECRET) },
    });
    const events = ok(verdict);
    expect(events.some((e) => e.kind === 'order.paid')).toBe(false);
    expect(events[0]!.payload).toMatchObject({ puente_tax_id: { value: 'NIT', from: 'meta:_billing_type_document' } });
  });
});
