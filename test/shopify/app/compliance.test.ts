/**
 * app/uninstalled and the compliance webhooks, delivered over HTTP to the real receiver and acted on
 * in the real store: 401 on a bad signature (nothing changes), redaction that removes what no invoice
 * needs and keeps the fiscal record, an export of what Puente holds, and an uninstall that stops the
 * shop's processing and forgets its token while issued documents stay.
 */
import { Session } from '@shopify/shopify-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShopifyWebhookReceiver, shopifyWebhookHeaders } from '../../../connectors/shopify/index.js';
import type { ShopifyAppLifecycleHandler } from '../../../connectors/shopify/lifecycle.js';
import { SAMPLE_PAID_ORDER, buildOrder, toShopifyJson, type SampleOrder } from '../../../connectors/shopify/samples/index.js';
import { APIDIAN_SANDBOX_TARGET_DEFAULTS } from '../../../connectors/apidian/sandbox/index.js';
import type { EventRecord } from '../../../src/store/store.js';
import { ADMIN_TOKEN, API_SECRET, startApp, type RunningApp } from './helpers.js';

const SHOP = 'acme-co.myshopify.com';
const CONNECTION_ID = 'shopify-acme-co';

const ORDER_A: SampleOrder = {
  ...SAMPLE_PAID_ORDER,
  shop: SHOP,
  noteAttributes: [...SAMPLE_PAID_ORDER.noteAttributes, { name: 'Mensaje de regalo', value: 'Feliz cumpleaños, Ana' }],
};
const ORDER_B: SampleOrder = {
  ...SAMPLE_PAID_ORDER,
  shop: SHOP,
  id: 6123456789099n,
  orderNumber: 1002,
  customer: { id: 7345678909999n, email: 'otra.persona@example.com', phone: '+573001112233', createdAt: '2025-11-02T09:12:44-05:00' },
};
const CUSTOMER_A = { id: 7345678901234, email: 'compras@tostadores-andinos.example', phone: '+576015550142' };

let running: RunningApp;

function deliver(topic: string, body: string, options: { secret?: string; shop?: string } = {}): Promise<Response> {
  const headers = shopifyWebhookHeaders({ topic, shop: options.shop ?? SHOP, body, secret: options.secret ?? API_SECRET });
  return fetch(`${running.url}/webhooks/shopify`, { method: 'POST', headers, body });
}

async function eventsOf(orderId: string): Promise<EventRecord[]> {
  return running.store.listEvents({ source: `shopify:${SHOP}`, orderId });
}

async function install(): Promise<void> {
  await running.app.sessions.storeSession(
    new Session({ id: `offline_${SHOP}`, shop: SHOP, state: 's', isOnline: false, scope: 'write_orders', accessToken: 'shpat_secret_token_123' }),
  );
  await running.app.installations.markInstalled(SHOP, 'write_orders');
  await running.app.installations.save(
    SHOP,
    { ...APIDIAN_SANDBOX_TARGET_DEFAULTS, baseUrl: 'http://127.0.0.1:9/api' },
    {
      targetType: 'apidian',
      trigger: 'paid',
      triggerDelayMinutes: 0,
      issueFor: { testOrders: false, drafts: false, zeroTotal: false },
      country: 'CO',
      timezone: 'America/Bogota',
      taxId: { validateCheckDigit: true, sources: ['localized', 'noteAttribute', 'company'], noteAttribute: 'NIT' },
    },
  );
}

beforeEach(async () => {
  running = await startApp();
  await install();
  for (const order of [ORDER_A, ORDER_B]) {
    const response = await deliver('orders/paid', toShopifyJson(buildOrder(order)));
    expect(response.status).toBe(200);
  }
  // Order A was invoiced: its buyer's name, tax id and billing address are on an issued invoice.
  const [eventA] = await eventsOf(String(ORDER_A.id));
  await running.store.createDocument({
    idempotencyKey: `shopify:${SHOP}|${ORDER_A.id}|invoice`,
    connectionId: CONNECTION_ID,
    target: 'apidian',
    kind: 'invoice',
    source: `shopify:${SHOP}`,
    orderId: String(ORDER_A.id),
    eventId: eventA!.id,
    series: 'SETP',
    status: 'issued',
    result: { fiscalNumber: 'SETP990000001', uuid: 'cufe-0001', issuedAt: '2026-03-14T10:30:00-05:00' },
  });
});

afterEach(async () => {
  await running.close();
});

