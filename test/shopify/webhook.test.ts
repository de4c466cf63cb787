import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WebhookVerdict } from '../../src/connector.js';
import {
  createShopifySource,
  createShopifyWebhookReceiver,
  parseShopifyJson,
  shopifyWebhookHeaders,
  type ShopifyWebhookEvent,
} from '../../connectors/shopify/index.js';

const SECRET = 'shpss_test_secret_0123456789abcdef';
const SHOP = 'puente-demo.myshopify.com';
const receiver = createShopifyWebhookReceiver({ apiSecretKey: SECRET });

function signed(topic: string, body: string, extra: Partial<Parameters<typeof shopifyWebhookHeaders>[0]> = {}) {
  return {
    rawBody: body,
    headers: shopifyWebhookHeaders({ topic, shop: SHOP, body, secret: SECRET, ...extra }) as Record<string, string | undefined>,
  };
}

function events(verdict: WebhookVerdict): ShopifyWebhookEvent[] {
  if (!verdict.ok) throw new Error(`expected an accepted delivery, got ${verdict.status}: ${verdict.error}`);
  return verdict.events as ShopifyWebhookEvent[];
}

function rejection(verdict: WebhookVerdict): { status: number; error: string } {
  if (verdict.ok) throw new Error('expected the delivery to be rejected');
  return { status: verdict.status, error: verdict.error };
}

const BIG_ORDER = '{"id":5678901234567890123,"name":"#1001","line_items":[{"id":5678901234567890124,"quantity":1}],"updated_at":"2026-03-14T10:21:38-05:00"}';

