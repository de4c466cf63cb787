/**
 * The WooCommerce sandbox and the connector together, on loopback: the sandbox's webhooks reach a
 * receiver that hands them to the connector, its REST API answers the connector's OAuth-signed
 * calls, a dropped delivery is found again by the sweep, and a refund is completed from the API.
 */
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWooCommerceSource } from '../../connectors/woocommerce/index.js';
import { oauthSignedUrl } from '../../connectors/woocommerce/signing.js';
import { startWooCommerceSandbox, type WooCommerceSandbox } from '../../connectors/woocommerce/sandbox/index.js';
import type { SourceConnector, SourceEvent } from '../../src/connector.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { CONSUMER_ORDER, CONSUMER_KEY, CONSUMER_SECRET, NIT_ORDER, WEBHOOK_SECRET, bindingFor } from './samples.js';

let sandbox: WooCommerceSandbox;
let receiver: Loopback;
let source: SourceConnector;
let sourceKey: string;
const received: { status: number; events: SourceEvent[]; deliveryId?: string }[] = [];

async function post(path: string, body: unknown = {}) {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as any };
}

beforeAll(async () => {
  nock.enableNetConnect('127.0.0.1');
  sandbox = await startWooCommerceSandbox({ consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, webhookSecret: WEBHOOK_SECRET });
  const binding = bindingFor(sandbox.url, 'tienda');
  sourceKey = binding.source;
  source = createWooCommerceSource({ bindings: [binding], client: { retry: { retries: 0 } } });
  receiver = await listenOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const verdict = await source.webhook!.receive({ rawBody: Buffer.concat(chunks).toString('utf8'), headers: req.headers, params: { connection: 'tienda' } });
      const status = verdict.ok ? 200 : verdict.status;
      received.push({ status, events: verdict.ok ? verdict.events : [], deliveryId: req.headers['x-wc-webhook-delivery-id'] as string | undefined });
      res.writeHead(status).end();
    });
  });
});

afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

