/**
 * Invoicing APIs that call back: POST /webhooks/<target>/<connection> verifies the delivery on its raw
 * bytes and applies the verdict to the document it names, once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTuimprentaTarget } from '../../connectors/tuimprenta/index.js';
import { TUIMPRENTA_SANDBOX_TARGET_DEFAULTS } from '../../connectors/tuimprenta/sandbox/index.js';
import { signWebhookPayload } from '../../connectors/tuimprenta/webhook.js';
import { ConnectionConfig } from '../../src/config.js';
import { createHttpApp } from '../../src/http/app.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { invoiceResource } from '../tuimprenta/helpers.js';
import { openTempStore, silentLog, type TempStore } from '../pipeline/harness.js';

const SECRET = 'whsec_callback_test';
const KEY = 'shopify:bodega.myshopify.com|order:1|invoice';

let temp: TempStore;
let server: Loopback;
let url: string;

const invoiceEvent = (id: string, status = 'issued') => ({
  id,
  object: 'event',
  type: 'invoice.issued',
  created_at: '2026-11-20T14:15:02.000Z',
  data: { object: invoiceResource({ status, metadata: { puente_idempotency_key: KEY } }) },
});

async function post(path: string, body: unknown, secret = SECRET) {
  const raw = JSON.stringify(body);
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tuimprenta-signature': signWebhookPayload(raw, secret) },
    body: raw,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeEach(async () => {
  const clock = () => new Date('2026-11-20T14:15:00Z');
  temp = await openTempStore(clock);
  const target = createTuimprentaTarget({ ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: 'http://127.0.0.1:9', webhookSecret: SECRET } as never);
  const settings = ConnectionConfig.parse({ id: 'bodega', source: { type: 'shopify', shop: 'bodega.myshopify.com' }, target: 've', country: 'VE', timezone: 'America/Caracas' });
  const connections = new Connections([{ id: 'bodega', source: 'shopify:bodega.myshopify.com', sourceSystem: 'shopify', sourceSettings: settings.source, targetAccount: 've', target, settings }]);
  const dispatcher = new Dispatcher(temp.store, connections, silentLog, { statusPollMs: 1000 }, clock);
  const app = createHttpApp({
    store: temp.store,
    inbox: new Inbox(temp.store, connections, silentLog, clock),
    sources: {},
    adminToken: 'admin',
    maxBodyBytes: 1024 * 1024,
    log: silentLog,
    onStored: () => undefined,
    callbacks: { connections, apply: (key, outcome) => dispatcher.applyCallback(key, outcome) },
  });
  server = await listenOnLoopback(app);
  url = server.url;
});

afterEach(async () => {
  await server.close();
  await temp.close();
});

async function inFlightInvoice() {
  const { document } = await temp.store.createDocument({
    idempotencyKey: KEY,
    connectionId: 'bodega',
    target: 'tuimprenta',
    kind: 'invoice',
    source: 'shopify:bodega.myshopify.com',
    orderId: '1',
    eventId: 'evt_x',
    series: 'A',
    status: 'in_flight',
    batchId: 'bat_1',
  });
  return document;
}

describe('target callbacks', () => {
  it('an issued-invoice webhook issues the in-flight document it names, once', async () => {
    const document = await inFlightInvoice();
    const first = await post('/webhooks/tuimprenta/bodega', invoiceEvent('evt_1'));
    expect(first).toEqual({ status: 200, json: { received: 'evt_1', applied: 1 } });
    const issued = await temp.store.getDocument(document.id);
    expect(issued).toMatchObject({ status: 'issued', result: { uuid: '00-00000042' } });
    // A redelivery is recognised by its event id and changes nothing.
    expect((await post('/webhooks/tuimprenta/bodega', invoiceEvent('evt_1'))).json).toEqual({ received: 'evt_1', applied: 0, duplicate: true });
  });

  it('refuses a bad signature with 401 and changes nothing', async () => {
    const document = await inFlightInvoice();
    const refused = await post('/webhooks/tuimprenta/bodega', invoiceEvent('evt_2'), 'not-the-secret');
    expect(refused.status).toBe(401);
    expect((await temp.store.getDocument(document.id))!.status).toBe('in_flight');
  });

  it('a still-processing invoice leaves the document waiting for polling', async () => {
    const document = await inFlightInvoice();
    expect((await post('/webhooks/tuimprenta/bodega', invoiceEvent('evt_3', 'processing'))).json).toEqual({ received: 'evt_3', applied: 0 });
    expect((await temp.store.getDocument(document.id))!.status).toBe('in_flight');
  });

  it('answers 404 for a connection that does not exist or takes no callbacks', async () => {
    expect((await post('/webhooks/tuimprenta/nope', invoiceEvent('evt_4'))).status).toBe(404);
    expect((await post('/webhooks/apidian/bodega', invoiceEvent('evt_5'))).status).toBe(404);
  });
});