describe('Shopify webhook receiver: accepted deliveries', () => {
  it('turns a signed orders/paid delivery into one order.paid event with exact string ids', async () => {
    const request = signed('orders/paid', BIG_ORDER, {
      eventId: 'ev-7f0c2a1e',
      webhookId: 'wh-b54557e4',
      apiVersion: '2026-01',
      triggeredAt: '2026-03-14T15:21:40.123456789Z',
    });
    const [event, ...rest] = events(await receiver.receive(request));
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      source: 'shopify:puente-demo.myshopify.com',
      kind: 'order.paid',
      topic: 'orders/paid',
      deliveryId: 'ev-7f0c2a1e',
      eventId: 'ev-7f0c2a1e',
      webhookId: 'wh-b54557e4',
      apiVersion: '2026-01',
      orderId: '5678901234567890123',
      occurredAt: '2026-03-14T15:21:40.123456789Z',
    });
    expect(event!.refundId).toBeUndefined();
    expect(event!.payload).toEqual({
      id: '5678901234567890123',
      name: '#1001',
      line_items: [{ id: '5678901234567890124', quantity: 1 }],
      updated_at: '2026-03-14T10:21:38-05:00',
    });
  });

  it('falls back to the webhook id as deliveryId when Shopify sends no event id', async () => {
    const [event] = events(await receiver.receive(signed('orders/paid', BIG_ORDER, { eventId: null, webhookId: 'wh-only-1' })));
    expect(event!.deliveryId).toBe('wh-only-1');
    expect(event!.eventId).toBeUndefined();
  });

  it('takes occurredAt from the body when X-Shopify-Triggered-At is absent', async () => {
    const request = signed('orders/paid', BIG_ORDER);
    delete request.headers['X-Shopify-Triggered-At'];
    const [event] = events(await receiver.receive(request));
    expect(event!.occurredAt).toBe('2026-03-14T10:21:38-05:00');
  });

  it('reads headers the way Node delivers them: lower-case names, repeated values as arrays', async () => {
    const request = signed('orders/paid', BIG_ORDER, { eventId: 'ev-lower' });
    const lower: Record<string, string | string[] | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) lower[name.toLowerCase()] = value;
    lower['x-shopify-topic'] = ['orders/paid'];
    lower['x-irrelevant'] = undefined;
    const [event] = events(await receiver.receive({ rawBody: request.rawBody, headers: lower }));
    expect(event).toMatchObject({ kind: 'order.paid', deliveryId: 'ev-lower', orderId: '5678901234567890123' });
  });

  it.each([
    ['orders/create', 'order.created'],
    ['orders/paid', 'order.paid'],
    ['orders/fulfilled', 'order.fulfilled'],
    ['orders/updated', 'order.updated'],
    ['orders/cancelled', 'order.cancelled'],
  ] as const)('maps %s to %s, taking the order id from `id`', async (topic, kind) => {
    const [event] = events(await receiver.receive(signed(topic, '{"id":6123456789012,"name":"#1001"}')));
    expect(event).toMatchObject({ kind, topic, orderId: '6123456789012' });
  });

  it('maps refunds/create to order.refunded with orderId from order_id and refundId from id', async () => {
    const body = '{"id":1012345678901,"order_id":6123456789012,"created_at":"2026-03-20T15:04:10-05:00","refund_line_items":[]}';
    const [event] = events(await receiver.receive(signed('refunds/create', body, { triggeredAt: 'not a date' })));
    expect(event).toMatchObject({
      kind: 'order.refunded',
      topic: 'refunds/create',
      orderId: '6123456789012',
      refundId: '1012345678901',
      occurredAt: '2026-03-20T15:04:10-05:00',
    });
  });

  it('maps orders/edited to order.edited with the order id inside order_edit', async () => {
    const body = '{"order_edit":{"id":2001234567890,"order_id":6123456789012,"created_at":"2026-03-16T09:00:00-05:00","line_items":{"additions":[],"removals":[]}}}';
    const [event] = events(await receiver.receive(signed('orders/edited', body)));
    expect(event).toMatchObject({ kind: 'order.edited', orderId: '6123456789012' });
    expect((event!.payload as { order_edit: { id: unknown } }).order_edit.id).toBe('2001234567890');
  });

  it.each(['app/uninstalled', 'customers/redact', 'shop/redact', 'customers/data_request', 'products/update'])(
    'acknowledges an authentic %s delivery with no events',
    async (topic) => {
      expect(await receiver.receive(signed(topic, '{"shop_id":954889,"shop_domain":"puente-demo.myshopify.com"}'))).toEqual({
        ok: true,
        events: [],
      });
    },
  );

  it('verifies the raw bytes: \\u0026 and \\/ escapes validate and decode', async () => {
    const body =
      '{"id":6123456789012,"landing_site":"\\/?utm_source=instagram\\u0026utm_medium=social","note":"Entregar en porter\\u00eda \\u0026 llamar"}';
    const [event] = events(await receiver.receive(signed('orders/paid', body)));
    expect(event!.payload).toMatchObject({
      landing_site: '/?utm_source=instagram&utm_medium=social',
      note: 'Entregar en portería & llamar',
    });
    // The same document re-serialised is different bytes, so the original signature no longer fits it.
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    const request = signed('orders/paid', body);
    expect(rejection(await receiver.receive({ rawBody: reserialised, headers: request.headers })).status).toBe(401);
  });

  it('accepts every sample file under its topic', async () => {
    const cases = [
      ['order-paid.json', 'orders/paid', 'order.paid', '6123456789012'],
      ['refund-partial.json', 'refunds/create', 'order.refunded', '6123456789012'],
      ['order-cancelled.json', 'orders/cancelled', 'order.cancelled', '6123456789012'],
      ['order-paid-final-consumer.json', 'orders/paid', 'order.paid', '6123456789345'],
    ] as const;
    for (const [file, topic, kind, orderId] of cases) {
      const body = readFileSync(new URL(`../../connectors/shopify/samples/${file}`, import.meta.url), 'utf8');
      const [event] = events(await receiver.receive(signed(topic, body)));
      expect(event).toMatchObject({ kind, orderId });
    }
  });

  it('createShopifySource exposes the receiver as the webhook part of a SourceConnector named shopify', async () => {
    const source = createShopifySource({ apiSecretKey: SECRET });
    expect(source.name).toBe('shopify');
    const verdict = await source.webhook!.receive(signed('orders/paid', BIG_ORDER));
    expect(events(verdict)[0]!.orderId).toBe('5678901234567890123');
    const other = createShopifySource({ apiSecretKey: 'another-secret' });
    expect(rejection(await other.webhook!.receive(signed('orders/paid', BIG_ORDER))).status).toBe(401);
  });
});

