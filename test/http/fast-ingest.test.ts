/**
 * Webhook deliveries reach one handler (webhookHandler) through two doors: the lean node:http front
 * door the server listens with (createHttpListener → src/http/ingest.ts) and the express routes
 * (createHttpApp alone, and whatever the front door leaves). Every behaviour a sender can see is
 * checked through both doors; then what the front door takes and what it leaves to express.
 */
import { gzipSync } from 'node:zlib';
import type { RequestListener } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createShopifySource, shopifyWebhookHeaders } from '../../connectors/shopify/index.js';
import { SAMPLE_PAID_ORDER, SAMPLE_SHOP, buildOrder, toShopifyJson } from '../../connectors/shopify/samples/index.js';
import type { SourceConnector, TargetCallbackVerdict, WebhookRequest } from '../../src/connector.js';
import { createHttpApp, createHttpListener, type HttpAppDeps } from '../../src/http/app.js';
import { webhookFrontDoor, webhookPath, withFrontDoor } from '../../src/http/ingest.js';
import { webhookHandler } from '../../src/http/webhooks.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import type { Store } from '../../src/store/store.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { ManualClock, ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from '../pipeline/harness.js';

const SECRET = 'fast-ingest-shopify-secret';
const ADMIN_TOKEN = 'fast-ingest-admin-token-0123456789';
const MAX_BODY_BYTES = 32 * 1024;
const ORDER_BODY = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));

/** A source whose secret is per connection, as WooCommerce's is: it records what it was given. */
function perConnectionSource(seen: WebhookRequest[]): SourceConnector {
  return {
    name: 'perconn',
    webhook: {
      async receive(request) {
        seen.push(request);
        if (request.headers['x-perconn-key'] !== `key-of-${request.params?.connection}`) return { ok: false, status: 401, error: 'wrong key for this connection' };
        const body = JSON.parse(request.rawBody) as { id: string };
        return {
          ok: true,
          events: [{ source: `perconn:${request.params!.connection}`, kind: 'order.paid', topic: 'order.paid', deliveryId: `d-${body.id}`, orderId: body.id, payload: body }],
        };
      },
    },
  };
}

/** A target that calls back: signs with a header, names documents it has a verdict for. */
class CallingBackTarget extends ScriptedTarget {
  callback(request: WebhookRequest): TargetCallbackVerdict {
    if (request.headers['x-callback-signature'] !== 'good') return { ok: false, status: 401, error: 'bad callback signature' };
    const body = JSON.parse(request.rawBody) as { event: string; key: string };
    return { ok: true, eventId: body.event, results: [{ idempotencyKey: body.key, outcome: { status: 'issued', fiscalNumber: 'SETP990000001' } as never }] };
  }
}

type Door = 'front door' | 'express routes';

interface Running {
  url: string;
  temp: TempStore;
  pokes: () => number;
  applied: string[];
  perConnection: WebhookRequest[];
  /** Requests that reached the express app (front-door servers only count them). */
  expressSaw: string[];
}

let server: Loopback | undefined;
let temp: TempStore | undefined;

afterEach(async () => {
  await server?.close();
  await temp?.close();
  server = undefined;
  temp = undefined;
});

async function listen(listener: RequestListener): Promise<string> {
  server = await listenOnLoopback(listener);
  return server.url;
}

