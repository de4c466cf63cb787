/**
 * End to end: the real Puente server and a standalone APIDIAN sandbox, each in its own process on
 * loopback. Signed Shopify webhooks go in (one delivered three times); at the sandbox we must find
 * exactly one invoice per order and one credit note per refund or cancellation, with totals that
 * match the orders to the cent.
 */
import { apidianTargetsYaml } from './apidian-target.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAMPLE_FINAL_CONSUMER_ORDER,
  SAMPLE_PAID_ORDER,
  SAMPLE_PARTIAL_REFUND,
  buildOrder,
  buildRefund,
  demoOrder,
  toShopifyJson,
  type SampleOrder,
} from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { APIDIAN_SANDBOX_DEMO_TOKEN } from '../../connectors/apidian/sandbox/index.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const SECRET = 'e2e-shopify-secret';
const SHOP = 'puente-demo.myshopify.com';
const ADMIN = 'e2e-admin-token';

interface SandboxDocument {
  kind: string;
  prefix: string;
  number: number;
  fiscalNumber: string;
  key: string;
  customerId: string;
  totals: { payableAmount: string; lineExtensionAmount: string };
  isValid: boolean | string;
  wire: { billing_reference?: { number: string; uuid: string } };
}

let sandbox: RunningProcess;
let puente: RunningProcess;
let dataDir: string;

function configFor(sandboxUrl: string, dir: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve('mappings')}
log: { level: info }
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 150 }
${apidianTargetsYaml(`${sandboxUrl}/api`)}
connections:
  - { id: shop, source: { type: shopify, shop: ${SHOP} }, target: co, timezone: America/Bogota }
`;
}

async function deliver(topic: string, body: string, eventId: string): Promise<{ status: number; json: any }> {
  const headers = shopifyWebhookHeaders({ topic, shop: SHOP, body, secret: SECRET, eventId });
  const response = await fetch(`${puente.url}/webhooks/shopify`, { method: 'POST', headers, body });
  return { status: response.status, json: await response.json() };
}

async function sandboxDocuments(): Promise<SandboxDocument[]> {
  const response = await fetch(`${sandbox.url}/_sandbox/documents`);
  return ((await response.json()) as { documents: SandboxDocument[] }).documents;
}

async function puenteDocuments(): Promise<any[]> {
  const response = await fetch(`${puente.url}/api/documents?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { documents: any[] }).documents;
}

const orderA = buildOrder(SAMPLE_PAID_ORDER) as { total_price: string; id: bigint };
const orderB = buildOrder(SAMPLE_FINAL_CONSUMER_ORDER) as { total_price: string };
const orderC = demoOrder(1);
const refundA = buildRefund(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND) as { transactions: { amount: string }[] };