describe('the WooCommerce sandbox with the connector', () => {
  it('pings the delivery URL when the webhook is saved, and the receiver answers 200', async () => {
    const { status, json } = await post('/webhook', { deliveryUrl: `${receiver.url}/` });
    expect(status).toBe(200);
    expect(json.ping).toBe(200);
    expect(received).toEqual([{ status: 200, events: [] }]);
    received.length = 0;
  });

  it('sends signed order webhooks once each; a dropped one is recovered by the sweep with the same ids', async () => {
    const since = new Date(Date.now() - 5_000).toISOString();
    await post('/orders', { ...NIT_ORDER, status: 'pending' });
    await post('/orders', { ...CONSUMER_ORDER, status: 'pending' });
    await post(`/orders/${NIT_ORDER.id}/pay`);
    await post('/drop-next', { count: 1 });
    await post(`/orders/${CONSUMER_ORDER.id}/pay`);
    await sandbox.settled();

    const log = sandbox.deliveries.map((d) => [d.topic, d.orderId, d.outcome]);
    expect(log).toEqual([
      ['order.created', NIT_ORDER.id, 'delivered'],
      ['order.created', CONSUMER_ORDER.id, 'delivered'],
      ['order.updated', NIT_ORDER.id, 'delivered'],
      ['order.updated', CONSUMER_ORDER.id, 'dropped'],
    ]);
    expect(received.map((r) => r.status)).toEqual([200, 200, 200]);
    const paidByWebhook = received.flatMap((r) => r.events).filter((e) => e.kind === 'order.paid');
    expect(paidByWebhook.map((e) => e.orderId)).toEqual([String(NIT_ORDER.id)]);

    const swept: SourceEvent[] = [];
    for await (const page of source.poll!({ source: sourceKey, since })) swept.push(...page.events);
    const paidBySweep = swept.filter((e) => e.kind === 'order.paid');
    expect(paidBySweep.map((e) => e.orderId).sort()).toEqual([String(NIT_ORDER.id), String(CONSUMER_ORDER.id)]);
    // The order the webhook brought has the same delivery id through the sweep: stored once.
    expect(paidBySweep.find((e) => e.orderId === String(NIT_ORDER.id))!.deliveryId).toBe(paidByWebhook[0]!.deliveryId);
  });

  it('a resent delivery is the same bytes and delivery id: the same events again', async () => {
    const index = sandbox.deliveries.findIndex((d) => d.outcome === 'delivered' && d.topic === 'order.updated');
    const before = received.length;
    await post(`/deliveries/${index}/resend`);
    await sandbox.settled();
    expect(received[before]!.deliveryId).toBe(sandbox.deliveries[index]!.deliveryId);
    const original = received.find((r) => r.deliveryId === sandbox.deliveries[index]!.deliveryId)!;
    expect(received[before]!.events.map((e) => e.deliveryId)).toEqual(original.events.map((e) => e.deliveryId));
    expect(received[before]!.events.some((e) => e.kind === 'order.paid')).toBe(true);
  });

  it('a refund arrives as order.updated listing it; completing it fetches its lines over OAuth', async () => {
    const order = sandbox.orders.get(NIT_ORDER.id)!;
    const { status, json: refund } = await post(`/orders/${NIT_ORDER.id}/refunds`, {
      reason: 'Talla equivocada',
      lines: [{ itemId: order.line_items[0]!.id, quantity: 1 }],
      shipping: '6000.00',
    });
    expect(status).toBe(201);
    await sandbox.settled();
    const event = received.at(-1)!.events.find((e) => e.kind === 'order.refunded')!;
    expect(event).toMatchObject({ refundId: String(refund.id), deliveryId: `refund:${refund.id}`, needsCompletion: true });
    const completed = (await source.complete!(event)) as Record<string, unknown>;
    expect(completed.amount).toBe('61050.00');
    expect((completed.line_items as Record<string, unknown>[])[0]).toMatchObject({ puente_quantity: '1', puente_unit_price: '45302.52' });
  });

  it('refunds reaching the total make the order refunded; more than is left is refused', async () => {
    const order = sandbox.orders.get(CONSUMER_ORDER.id)!;
    const { status } = await post(`/orders/${CONSUMER_ORDER.id}/refunds`, { amount: '999999.00' });
    expect(status).toBe(400);
    expect((await post(`/orders/${CONSUMER_ORDER.id}/refunds`, { amount: order.total })).status).toBe(201);
    expect(sandbox.orders.get(CONSUMER_ORDER.id)!.status).toBe('refunded');
  });

  it('over plain http the REST API takes OAuth signatures only: Basic, a bad signature or a replayed nonce are 401', async () => {
    const url = `${sandbox.url}/wp-json/wc/v3/orders/${NIT_ORDER.id}`;
    const basic = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    const signed = oauthSignedUrl('GET', url, { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET });
    expect((await fetch(signed)).status).toBe(200);
    expect((await fetch(signed)).status).toBe(401);
    const wrong = oauthSignedUrl('GET', url, { consumerKey: CONSUMER_KEY, consumerSecret: 'cs_wrong' });
    expect((await fetch(wrong)).status).toBe(401);
    const stale = oauthSignedUrl('GET', url, { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, timestamp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await fetch(stale)).status).toBe(401);
  });

  it('lists orders by modification with the WordPress paging headers', async () => {
    const url = `${sandbox.url}/wp-json/wc/v3/orders?orderby=modified&order=asc&per_page=1&page=2&modified_after=2000-01-01T00:00:00&dates_are_gmt=true`;
    const response = await fetch(oauthSignedUrl('GET', url, { consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET }));
    expect(response.headers.get('x-wp-total')).toBe('2');
    expect(response.headers.get('x-wp-totalpages')).toBe('2');
    const [second] = (await response.json()) as { id: number }[];
    // The consumer order was modified last (its refund).
    expect(second!.id).toBe(CONSUMER_ORDER.id);
  });
});