/** Puente's HTTP layer over a real store, through the given door; `inboxStore` may wrap the store. */
async function start(door: Door, inboxStore?: (store: Store) => Store): Promise<Running> {
  temp = await openTempStore(new ManualClock().now);
  const connections = new Connections([connectionFor(new CallingBackTarget())]);
  let pokes = 0;
  const applied: string[] = [];
  const perConnection: WebhookRequest[] = [];
  const expressSaw: string[] = [];
  const deps: HttpAppDeps = {
    store: temp.store,
    inbox: new Inbox(inboxStore ? inboxStore(temp.store) : temp.store, connections, silentLog),
    sources: { shopify: createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01' }), perconn: perConnectionSource(perConnection) },
    adminToken: ADMIN_TOKEN,
    maxBodyBytes: MAX_BODY_BYTES,
    log: silentLog,
    onStored: () => {
      pokes++;
    },
    callbacks: {
      connections,
      apply: async (key) => {
        applied.push(key);
        return true;
      },
    },
  };
  let listener: RequestListener;
  if (door === 'front door') {
    // Composed as createHttpListener composes it (its own test is below), with a look at what gets past.
    const webhooks = webhookHandler(deps);
    const app = createHttpApp(deps, webhooks);
    listener = withFrontDoor(webhookFrontDoor(webhooks, MAX_BODY_BYTES), (req, res) => {
      expressSaw.push(`${req.method} ${req.url}`);
      app(req, res);
    });
  } else {
    listener = createHttpApp(deps) as unknown as RequestListener;
  }
  const url = await listen(listener);
  return { url, temp, pokes: () => pokes, applied, perConnection, expressSaw };
}

function shopifyHeaders(body: string, options: { eventId?: string; secret?: string; topic?: string } = {}): Record<string, string> {
  return shopifyWebhookHeaders({
    topic: options.topic ?? 'orders/paid',
    shop: SAMPLE_SHOP,
    body,
    secret: options.secret ?? SECRET,
    eventId: options.eventId ?? `evt-${Math.random().toString(36).slice(2)}`,
  });
}

function deliver(url: string, body: string, options: { eventId?: string; secret?: string; path?: string; topic?: string } = {}): Promise<Response> {
  return fetch(`${url}${options.path ?? '/webhooks/shopify'}`, { method: 'POST', headers: shopifyHeaders(body, options), body });
}

describe.each<Door>(['front door', 'express routes'])('webhooks through the %s', (door) => {
  it('a valid delivery is answered 200 only once its event is in the store, with the event id', async () => {
    let releaseWrite!: () => void;
    const writeMayFinish = new Promise<void>((resolve) => (releaseWrite = resolve));
    let writeStarted!: () => void;
    const writing = new Promise<void>((resolve) => (writeStarted = resolve));
    const run = await start(door, (store) => ({
      recordEvent: async (...args: Parameters<Store['recordEvent']>) => {
        writeStarted();
        await writeMayFinish;
        return store.recordEvent(...args);
      },
    }) as unknown as Store);

    let answered = false;
    const responding = deliver(run.url, ORDER_BODY, { eventId: 'evt-held' }).then((response) => {
      answered = true;
      return response;
    });
    await writing;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);

    releaseWrite();
    const response = await responding;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await response.json()) as { received: { eventId: string; duplicate: boolean; status: string }[] };
    expect(body).toEqual({ received: [{ eventId: expect.stringMatching(/^evt_/), duplicate: false, status: 'received' }] });
    const event = await run.temp.store.getEvent(body.received[0]!.eventId);
    expect(event).toMatchObject({ kind: 'order.paid', dedupeKey: `shopify:${SAMPLE_SHOP}|evt-held`, connectionId: 'shop', deliveries: 1 });
    expect((event!.payload as { id: unknown }).id).toBe(SAMPLE_PAID_ORDER.id.toString());
    expect(run.pokes()).toBe(1);
  });

  it('a duplicate is 200 with duplicate:true and the first event id, counted, and does not poke the pipeline again', async () => {
    const run = await start(door);
    const first = (await (await deliver(run.url, ORDER_BODY, { eventId: 'evt-twice' })).json()) as { received: { eventId: string; duplicate: boolean }[] };
    const second = await deliver(run.url, ORDER_BODY, { eventId: 'evt-twice' });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ received: [{ eventId: first.received[0]!.eventId, duplicate: true, status: 'received' }] });
    const events = await run.temp.store.listEvents();
    expect(events.map((e) => e.deliveries)).toEqual([2]);
    expect(run.pokes()).toBe(1);
  });

  it('a bad signature is 401 JSON and nothing is stored', async () => {
    const run = await start(door);
    const response = await deliver(run.url, ORDER_BODY, { secret: 'another-secret' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_signature', message: expect.stringContaining('X-Shopify-Hmac-Sha256') });
    expect(await run.temp.store.listEvents()).toEqual([]);
  });

  it('a signed body that is not JSON is 400 JSON and nothing is stored', async () => {
    const run = await start(door);
    const response = await deliver(run.url, '{"id": 1,');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_delivery', message: expect.stringContaining('not acceptable JSON') });
    expect(await run.temp.store.listEvents()).toEqual([]);
  });

  it('a delivery with no body at all is 400, not a crash', async () => {
    const run = await start(door);
    const response = await fetch(`${run.url}/webhooks/shopify`, { method: 'POST', headers: { 'x-shopify-hmac-sha256': 'AAAA' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_delivery', message: expect.stringContaining('empty') });
  });

  it('over maxBodyBytes is 413 JSON naming the limit, whether the length is declared or streamed, and nothing is stored', async () => {
    const run = await start(door);
    const big = JSON.stringify({ id: 1, note: 'x'.repeat(MAX_BODY_BYTES) });
    const declared = await deliver(run.url, big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: 'payload_too_large', message: `the body is larger than the ${MAX_BODY_BYTES} bytes this endpoint accepts` });

    // No Content-Length: the body arrives chunked and the limit is found while reading.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
        controller.close();
      },
    });
    const streamed = await fetch(`${run.url}/webhooks/shopify`, { method: 'POST', headers: shopifyHeaders(big), body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ error: 'payload_too_large' });

    // A body of exactly the limit is read and judged on its merits (an array is not an order: 400).
    const exact = JSON.stringify(['y'.repeat(MAX_BODY_BYTES - 4)]);
    expect(Buffer.byteLength(exact)).toBe(MAX_BODY_BYTES);
    const atLimit = await deliver(run.url, exact);
    expect(atLimit.status).toBe(400);
    expect(await atLimit.json()).toMatchObject({ error: 'invalid_delivery', message: expect.stringContaining('must be a JSON object') });

    expect(await run.temp.store.listEvents()).toEqual([]);
    expect(run.pokes()).toBe(0);
  });

  it('an unknown source is 404 JSON, also for names every object has', async () => {
    const run = await start(door);
    for (const path of ['/webhooks/woocommerce', '/webhooks/constructor', '/webhooks/__proto__']) {
      const response = await deliver(run.url, ORDER_BODY, { path });
      expect(response.status, path).toBe(404);
      expect(await response.json(), path).toMatchObject({ error: 'unknown_source', message: expect.stringContaining(path.split('/')[2]!) });
    }
    expect(await run.temp.store.listEvents()).toEqual([]);
  });

  it('a delivery the store could not keep is 500 without details, and is not acknowledged', async () => {
    const run = await start(door, () => ({
      recordEvent: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
    }) as unknown as Store);
    const response = await deliver(run.url, ORDER_BODY);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'internal', message: 'internal error; see the server log' });
    expect(run.pokes()).toBe(0);
  });

  it('/webhooks/<source>/<connection> hands the connection to the source, which verifies with its key', async () => {
    const run = await start(door);
    const post = (connection: string, key: string, id: string) =>
      fetch(`${run.url}/webhooks/perconn/${connection}?via=test`, { method: 'POST', headers: { 'x-perconn-key': key }, body: JSON.stringify({ id }) });
    const ok = await post('north', 'key-of-north', '7');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ received: [{ eventId: expect.stringMatching(/^evt_/), duplicate: false, status: 'unroutable' }] });
    const wrong = await post('south', 'key-of-north', '8');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'invalid_signature', message: 'wrong key for this connection' });
    expect(run.perConnection.map((r) => r.params)).toEqual([{ connection: 'north' }, { connection: 'south' }]);
    expect((await run.temp.store.listEvents()).map((e) => [e.source, e.orderId])).toEqual([['perconn:north', '7']]);
  });

  it('/webhooks/<target>/<connection> applies a target callback once, refuses a bad signature, 404s an unknown connection', async () => {
    const run = await start(door);
    const post = (path: string, signature: string, event = 'cb-1') =>
      fetch(`${run.url}${path}`, { method: 'POST', headers: { 'x-callback-signature': signature }, body: JSON.stringify({ event, key: 'key-1' }) });
    const first = await post('/webhooks/apidian/shop', 'good');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: 'cb-1', applied: 1 });
    const again = await post('/webhooks/apidian/shop', 'good');
    expect(await again.json()).toEqual({ received: 'cb-1', applied: 0, duplicate: true });
    const forged = await post('/webhooks/apidian/shop', 'forged', 'cb-2');
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({ error: 'invalid_signature', message: 'bad callback signature' });
    const unknown = await post('/webhooks/apidian/nope', 'good', 'cb-3');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_connection' });
    expect(run.applied).toEqual(['key-1']);
  });
});