describe('a paid Shopify order becomes a DIAN invoice, end to end', () => {
  beforeAll(async () => {
    dataDir = tempDir('puente-e2e-');
    sandbox = await startCli(
      ['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000', '--data', `${dataDir}/sandbox.json`],
      {},
      /apidian sandbox listening at (http:\/\/[\d.:]+)\/api/,
    );
    const config = writeYaml(dataDir, 'puente.config.yaml', configFor(sandbox.url, dataDir));
    puente = await startCli(['serve'], { PUENTE_CONFIG: config }, /Puente is running at (http:\/\/[\d.:]+)/);
  }, 60_000);

  afterAll(async () => {
    await puente?.stop();
    await sandbox?.stop();
  });

  it('issues exactly one document per legal event, with totals that match to the cent', async () => {
    const paidA = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));
    // The same delivery three times: Shopify retries; only one is stored.
    const first = await deliver('orders/paid', paidA, 'evt-a-paid');
    const second = await deliver('orders/paid', paidA, 'evt-a-paid');
    const third = await deliver('orders/paid', paidA, 'evt-a-paid');
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    expect(first.json.received[0].duplicate).toBe(false);
    expect(second.json.received[0].duplicate).toBe(true);
    expect(third.json.received[0].duplicate).toBe(true);
    // A second delivery of the same order under a new event id (a separate subscription) must not
    // make a second invoice either: the legal key is the order.
    expect((await deliver('orders/paid', paidA, 'evt-a-paid-other-subscription')).status).toBe(200);

    expect((await deliver('orders/paid', toShopifyJson(buildOrder(SAMPLE_FINAL_CONSUMER_ORDER)), 'evt-b-paid')).status).toBe(200);
    expect((await deliver('orders/paid', orderC.body, 'evt-c-paid')).status).toBe(200);
    const refund = toShopifyJson(buildRefund(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    expect((await deliver('refunds/create', refund, 'evt-a-refund')).status).toBe(200);
    expect((await deliver('refunds/create', refund, 'evt-a-refund')).status).toBe(200);
    const cancelB = toShopifyJson(buildOrder(SAMPLE_FINAL_CONSUMER_ORDER, { cancelledAt: '2026-03-22T11:30:00-05:00', reason: 'customer', refunds: [] }));
    expect((await deliver('orders/cancelled', cancelB, 'evt-b-cancel')).status).toBe(200);

    const documents = await eventually(async () => {
      const docs = await puenteDocuments();
      const settled = docs.length === 5 && docs.every((d) => d.status === 'issued' || d.status === 'needs_attention');
      return settled ? docs : undefined;
    }, 'all five documents to be issued', 45_000);
    expect(documents.filter((d) => d.status !== 'issued').map((d) => d.attention)).toEqual([]);

    const atSandbox = await sandboxDocuments();
    const invoices = atSandbox.filter((d) => d.kind === 'invoice');
    const notes = atSandbox.filter((d) => d.kind === 'credit_note');
    expect(atSandbox.filter((d) => String(d.isValid) !== 'true').map((d) => [d.kind, d.fiscalNumber, (d as any).errorMessages])).toEqual([]);
    expect(invoices).toHaveLength(3);
    expect(notes).toHaveLength(2);

    const byOrder = new Map(documents.map((d) => [`${d.orderId}|${d.kind}`, d]));
    const invoiceFor = (orderId: string) => {
      const mine = byOrder.get(`${orderId}|invoice`);
      return invoices.find((i) => i.fiscalNumber === mine.result.fiscalNumber)!;
    };
    const money = (v: string) => new Decimal(v).toFixed(2);
    expect(money(invoiceFor(SAMPLE_PAID_ORDER.id.toString()).totals.payableAmount)).toBe(money(orderA.total_price));
    expect(money(invoiceFor(SAMPLE_FINAL_CONSUMER_ORDER.id.toString()).totals.payableAmount)).toBe(money(orderB.total_price));
    expect(money(invoiceFor(orderC.orderId).totals.payableAmount)).toBe(money(orderC.totalPrice));

    // Consecutive numbers from the resolution's first number, each used once.
    expect(invoices.map((i) => i.number).sort()).toEqual([990000000, 990000001, 990000002]);
    expect(notes.map((n) => n.number).sort()).toEqual([1, 2]);

    const refundNote = notes.find((n) => n.wire.billing_reference?.uuid === invoiceFor(SAMPLE_PAID_ORDER.id.toString()).key)!;
    expect(refundNote).toBeDefined();
    expect(money(refundNote.totals.payableAmount)).toBe(money(refundA.transactions[0]!.amount));
    const annulment = notes.find((n) => n.wire.billing_reference?.uuid === invoiceFor(SAMPLE_FINAL_CONSUMER_ORDER.id.toString()).key)!;
    expect(annulment).toBeDefined();
    expect(money(annulment.totals.payableAmount)).toBe(money(orderB.total_price));

    // Puente's records agree with the sandbox: fiscal number and CUFE/CUDE of every document.
    for (const document of documents) {
      const remote = atSandbox.find((d) => d.fiscalNumber === document.result.fiscalNumber)!;
      expect(remote.key).toBe(document.result.uuid);
    }
  }, 90_000);

  it('a total raised after invoicing becomes one debit note for exactly the difference', async () => {
    const original: SampleOrder = { ...SAMPLE_FINAL_CONSUMER_ORDER, id: 6123456789777n, orderNumber: 1077 };
    const raised: SampleOrder = {
      ...original,
      lines: [...original.lines, { ...SAMPLE_PAID_ORDER.lines[2]!, id: 15234567890999n, quantity: 2 }],
    };
    const before = buildOrder(original) as { total_price: string };
    const after = buildOrder(raised) as { total_price: string };
    expect((await deliver('orders/paid', toShopifyJson(buildOrder(original)), 'evt-d-paid')).status).toBe(200);
    const invoice = await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.orderId === original.id.toString());
      return docs.find((d) => d.kind === 'invoice' && d.status === 'issued');
    }, 'the invoice of the order that will be raised');
    // The raise arrives as orders/updated, twice (a retry), plus an unrelated update that changes nothing.
    const updated = toShopifyJson(buildOrder(raised));
    expect((await deliver('orders/updated', updated, 'evt-d-updated')).status).toBe(200);
    expect((await deliver('orders/updated', updated, 'evt-d-updated')).status).toBe(200);
    expect((await deliver('orders/updated', toShopifyJson(buildOrder(original)), 'evt-d-touched')).status).toBe(200);

    const debit = await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.orderId === original.id.toString() && d.kind === 'debit_note');
      return docs.length === 1 && docs[0].status === 'issued' ? docs[0] : undefined;
    }, 'the debit note to be issued');
    const atSandbox = (await sandboxDocuments()).filter((d) => d.kind === 'debit_note');
    expect(atSandbox).toHaveLength(1);
    const remote = atSandbox[0]!;
    expect(remote.fiscalNumber).toBe(debit.result.fiscalNumber);
    expect(remote.wire.billing_reference).toMatchObject({ number: invoice.result.fiscalNumber, uuid: invoice.result.uuid });
    const difference = new Decimal(after.total_price).minus(before.total_price).toFixed(2);
    expect(new Decimal(remote.totals.payableAmount).toFixed(2)).toBe(difference);
  }, 60_000);

  it('refuses a bad signature (401), malformed JSON (400) and an oversize body (413), storing nothing', async () => {
    const before = (await (await fetch(`${puente.url}/api/events?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { events: unknown[] };
    const body = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));
    const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body, secret: 'not-the-secret', eventId: 'evt-bad' });
    const badSignature = await fetch(`${puente.url}/webhooks/shopify`, { method: 'POST', headers, body });
    expect(badSignature.status).toBe(401);
    expect(((await badSignature.json()) as { error: string }).error).toBe('invalid_signature');

    const garbage = '{"id": 1, ';
    const malformed = await fetch(`${puente.url}/webhooks/shopify`, {
      method: 'POST',
      headers: shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body: garbage, secret: SECRET, eventId: 'evt-garbage' }),
      body: garbage,
    });
    expect(malformed.status).toBe(400);

    const huge = JSON.stringify({ id: 1, note: 'x'.repeat(2 * 1024 * 1024 + 10) });
    const oversize = await fetch(`${puente.url}/webhooks/shopify`, {
      method: 'POST',
      headers: shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body: huge, secret: SECRET, eventId: 'evt-huge' }),
      body: huge,
    });
    expect(oversize.status).toBe(413);
    expect(((await oversize.json()) as { error: string }).error).toBe('payload_too_large');

    const after = (await (await fetch(`${puente.url}/api/events?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { events: unknown[] };
    expect(after.events).toHaveLength(before.events.length);
  });

  it('keeps a delivery for a shop with no connection as unroutable, and answers 200', async () => {
    const body = toShopifyJson(buildOrder(SAMPLE_PAID_ORDER));
    const headers = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 'unknown-shop.myshopify.com', body, secret: SECRET, eventId: 'evt-unrouted' });
    const response = await fetch(`${puente.url}/webhooks/shopify`, { method: 'POST', headers, body });
    expect(response.status).toBe(200);
    const events = (await (await fetch(`${puente.url}/api/events?status=unroutable`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as {
      events: { source: string }[];
    };
    expect(events.events.map((e) => e.source)).toContain('shopify:unknown-shop.myshopify.com');
  });

  it('keeps the admin API behind the token', async () => {
    expect((await fetch(`${puente.url}/api/documents`)).status).toBe(401);
    expect((await fetch(`${puente.url}/api/documents`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${puente.url}/healthz`)).status).toBe(200);
  });

  it('never writes the secrets or the buyer\'s data to its log', () => {
    const log = puente.output();
    for (const secret of [SECRET, ADMIN, APIDIAN_SANDBOX_DEMO_TOKEN, 'compras@tostadores-andinos.example', '900373115']) {
      expect(log).not.toContain(secret);
    }
    expect(readFileSync(path.join(dataDir, 'data', 'puente.json'), 'utf8').length).toBeGreaterThan(0);
  });
});