describe('Shopify webhook receiver: bodies scanned, payloads parsed when read', () => {
  const samples = ['order-paid.json', 'refund-partial.json', 'order-cancelled.json', 'order-paid-final-consumer.json'].map((file) =>
    readFileSync(new URL(`../../connectors/shopify/samples/${file}`, import.meta.url), 'utf8'),
  );
  const topics = ['orders/paid', 'refunds/create', 'orders/cancelled', 'orders/paid'];

  it('scans a body instead of parsing it: the payload is what the exact parser reads, parsed from the text the store keeps', async () => {
    // The last body has an id written 5.0: the scan leaves it to the exact parser, which reads it whole.
    const cases = [...samples.map((body, i) => [topics[i]!, body] as const), ['orders/paid', BIG_ORDER] as const, ['orders/paid', '{"id":42,"customer":{"id":5.0}}'] as const];
    for (const [topic, body] of cases) {
      const request = signed(topic, body, { eventId: 'ev-same' });
      const [fromBytes] = events(await receiver.receive({ ...request, rawBytes: Buffer.from(body) }));
      const [fromText] = events(await receiver.receive(request));
      expect({ ...fromBytes }).toStrictEqual({ ...fromText });
      expect(fromBytes!.payload).toStrictEqual(parseShopifyJson(body));
      if (body.includes('5.0')) expect(fromBytes!.payloadText).toBeUndefined();
      else expect(JSON.parse(fromBytes!.payloadText!)).toStrictEqual(parseShopifyJson(body));
    }
  });

  it('routes a scanned body exactly as a parsed one: every member the event is made from is among those the scan reads', async () => {
    // The same body with one member the scan leaves to the exact parser, which then reads it whole.
    const withUnsafeInteger = (body: string) => body.replace(/}\s*$/, ',"zz_weight":9007199254740993}');
    // A cancellation updated after it happened: only cancelled_at says when.
    const lateUpdate = '{"id":5678901234567890123,"cancelled_at":"2026-03-22T11:30:00-05:00","updated_at":"2026-03-23T08:00:00-05:00","total_price":"10.00","refunds":[]}';
    const cases = [
      ...samples.map((body, i) => [topics[i]!, body] as const),
      ['orders/cancelled', lateUpdate] as const,
      ['orders/edited', '{"order_edit":{"id":9,"order_id":5678901234567890123,"created_at":"2026-03-22T11:30:00-05:00"}}'] as const,
      ['orders/updated', '{"id":5678901234567890123,"updated_at":"2026-03-23T08:00:00-05:00","current_total_price":"12.00","refunds":[]}'] as const,
    ];
    for (const [topic, body] of cases) {
      // Without X-Shopify-Triggered-At the body's own timestamps say when it happened.
      for (const withHeader of [true, false]) {
        const request = (text: string) => {
          const delivery = signed(topic, text, { eventId: 'ev-route', webhookId: 'wh-route', triggeredAt: '2026-03-14T15:21:40.000Z' });
          if (!withHeader) delete delivery.headers['X-Shopify-Triggered-At'];
          return delivery;
        };
        const scanned = events(await receiver.receive(request(body)));
        const parsed = events(await receiver.receive(request(withUnsafeInteger(body))));
        expect(scanned[0]!.payloadText).toBeDefined();
        expect(parsed[0]!.payloadText).toBeUndefined();
        const routing = (event: ShopifyWebhookEvent) => {
          const { payload: _payload, payloadText: _text, ...rest } = event;
          return rest;
        };
        expect(scanned.map(routing)).toStrictEqual(parsed.map(routing));
      }
    }
  });

  it('a payload parsed when read can still be replaced', async () => {
    const [event] = events(await receiver.receive({ ...signed('orders/paid', BIG_ORDER), rawBytes: Buffer.from(BIG_ORDER) }));
    expect((event!.payload as { id: string }).id).toBe('5678901234567890123');
    event!.payload = { id: 'replaced' };
    expect(event!.payload).toEqual({ id: 'replaced' });
    // Its text was the old payload's: the inbox must not store that.
    expect(event!.payloadText).toBeUndefined();
  });
});

