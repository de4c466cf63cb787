/**
 * Fuzzing the WooCommerce webhook receiver: random bodies (random text, random JSON, a real order
 * with a value changed, hostile shapes), random headers, signatures right and wrong, connections that
 * exist or not. It never throws; a refusal is 400/401/404/413 with a message; nothing unsigned is
 * believed (the unsigned form ping aside, which yields no events); what it accepts can be stored.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWooCommerceSource } from '../../connectors/woocommerce/index.js';
import { buildOrder } from '../../connectors/woocommerce/sandbox/orders.js';
import { signWooCommerceWebhook } from '../../connectors/woocommerce/signing.js';
import { CONSUMER_ORDER, NIT_ORDER, WEBHOOK_SECRET, bindingFor } from '../woocommerce/samples.js';

const source = createWooCommerceSource({ bindings: [bindingFor('https://tienda.example', 'tienda')], maxBodyBytes: 64 * 1024 });
const ORDERS = [NIT_ORDER, CONSUMER_ORDER].map((spec) => JSON.stringify(buildOrder(spec)));
const TOPICS = ['order.created', 'order.updated', 'order.restored', 'order.deleted', 'product.updated', 'action.woocommerce_x'];
const STATUSES = ['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed', 'checkout-draft', 'trash'];

/** A real order with one top-level field replaced by something random. */
const mutatedOrder = fc
  .tuple(fc.nat(ORDERS.length - 1), fc.constantFrom('id', 'status', 'total', 'line_items', 'refunds', 'billing', 'meta_data', 'currency', 'date_paid', 'tax_lines'), fc.jsonValue({ maxDepth: 2 }))
  .map(([which, field, value]) => JSON.stringify({ ...(JSON.parse(ORDERS[which]!) as Record<string, unknown>), [field]: value }));

const body = fc.oneof(
  { arbitrary: fc.constantFrom(...ORDERS), weight: 2 },
  { arbitrary: fc.tuple(fc.nat(ORDERS.length - 1), fc.constantFrom(...STATUSES)).map(([w, status]) => JSON.stringify({ ...JSON.parse(ORDERS[w]!), status })), weight: 2 },
  { arbitrary: mutatedOrder, weight: 3 },
  { arbitrary: fc.json({ maxDepth: 3 }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 100 }), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '',
      '[]',
      'webhook_id=12',
      'webhook_id=12x',
      '{"id":"4817"}',
      '{"__proto__":{"polluted":true},"id":1}',
      `{"id":4817,"status":"processing","deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
      `{"id":4817,"status":"processing","line_items":[${Array.from({ length: 20_000 }, () => '{}').join(',')}]}`,
    ),
    weight: 1,
  },
);

const delivery = fc.record({
  body,
  signature: fc.constantFrom('valid', 'valid', 'valid', 'wrong', 'missing', 'random'),
  topic: fc.oneof(fc.constantFrom(...TOPICS), fc.string({ maxLength: 12 })),
  connection: fc.oneof({ arbitrary: fc.constant('tienda'), weight: 5 }, { arbitrary: fc.constantFrom('otra', ''), weight: 1 }),
  deliveryId: fc.option(fc.string({ maxLength: 16 }), { nil: undefined }),
});

describe('WooCommerce receiver', () => {
  it('never throws, refuses clearly, believes only signed deliveries, and accepts only what can be stored', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async (d) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-wc-webhook-topic': d.topic };
        if (d.deliveryId !== undefined) headers['x-wc-webhook-delivery-id'] = d.deliveryId;
        if (d.signature === 'valid') headers['x-wc-webhook-signature'] = signWooCommerceWebhook(d.body, WEBHOOK_SECRET);
        if (d.signature === 'wrong') headers['x-wc-webhook-signature'] = signWooCommerceWebhook(d.body, 'another-secret');
        if (d.signature === 'random') headers['x-wc-webhook-signature'] = 'c2lnbmF0dXJl';
        const verdict = await source.webhook!.receive({ rawBody: d.body, headers, params: d.connection ? { connection: d.connection } : {} });
        if (!verdict.ok) {
          expect([400, 401, 404, 413]).toContain(verdict.status);
          expect(verdict.error.length).toBeGreaterThan(15);
          if (d.signature !== 'valid' && d.connection === 'tienda' && !/^webhook_id=\d+$/.test(d.body.trim())) expect([401, 413]).toContain(verdict.status);
          return;
        }
        if (d.signature !== 'valid') expect(verdict.events).toEqual([]);
        for (const event of verdict.events) {
          expect(event.source).toBe('woocommerce:tienda.example');
          expect(typeof event.deliveryId).toBe('string');
          expect(event.orderId).toMatch(/^\d+$/);
          // The inbox writes it as JSON: an accepted event must survive that.
          expect(() => JSON.stringify(event)).not.toThrow();
        }
      }),
      { numRuns: 800 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('refuses a signed order nested too deep to store, instead of accepting what the inbox cannot write', async () => {
    const deep = JSON.stringify({ ...(JSON.parse(ORDERS[0]!) as Record<string, unknown>), puente_probe: null }).replace('"puente_probe":null', `"puente_probe":${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    const verdict = await source.webhook!.receive({
      rawBody: deep,
      params: { connection: 'tienda' },
      headers: { 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-signature': signWooCommerceWebhook(deep, WEBHOOK_SECRET) },
    });
    if (verdict.ok) for (const event of verdict.events) expect(() => JSON.stringify(event)).not.toThrow();
    else expect(verdict).toMatchObject({ status: 400, error: expect.stringMatching(/deeper than/) });
  });
});