describe('the front door', () => {
  it('takes plain webhook deliveries itself: express never sees them', async () => {
    const run = await start('front door');
    expect((await deliver(run.url, ORDER_BODY)).status).toBe(200);
    expect((await deliver(run.url, ORDER_BODY, { path: '/webhooks/shopify/?x=1' })).status).toBe(200);
    expect((await deliver(run.url, ORDER_BODY, { path: '/webhooks/nope' })).status).toBe(404);
    expect((await deliver(run.url, ORDER_BODY, { path: '/webhooks/apidian/shop' })).status).toBe(401);
    expect(run.expressSaw).toEqual([]);
    expect(await run.temp.store.listEvents()).toHaveLength(2);
  });

  it('leaves everything else to express, which answers as before', async () => {
    const run = await start('front door');
    expect((await fetch(`${run.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${run.url}/api/events`)).status).toBe(401);
    expect((await fetch(`${run.url}/api/events`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${run.url}/webhooks/shopify`)).status).toBe(404);
    expect((await fetch(`${run.url}/webhooks`, { method: 'POST', body: '{}' })).status).toBe(404);
    // Percent-encoded and odd-cased paths are express's to decode and match: same handler, same answers.
    expect((await deliver(run.url, ORDER_BODY, { path: '/webhooks/sho%70ify' })).status).toBe(200);
    expect((await deliver(run.url, ORDER_BODY, { path: '/Webhooks/shopify' })).status).toBe(200);
    expect(run.expressSaw).toEqual(['GET /healthz', 'GET /api/events', 'GET /api/events', 'GET /webhooks/shopify', 'POST /webhooks', 'POST /webhooks/sho%70ify', 'POST /Webhooks/shopify']);
  });

  it('leaves a compressed body to express, which inflates it before the signature is checked', async () => {
    const run = await start('front door');
    const headers = { ...shopifyHeaders(ORDER_BODY, { eventId: 'evt-gzip' }), 'content-encoding': 'gzip' };
    const response = await fetch(`${run.url}/webhooks/shopify`, { method: 'POST', headers, body: gzipSync(ORDER_BODY) });
    expect(response.status).toBe(200);
    expect(run.expressSaw).toEqual(['POST /webhooks/shopify']);
    expect((await run.temp.store.listEvents()).map((e) => e.dedupeKey)).toEqual([`shopify:${SAMPLE_SHOP}|evt-gzip`]);
  });

  it('survives a client that goes away in the middle of a body, and stores nothing for it', async () => {
    const run = await start('front door');
    const { port } = server!;
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nContent-Type: application/json\r\n\r\n{"id":`);
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 20);
      });
      socket.on('error', reject);
    });
    // Still serving, and the half delivery left nothing behind.
    expect((await deliver(run.url, ORDER_BODY)).status).toBe(200);
    expect(await run.temp.store.listEvents()).toHaveLength(1);
  });

  it('is what the server built by createHttpListener answers with', async () => {
    temp = await openTempStore(new ManualClock().now);
    const { listener } = createHttpListener({
      store: temp.store,
      inbox: new Inbox(temp.store, new Connections([connectionFor(new ScriptedTarget())]), silentLog),
      sources: { shopify: createShopifySource({ apiSecretKey: SECRET, apiVersion: '2026-01' }) },
      adminToken: ADMIN_TOKEN,
      maxBodyBytes: MAX_BODY_BYTES,
      log: silentLog,
      onStored: () => undefined,
    });
    const url = await listen(listener);
    const response = await deliver(url, ORDER_BODY);
    expect(response.status).toBe(200);
    // express's res.json adds an ETag; the front door's answer has none, so this one came through it.
    expect(response.headers.get('etag')).toBeNull();
    expect((await fetch(`${url}/healthz`)).headers.get('etag')).not.toBeNull();
    expect(await temp.store.listEvents()).toHaveLength(1);
  });
});

describe('webhookPath', () => {
  it('takes one or two plain segments under /webhooks/, and nothing it would have to decode', () => {
    expect(webhookPath('/webhooks/shopify')).toEqual({ name: 'shopify' });
    expect(webhookPath('/webhooks/shopify/')).toEqual({ name: 'shopify' });
    expect(webhookPath('/webhooks/woocommerce/shop-1?x=%2F')).toEqual({ name: 'woocommerce', connection: 'shop-1' });
    for (const url of ['/webhooks/', '/webhooks', '/webhooks//x', '/webhooks/a/b/c', '/webhooks/sh%6Fpify', '/Webhooks/shopify', '/api/webhooks/shopify']) {
      expect(webhookPath(url), url).toBeUndefined();
    }
  });
});