describe('Shopify webhook receiver: rejected deliveries', () => {
  it('answers 401 to a tampered body', async () => {
    const request = signed('orders/paid', BIG_ORDER);
    const tampered = request.rawBody.replace('"#1001"', '"#1002"');
    const verdict = rejection(await receiver.receive({ ...request, rawBody: tampered }));
    expect(verdict.status).toBe(401);
    expect(verdict.error).toContain('X-Shopify-Hmac-Sha256');
  });

  it('answers 401 to a delivery signed with another secret, and never echoes either secret', async () => {
    const body = BIG_ORDER;
    const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body, secret: 'wrong-secret' });
    const verdict = rejection(await receiver.receive({ rawBody: body, headers }));
    expect(verdict.status).toBe(401);
    expect(verdict.error).not.toContain(SECRET);
    expect(verdict.error).not.toContain('wrong-secret');
  });

  it('answers 400 naming X-Shopify-Topic when the topic header is missing', async () => {
    const request = signed('orders/paid', BIG_ORDER);
    delete request.headers['X-Shopify-Topic'];
    const verdict = rejection(await receiver.receive(request));
    expect(verdict).toEqual({ status: 400, error: 'Missing required Shopify webhook header(s): X-Shopify-Topic' });
  });

  it('names every missing header at once', async () => {
    const request = signed('orders/paid', BIG_ORDER);
    delete request.headers['X-Shopify-Shop-Domain'];
    delete request.headers['X-Shopify-Webhook-Id'];
    const verdict = rejection(await receiver.receive(request));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('X-Shopify-Shop-Domain');
    expect(verdict.error).toContain('X-Shopify-Webhook-Id');
  });

  it('answers 400 naming the HMAC header when it is missing', async () => {
    const request = signed('orders/paid', BIG_ORDER);
    delete request.headers['X-Shopify-Hmac-Sha256'];
    expect(rejection(await receiver.receive(request))).toEqual({
      status: 400,
      error: 'Missing required Shopify webhook header: X-Shopify-Hmac-Sha256',
    });
  });

  it('answers 400 to an empty body and to a body that is not text', async () => {
    expect(rejection(await receiver.receive(signed('orders/paid', ''))).status).toBe(400);
    const notText = { rawBody: undefined as unknown as string, headers: signed('orders/paid', '{}').headers };
    const verdict = rejection(await receiver.receive(notText));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('express.text');
  });

  it('answers 400 to malformed JSON that carries a valid HMAC, without quoting the body', async () => {
    const body = '{"id":6123456789012,"note_attributes":[{"name":"NIT","value":"900373115-3"}],}';
    const verdict = rejection(await receiver.receive(signed('orders/paid', body)));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('not acceptable JSON');
    expect(verdict.error).not.toContain('900373115');
  });

  it('answers 400 to nesting deeper than 64 levels', async () => {
    const body = `{"id":1,"x":${'['.repeat(64)}${']'.repeat(64)}}`;
    const verdict = rejection(await receiver.receive(signed('orders/paid', body)));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('deeper than 64');
  });

  it('answers 400 to an array longer than 10,000 elements', async () => {
    const body = `{"id":1,"line_items":[${new Array(10_001).fill('{}').join(',')}]}`;
    const verdict = rejection(await receiver.receive(signed('orders/paid', body)));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('more than 10000 elements');
  });

  it('answers 413 to a body over 2 MiB, even with a valid signature', async () => {
    const body = `{"id":1,"note":"${'a'.repeat(2 * 1024 * 1024)}"}`;
    const verdict = rejection(await receiver.receive(signed('orders/paid', body)));
    expect(verdict.status).toBe(413);
    expect(verdict.error).toContain('2097152');
  });

  it('answers 400 when the body of an order topic has no usable order id', async () => {
    for (const [topic, body, fragment] of [
      ['orders/paid', '{"name":"#1001"}', '`id`'],
      ['orders/paid', '{"id":"abc"}', '`id`'],
      ['orders/paid', '[1,2]', 'JSON object'],
      ['refunds/create', '{"id":1012345678901}', 'order_id'],
      ['refunds/create', '{"order_id":6123456789012}', 'refund id'],
      ['orders/edited', '{"order_edit":{"id":1}}', 'order_edit.order_id'],
    ] as const) {
      const verdict = rejection(await receiver.receive(signed(topic, body)));
      expect(verdict.status).toBe(400);
      expect(verdict.error).toContain(fragment);
    }
  });

  it('answers 400 when the shop domain header is not a Shopify shop domain', async () => {
    const body = BIG_ORDER;
    const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 'evil.example.com', body, secret: SECRET });
    const verdict = rejection(await receiver.receive({ rawBody: body, headers }));
    expect(verdict.status).toBe(400);
    expect(verdict.error).toContain('X-Shopify-Shop-Domain');
  });

  it('refuses to start without an API secret key, or with an API version the library does not know', () => {
    expect(() => createShopifyWebhookReceiver({ apiSecretKey: '' })).toThrow(/apiSecretKey is required/);
    expect(() => createShopifyWebhookReceiver({ apiSecretKey: SECRET, apiVersion: '2019-04' })).toThrow(/2019-04/);
  });
});

