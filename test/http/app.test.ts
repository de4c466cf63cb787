/**
 * The HTTP layer as Shopify and an admin meet it: createHttpApp with the real store, inbox and
 * Shopify source, listening on loopback. Admin routes need the bearer token; webhooks are answered
 * 2xx only once the event is stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createShopifySource, shopifyWebhookHeaders } from '../../connectors/shopify/index.js';
import { SAMPLE_PAID_ORDER, SAMPLE_SHOP, buildOrder, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import { createHttpApp } from '../../src/http/app.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import type { Store } from '../../src/store/store.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { ManualClock, ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from '../pipeline/harness.js';

const SECRET = 'http-test-shopify-secret';
const ADMIN_TOKEN = 'http-test-admin-token-0123456789';
const MAX_BODY_BYTES = 32 * 1024;
const ORDER_BODY = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));

let temp: TempStore;
let server: Loopback;
let baseUrl: string;
let stored: number;

/** Starts the app; `inboxStore` lets a test put something between the inbox and the store. */
async function start(inboxStore?: (store: Store) => Store): Promise<void> {
  temp = await openTempStore(new ManualClock().now);
  const connections = new Connections([connectionFor(new ScriptedTarget())]);
  const inbox = new Inbox(inboxStore ? inboxStore(temp.store) : temp.store, connections, silentLog);
  stored = 0;
  const app = createHttpApp({
    store: temp.store,
    inbox,
    sources: { shopify: createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01' }) },
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: MAX_BODY_BYTES,
    log: silentLog,
    onStored: () => {
      stored++;
    },
  });
  server = await listenOnLoopback(app);
  baseUrl = server.url;
}

afterEach(async () => {
  await server.close();
  await temp.close();
});

function deliver(body: string, options: { eventId?: string; secret?: string; path?: string; topic?: string } = {}): Promise<Response> {
  const headers = shopifyWebhookHeaders({
    topic: options.topic ?? 'orders/paid',
    shop: SAMPLE_SHOP,
    body,
    secret: options.secret ?? SECRET,
    eventId: options.eventId ?? `evt-${Math.random().toString(36).slice(2)}`,
  });
  return fetch(`${baseUrl}${options.path ?? '/webhooks/shopify'}`, { method: 'POST', headers, body });
}

/** `null`: no Authorization header at all. */
function admin(path: string, authorization: string | null = `Bearer ${ADMIN_TOKEN}`): Promise<Response> {
  return fetch(`${baseUrl}${path}`, authorization === null ? {} : { headers: { authorization } });
}

describe('admin API', () => {
  beforeEach(() => start());

  const ROUTES = ['/api/events', '/api/events/evt_unknown', '/api/documents', '/api/documents/doc_unknown', '/api/batches'];

  it.each(ROUTES)('%s refuses a request without the token, with a wrong one, or with another scheme', async (route) => {
    for (const authorization of [null, 'Bearer wrong-token', `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN, 'Bearer ']) {
      const response = await admin(route, authorization);
      expect(response.status, `${route} with ${authorization ?? 'no authorization'}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('unauthorized');
      expect(body.message).not.toContain(ADMIN_TOKEN);
    }
  });

  it('answers with the token', async () => {
    await deliver(ORDER_BODY);
    const events = await admin('/api/events');
    expect(events.status).toBe(200);
    const { events: list } = (await events.json()) as { events: { id: string; orderId: string }[] };
    expect(list.map((e) => e.orderId)).toEqual([SAMPLE_PAID_ORDER.id.toString()]);
    const one = await admin(`/api/events/${list[0]!.id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(list[0]!.id);
    expect(await (await admin('/api/documents')).json()).toEqual({ documents: [] });
    expect(await (await admin('/api/batches?status=completed&limit=5')).json()).toEqual({ batches: [] });
  });

  it('an unknown route under /api is refused without the token (no route discovery), and 404 with it', async () => {
    expect((await admin('/api/secrets', null)).status).toBe(401);
    const response = await admin('/api/secrets');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'not_found' });
  });

  it.each([
    ['/api/events?limit=0', 'limit'],
    ['/api/events?limit=abc', 'limit'],
    ['/api/events?limit=1001', 'limit'],
    ['/api/events?limit=2.5', 'limit'],
    ['/api/events?status=done', 'status'],
    ['/api/documents?status=sent', 'status'],
    ['/api/documents?kind=receipt', 'kind'],
    ['/api/batches?status=lost', 'status'],
    ['/api/documents?colour=blue', 'colour'],
  ])('%s is a 400 that names %s', async (route, field) => {
    const response = await admin(route);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('bad_query');
    expect(body.message).toContain(field);
  });

  it('GET /api/documents/:id and /api/events/:id of unknown ids are 404 JSON', async () => {
    for (const route of ['/api/documents/doc_01nothere', '/api/events/evt_01nothere']) {
      const response = await admin(route);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await response.json()) as { error: string; message: string };
      expect(body.error).toBe('not_found');
      expect(body.message).toContain(route.split('/').pop()!);
    }
  });
});

describe('webhooks', () => {
  it('for an unknown source are 404 JSON, and nothing is stored', async () => {
    await start();
    const response = await deliver(ORDER_BODY, { path: '/webhooks/woocommerce' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'unknown_source' });
    // A name that exists on every object is not a source either.
    expect((await deliver(ORDER_BODY, { path: '/webhooks/constructor' })).status).toBe(404);
    expect(await temp.store.listEvents()).toEqual([]);
  });

  it('over maxBodyBytes are 413 JSON, and nothing is stored', async () => {
    await start();
    const body = JSON.stringify({ id: 1, note: 'x'.repeat(MAX_BODY_BYTES) });
    const response = await deliver(body);
    expect(response.status).toBe(413);
    const json = (await response.json()) as { error: string; message: string };
    expect(json.error).toBe('payload_too_large');
    expect(json.message).toContain(String(MAX_BODY_BYTES));
    expect(await temp.store.listEvents()).toEqual([]);
    expect(stored).toBe(0);
  });

  it('with a bad signature are 401, and nothing is stored', async () => {
    await start();
    const response = await deliver(ORDER_BODY, { secret: 'another-secret' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_signature' });
    expect(await temp.store.listEvents()).toEqual([]);
  });

  it('a valid delivery is answered 200 only once its event is in the store', async () => {
    let releaseWrite!: () => void;
    const writeMayFinish = new Promise<void>((resolve) => (releaseWrite = resolve));
    let writeStarted!: () => void;
    const writing = new Promise<void>((resolve) => (writeStarted = resolve));
    // The inbox's store write is held until the test lets it finish.
    await start((store) => ({
      recordEvent: async (...args: Parameters<Store['recordEvent']>) => {
        writeStarted();
        await writeMayFinish;
        return store.recordEvent(...args);
      },
    }) as unknown as Store);

    let answered = false;
    const responding = deliver(ORDER_BODY, { eventId: 'evt-held' }).then((response) => {
      answered = true;
      return response;
    });
    await writing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);

    releaseWrite();
    const response = await responding;
    expect(response.status).toBe(200);
    const body = (await response.json()) as { received: { eventId: string; duplicate: boolean; status: string }[] };
    expect(body.received).toEqual([{ eventId: expect.any(String), duplicate: false, status: 'received' }]);
    const event = await temp.store.getEvent(body.received[0]!.eventId);
    expect(event).toMatchObject({
      kind: 'order.paid',
      source: `shopify:${SAMPLE_SHOP}`,
      orderId: SAMPLE_PAID_ORDER.id.toString(),
      dedupeKey: `shopify:${SAMPLE_SHOP}|evt-held`,
      connectionId: 'shop',
      deliveries: 1,
    });
    // Ids reach the store as exact strings.
    expect((event!.payload as { id: unknown }).id).toBe(SAMPLE_PAID_ORDER.id.toString());
    expect(stored).toBe(1);
  });

  it('a delivery the store could not keep is not acknowledged', async () => {
    await start(() => ({
      recordEvent: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
    }) as unknown as Store);
    const response = await deliver(ORDER_BODY);
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('internal');
    expect(body.message).not.toContain('ENOSPC');
    expect(stored).toBe(0);
  });

  it('a duplicate delivery is 200 with duplicate:true, counted in deliveries, and does not poke the pipeline again', async () => {
    await start();
    const first = await deliver(ORDER_BODY, { eventId: 'evt-twice' });
    const second = await deliver(ORDER_BODY, { eventId: 'evt-twice' });
    expect([first.status, second.status]).toEqual([200, 200]);
    const a = (await first.json()) as { received: { eventId: string; duplicate: boolean }[] };
    const b = (await second.json()) as { received: { eventId: string; duplicate: boolean }[] };
    expect(a.received[0]!.duplicate).toBe(false);
    expect(b.received[0]).toMatchObject({ eventId: a.received[0]!.eventId, duplicate: true });
    const events = await temp.store.listEvents();
    expect(events).toHaveLength(1);
    expect(events[0]!.deliveries).toBe(2);
    expect(stored).toBe(1);
  });
});