describe('signatures', () => {
  it.each(['customers/redact', 'customers/data_request', 'shop/redact', 'app/uninstalled'])('%s with a bad HMAC is 401 and changes nothing', async (topic) => {
    const before = JSON.stringify(await eventsOf(String(ORDER_A.id)));
    const body = JSON.stringify({ shop_domain: SHOP, customer: CUSTOMER_A, orders_to_redact: [Number(ORDER_A.id)], orders_requested: [], myshopify_domain: SHOP });
    const response = await deliver(topic, body, { secret: 'someone-else' });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await eventsOf(String(ORDER_A.id)))).toBe(before);
    expect(await running.app.sessions.offlineSession(SHOP)).toBeDefined();
    expect(running.connections.get(CONNECTION_ID)).toBeDefined();
    expect(await running.store.listState('privacy-export:')).toEqual([]);
  });

  it('refuses a body that names another shop than the signed delivery headers', async () => {
    const response = await deliver('shop/redact', JSON.stringify({ shop_id: 1, shop_domain: 'someone-else.myshopify.com' }));
    expect(response.status).toBe(400);
    expect(await running.app.installations.get(SHOP)).toBeDefined();
  });

  it('refuses a malformed compliance body with 400 naming the field', async () => {
    const response = await deliver('customers/redact', JSON.stringify({ shop_domain: SHOP, orders_to_redact: ['not-an-id'] }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/customer/);
  });
});

describe('customers/redact', () => {
  it('removes the customer\'s personal data from their orders and keeps what the fiscal record needs', async () => {
    const response = await deliver(
      'customers/redact',
      JSON.stringify({ shop_id: 954889, shop_domain: SHOP, customer: CUSTOMER_A, orders_to_redact: [Number(ORDER_A.id)] }),
    );
    expect(response.status).toBe(200);

    const [event] = await eventsOf(String(ORDER_A.id));
    const payload = event!.payload as Record<string, any>;
    const text = JSON.stringify(payload);
    for (const gone of ['compras@tostadores-andinos.example', '+576015550142', '203.0.113.24', 'Feliz cumpleaños', 'utm_source']) expect(text).not.toContain(gone);
    expect(payload.shipping_address).toBeUndefined();
    expect(payload.customer).toEqual({ id: String(CUSTOMER_A.id) });
    expect(payload.puente_redacted_at).toMatch(/^\d{4}-/);
    // Kept: the buyer's tax id and legal name (cart attributes), and the billing address the issued invoice used.
    expect(payload.note_attributes.map((a: { name: string }) => a.name)).toEqual(['NIT', 'Razón social']);
    expect(payload.billing_address.company).toBe(SAMPLE_PAID_ORDER.billingAddress.company);
    expect(payload.billing_address.address1).toBe(SAMPLE_PAID_ORDER.billingAddress.address1);
    expect(payload.billing_address.phone).toBeUndefined();
    // Kept: amounts and lines.
    expect(payload.total_price).toBe((buildOrder(ORDER_A) as Record<string, unknown>).total_price);
    expect(payload.line_items).toHaveLength(ORDER_A.lines.length);

    // The issued invoice is untouched; the other customer's order is untouched.
    const [document] = await running.store.listDocuments({ orderId: String(ORDER_A.id) });
    expect(document!.result?.fiscalNumber).toBe('SETP990000001');
    const [other] = await eventsOf(String(ORDER_B.id));
    expect(JSON.stringify(other!.payload)).toContain('otra.persona@example.com');
  });

  it('drops the street address of an order that no issued document used', async () => {
    const response = await deliver(
      'customers/redact',
      JSON.stringify({ shop_domain: SHOP, customer: { id: 7345678909999, email: 'otra.persona@example.com', phone: null }, orders_to_redact: [Number(ORDER_B.id)] }),
    );
    expect(response.status).toBe(200);
    const [event] = await eventsOf(String(ORDER_B.id));
    const payload = event!.payload as Record<string, any>;
    expect(JSON.stringify(payload)).not.toContain('otra.persona@example.com');
    expect(payload.billing_address.address1).toBeUndefined();
    expect(payload.billing_address.company).toBe(SAMPLE_PAID_ORDER.billingAddress.company);
  });

  it('finds the customer\'s orders by customer id even when Shopify does not list them', async () => {
    const response = await deliver('customers/redact', JSON.stringify({ shop_domain: SHOP, customer: CUSTOMER_A, orders_to_redact: [] }));
    expect(response.status).toBe(200);
    const [event] = await eventsOf(String(ORDER_A.id));
    expect(JSON.stringify(event!.payload)).not.toContain('compras@tostadores-andinos.example');
  });
});