describe('Shopify webhook receiver: what a change to an order says', () => {
  it('orders/updated names the change by updated_at and states the charged total, refunds added back', async () => {
    const body = JSON.stringify({
      id: 6123456789012,
      updated_at: '2026-03-15T09:00:00-05:00',
      total_price: '420660.42',
      current_total_price: '300000.10',
      refunds: [
        { id: 1, transactions: [{ kind: 'refund', status: 'success', amount: '148417.18' }, { kind: 'refund', status: 'failure', amount: '999.00' }] },
      ],
    });
    const [event] = events(await receiver.receive(signed('orders/updated', body)));
    expect(event).toMatchObject({ kind: 'order.updated', editId: '2026-03-15T14:00:00.000Z', orderTotal: '448417.28' });
  });

  it('an order without a readable total states none, so no debit note is ever inferred from it', async () => {
    const body = JSON.stringify({ id: 6123456789012, updated_at: '2026-03-15T09:00:00-05:00', current_total_price: 'n/a' });
    const [event] = events(await receiver.receive(signed('orders/updated', body)));
    expect(event!.orderTotal).toBeUndefined();
  });

  it('marks test orders, and — when the source can complete them — the events that invoice an order', async () => {
    const body = JSON.stringify({ id: 6123456789012, test: true, updated_at: '2026-03-15T09:00:00-05:00', total_price: '1.00' });
    const [plain] = events(await receiver.receive(signed('orders/paid', body)));
    expect(plain).toMatchObject({ test: true });
    expect(plain!.needsCompletion).toBeUndefined();
    const completing = createShopifyWebhookReceiver({ apiSecretKey: SECRET, completeOrders: true });
    for (const topic of ['orders/paid', 'orders/create', 'orders/fulfilled']) {
      const [event] = events(await completing.receive(signed(topic, body)));
      expect(event).toMatchObject({ needsCompletion: true });
    }
    const [cancelled] = events(await completing.receive(signed('orders/cancelled', body)));
    expect(cancelled!.needsCompletion).toBeUndefined();
  });

  it('a refund states the money it gave back: successful refund transactions only', async () => {
    const body = (transactions: unknown[]) => JSON.stringify({ id: 77, order_id: 6123456789012, transactions });
    const [paid] = events(await receiver.receive(signed('refunds/create', body([
      { kind: 'refund', status: 'success', amount: '100.10' },
      { kind: 'refund', status: 'failure', amount: '999.00' },
      { kind: 'refund', status: 'success', amount: '0.90' },
    ]))));
    expect(paid).toMatchObject({ kind: 'order.refunded', refundId: '77', refundAmount: '101' });
    const [restock] = events(await receiver.receive(signed('refunds/create', body([]))));
    expect(restock!.refundAmount).toBe('0');
    const [unsaid] = events(await receiver.receive(signed('refunds/create', JSON.stringify({ id: 78, order_id: 6123456789012 }))));
    expect(unsaid!.refundAmount).toBeUndefined();
  });

  it('orders/edited names the change by the edit id and states no total (its body is not the order)', async () => {
    const body = JSON.stringify({ order_edit: { id: 991, order_id: 6123456789012, created_at: '2026-03-15T09:00:00-05:00' } });
    const [event] = events(await receiver.receive(signed('orders/edited', body)));
    expect(event).toMatchObject({ kind: 'order.edited', orderId: '6123456789012', editId: '991' });
    expect(event!.orderTotal).toBeUndefined();
  });
});
