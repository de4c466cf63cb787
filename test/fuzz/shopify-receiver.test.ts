/**
 * Fuzzing the Shopify webhook receiver with random bytes, random JSON, hostile JSON (deep, long,
 * prototype keys) and random header sets, both signed and unsigned:
 *   - the receiver never throws; a refusal is 400, 401 or 413 with a message that says what is wrong;
 *   - a wrong or missing signature is refused before the body is looked at;
 *   - through the HTTP app, over a real store and inbox: a refused delivery stores nothing, an
 *     accepted one stores exactly its events, and the server never answers 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShopifySource, shopifyWebhookHeaders, signShopifyWebhook } from '../../connectors/shopify/index.js';
import { SAMPLE_PAID_ORDER, buildOrder, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { createHttpListener } from '../../src/http/app.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from '../pipeline/harness.js';

const SECRET = 'fuzz-shopify-secret';
const SHOP = 'fuzz-shop.myshopify.com';
const JSON_LIMITS = { maxDepth: 16, maxArrayLength: 50 };
const MAX_BODY = 16 * 1024;
const receiver = createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01', maxBodyBytes: MAX_BODY, jsonLimits: JSON_LIMITS }).webhook!;

const TOPICS = ['orders/paid', 'orders/create', 'orders/cancelled', 'orders/updated', 'orders/edited', 'orders/fulfilled', 'refunds/create', 'app/uninstalled', 'customers/redact'];
const ORDER_BODY = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));

const nested = (depth: number, open: string, close: string, inner = '0') => open.repeat(depth) + inner + close.repeat(depth);

/** Bodies: random text, random JSON, valid orders with a value changed, and hostile shapes. */
const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.json({ maxDepth: 4 }),
  fc.record({ id: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String), fc.string(), fc.integer()), order_id: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.string()) }).map((o) =>
    // Ids as bare JSON numbers, as Shopify writes them, when they are numeric.
    JSON.stringify(o).replace(/"(\d+)"/g, '$1'),
  ),
  fc.tuple(fc.nat(ORDER_BODY.length - 1), fc.string({ maxLength: 8 }), fc.nat(8)).map(([at, insert, cut]) => ORDER_BODY.slice(0, at) + insert + ORDER_BODY.slice(at + cut)),
  fc.integer({ min: 1, max: 200 }).map((d) => nested(d, '[', ']')),
  fc.integer({ min: 1, max: 200 }).map((d) => nested(d, '{"a":', '}', '{"id":1}')),
  fc.integer({ min: 1, max: 120 }).map((n) => `{"id":1,"line_items":[${Array.from({ length: n }, () => '{}').join(',')}]}`),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '[]',
    '"text"',
    '{"__proto__":{"polluted":true},"id":1}',
    '{"constructor":{"prototype":{"polluted":true}},"id":1}',
    '{"id":1e999}',
    '{"id":-0}',
    '{"id":"\\ud800"}',
    '{"id":1}x',
    `{"id":1,"pad":"${'x'.repeat(MAX_BODY)}"}`,
  ),
);

const headerValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '\u0000', 'ü'));

interface Delivery {
  body: string;
  signature: 'valid' | 'wrong' | 'missing' | 'random';
  topic: string;
  domain: string;
  apiVersion: string | undefined;
  webhookId: string | undefined;
  eventId: string | undefined;
  extra: Record<string, string>;
}

/** Mostly a real order (so deliveries get past the signature and reach the parser), else anything. */
const orderBody = fc.oneof(
  { arbitrary: fc.constant(ORDER_BODY), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 2 ** 52 }).map((id) => ORDER_BODY.replace(/"id":\d+/, `"id":${id}`)), weight: 2 },
  { arbitrary: body, weight: 5 },
);