describe('customers/data_request', () => {
  it('produces an export of what Puente holds on the customer, for the admin only', async () => {
    const response = await deliver(
      'customers/data_request',
      JSON.stringify({ shop_id: 954889, shop_domain: SHOP, customer: CUSTOMER_A, orders_requested: [Number(ORDER_A.id)], data_request: { id: 9999 } }),
    );
    expect(response.status).toBe(200);
    const id = `shopify-${SHOP}-9999`;

    expect((await fetch(`${running.url}/api/privacy/exports/${id}`)).status).toBe(401);
    const exported = await fetch(`${running.url}/api/privacy/exports/${id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(exported.status).toBe(200);
    const body = (await exported.json()) as Record<string, any>;
    expect(body.shop).toBe(SHOP);
    expect(body.events.map((e: { orderId: string }) => e.orderId)).toEqual([String(ORDER_A.id)]);
    expect(JSON.stringify(body.events[0].payload)).toContain('compras@tostadores-andinos.example');
    expect(body.documents).toEqual([expect.objectContaining({ kind: 'invoice', status: 'issued', result: expect.objectContaining({ uuid: 'cufe-0001' }) })]);
    expect(JSON.stringify(body)).not.toContain('otra.persona@example.com');

    const list = await fetch(`${running.url}/api/privacy/exports`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await list.json()) as { exports: { id: string }[] }).exports.map((e: { id: string }) => e.id)).toEqual([id]);
  });
});

describe('app/uninstalled', () => {
  it('removes the token, stops the shop\'s processing and keeps its documents', async () => {
    const response = await deliver('app/uninstalled', JSON.stringify({ id: 954889, name: 'Acme', myshopify_domain: SHOP, domain: 'acme.example' }));
    expect(response.status).toBe(200);
    expect(await running.app.sessions.findSessionsByShop(SHOP)).toEqual([]);
    expect(running.connections.get(CONNECTION_ID)).toBeUndefined();
    expect((await running.app.installations.get(SHOP))?.status).toBe('uninstalled');
    expect(await running.store.listDocuments({ orderId: String(ORDER_A.id) })).toHaveLength(1);

    // A late delivery is kept, but nothing processes it.
    const late = { ...ORDER_A, id: 6123456789123n, orderNumber: 1003 };
    expect((await deliver('orders/paid', toShopifyJson(buildOrder(late)))).status).toBe(200);
    const [event] = await eventsOf(String(late.id));
    expect(event?.status).toBe('unroutable');

    // Installing again resumes with the saved settings, and the late order is handed to the connection.
    await running.app.installations.markInstalled(SHOP);
    expect(running.connections.get(CONNECTION_ID)).toBeDefined();
    expect((await eventsOf(String(late.id)))[0]?.status).toBe('received');
  });
});

describe('shop/redact', () => {
  it('removes personal data from every event of the shop and forgets its settings and sessions', async () => {
    await deliver('customers/data_request', JSON.stringify({ shop_domain: SHOP, customer: CUSTOMER_A, orders_requested: [Number(ORDER_A.id)], data_request: { id: 1 } }));
    const response = await deliver('shop/redact', JSON.stringify({ shop_id: 954889, shop_domain: SHOP }));
    expect(response.status).toBe(200);
    for (const order of [ORDER_A, ORDER_B]) {
      const [event] = await eventsOf(String(order.id));
      expect(JSON.stringify(event!.payload)).not.toMatch(/@|\+57/);
    }
    expect(await running.app.installations.get(SHOP)).toBeUndefined();
    expect(await running.app.sessions.findSessionsByShop(SHOP)).toEqual([]);
    expect(running.connections.get(CONNECTION_ID)).toBeUndefined();
    expect(await running.store.listState('privacy-export:')).toEqual([]);
    expect(await running.store.listDocuments({ orderId: String(ORDER_A.id) })).toHaveLength(1);
    // The state entries of the shop are gone from the store altogether.
    expect((await running.store.listState('')).map((e) => e.key).filter((key) => key.includes(SHOP))).toEqual([]);
  });
});

describe('the receiver and its lifecycle handler', () => {
  const body = JSON.stringify({ shop_id: 1, shop_domain: SHOP });
  const request = () => ({ rawBody: body, headers: shopifyWebhookHeaders({ topic: 'shop/redact', shop: SHOP, body, secret: API_SECRET }) });

  it('does not acknowledge a delivery whose action failed: it throws, so Shopify gets a 5xx and delivers again', async () => {
    const failing: ShopifyAppLifecycleHandler = {
      onUninstalled: async () => undefined,
      onCustomersRedact: async () => ({ events: 0 }),
      onShopRedact: async () => {
        throw new Error('disk full');
      },
      onDataRequest: async () => ({ exportId: 'x' }),
    };
    const receiver = createShopifyWebhookReceiver({ apiSecretKey: API_SECRET, lifecycle: failing });
    await expect(receiver.receive(request())).rejects.toThrow('disk full');
  });

  it('answers with no events once the action is done', async () => {
    const calls: string[] = [];
    const recording: ShopifyAppLifecycleHandler = {
      onUninstalled: async (shop) => void calls.push(`uninstalled ${shop}`),
      onCustomersRedact: async () => ({ events: 0 }),
      onShopRedact: async (shop) => {
        calls.push(`shop/redact ${shop}`);
        return { events: 0 };
      },
      onDataRequest: async () => ({ exportId: 'x' }),
    };
    const receiver = createShopifyWebhookReceiver({ apiSecretKey: API_SECRET, lifecycle: recording });
    expect(await receiver.receive(request())).toEqual({ ok: true, events: [] });
    expect(calls).toEqual([`shop/redact ${SHOP}`]);
  });
});