const delivery: fc.Arbitrary<Delivery> = fc.record({
  body: orderBody,
  signature: fc.constantFrom('valid', 'valid', 'valid', 'wrong', 'missing', 'random'),
  topic: fc.oneof({ arbitrary: fc.constantFrom(...TOPICS), weight: 4 }, { arbitrary: headerValue, weight: 1 }),
  domain: fc.oneof({ arbitrary: fc.constant(SHOP), weight: 4 }, { arbitrary: fc.constant('OTHER.myshopify.com '), weight: 1 }, { arbitrary: headerValue, weight: 1 }),
  apiVersion: fc.option(fc.oneof(fc.constant('2026-01'), headerValue), { nil: undefined }),
  webhookId: fc.option(fc.oneof(fc.uuid(), headerValue), { nil: undefined }),
  eventId: fc.option(fc.oneof(fc.uuid(), headerValue), { nil: undefined }),
  extra: fc.dictionary(fc.stringMatching(/^x-shopify-[a-z-]{1,12}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
});

function headersOf(d: Delivery): Record<string, string> {
  const headers: Record<string, string> = { ...d.extra, 'x-shopify-topic': d.topic, 'x-shopify-shop-domain': d.domain };
  if (d.apiVersion !== undefined) headers['x-shopify-api-version'] = d.apiVersion;
  if (d.webhookId !== undefined) headers['x-shopify-webhook-id'] = d.webhookId;
  if (d.eventId !== undefined) headers['x-shopify-event-id'] = d.eventId;
  if (d.signature === 'valid') headers['x-shopify-hmac-sha256'] = signShopifyWebhook(d.body, SECRET);
  if (d.signature === 'wrong') headers['x-shopify-hmac-sha256'] = signShopifyWebhook(d.body, 'another-secret');
  if (d.signature === 'random') headers['x-shopify-hmac-sha256'] = Buffer.from(d.body.slice(0, 32)).toString('base64') || 'AA==';
  return headers;
}

function checkRefusal(verdict: { ok: false; status: number; error: string }): void {
  expect([400, 401, 413]).toContain(verdict.status);
  expect(typeof verdict.error).toBe('string');
  // A sentence, not a code or a stack: says what was wrong.
  expect(verdict.error.length).toBeGreaterThan(15);
  expect(verdict.error).not.toMatch(/\n\s+at /);
}

describe('Shopify receiver, called directly', () => {
  it('never throws; refuses with 400/401/413 and a clear message; accepts only signed deliveries', async () => {
    await fc.assert(
      fc.asyncProperty(delivery, async (d) => {
        const verdict = await receiver.receive({ rawBody: d.body, headers: headersOf(d) });
        if (!verdict.ok) {
          checkRefusal(verdict);
          if (d.signature === 'wrong' && d.body.length > 0 && Buffer.byteLength(d.body) <= MAX_BODY) expect(verdict.status).toBe(401);
          return;
        }
        expect(d.signature).toBe('valid');
        for (const event of verdict.events) {
          expect(event.orderId).toMatch(/^[0-9]+$/);
          expect(event.source).toMatch(/^shopify:[a-z0-9][a-z0-9-]*\.myshopify\.com$/);
          expect(typeof event.deliveryId).toBe('string');
        }
      }),
      { numRuns: 800 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  it('refuses JSON beyond the depth and array limits with a message naming the limit', async () => {
    const headers = (b: string) => shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body: b, secret: SECRET });
    const deep = `{"id":1,"x":${nested(JSON_LIMITS.maxDepth + 1, '[', ']')}}`;
    const long = `{"id":1,"x":[${Array.from({ length: JSON_LIMITS.maxArrayLength + 1 }, () => '0').join(',')}]}`;
    for (const [b, pattern] of [
      [deep, /deep|depth|nest/i],
      [long, /array|element|long/i],
    ] as const) {
      const verdict = await receiver.receive({ rawBody: b, headers: headers(b) });
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.status).toBe(400);
        expect(verdict.error).toMatch(pattern);
      }
    }
  });
});

describe('Shopify receiver, through the HTTP listener over a real store', () => {
  let temp: TempStore;
  let server: Loopback;
  let url: string;

  beforeAll(async () => {
    temp = await openTempStore(() => new Date());
    const connections = new Connections([connectionFor(new ScriptedTarget(), { shop: SHOP })]);
    // The listener the server uses: webhook deliveries take its front door, the rest express.
    const { listener } = createHttpListener({
      store: temp.store,
      inbox: new Inbox(temp.store, connections, silentLog),
      sources: { shopify: createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01', jsonLimits: JSON_LIMITS }) },
      adminToken: 'fuzz-admin-token',
      maxBodyBytes: MAX_BODY,
      log: silentLog,
      onStored: () => undefined,
    });
    server = await listenOnLoopback(listener);
    url = server.url;
  });

  afterAll(async () => {
    await server.close();
    await temp.close();
  });

  const stored = async () => (await temp.store.listEvents({ limit: 1000 })).reduce((n, e) => n + e.deliveries, 0);

  it('stores nothing for a refused delivery, exactly its events for an accepted one, and never answers 5xx', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(delivery, async (d) => {
        const before = await stored();
        // fetch sends header values as ByteStrings: keep the ones it can send.
        const headers = Object.fromEntries(Object.entries(headersOf(d)).filter(([, v]) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v) && v.trim() === v));
        const response = await fetch(`${url}/webhooks/shopify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: d.body });
        const answer = (await response.json()) as { error?: string; message?: string; received?: unknown[] };
        const after = await stored();
        expect(response.status).toBeLessThan(500);
        if (response.status === 200) {
          accepted++;
          expect(after - before).toBe(answer.received!.length);
        } else {
          expect([400, 401, 404, 413]).toContain(response.status);
          expect(answer.message?.length ?? 0).toBeGreaterThan(15);
          expect(after).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
    // The property was exercised on both sides.
    expect(accepted).toBeGreaterThan(3);
  }, 60_000);

  it('answers 413 to a body over the limit before reading it, and stores nothing', async () => {
    const before = await stored();
    const big = `{"id":1,"pad":"${'x'.repeat(MAX_BODY + 10)}"}`;
    const response = await fetch(`${url}/webhooks/shopify`, {
      method: 'POST',
      headers: shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body: big, secret: SECRET }),
      body: big,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toMatch(/larger than the 16384 bytes/);
    expect(await stored()).toBe(before);
  });
});
