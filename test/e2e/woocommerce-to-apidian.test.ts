/**
 * End to end: the real Puente server (`puente serve`, its own process) and a standalone APIDIAN
 * sandbox process, with a WooCommerce store simulator on loopback sending signed webhooks the way
 * WooCommerce does — once, never retried. One delivery arrives three times; two are lost (a payment
 * and a refund) and must be found by the reconciliation sweep. At the APIDIAN sandbox there must be
 * exactly one invoice per paid order and one credit note per refund, with totals that match the
 * store's to the cent, and a second sweep must issue nothing more. Then an admin edit that raises a
 * total makes one debit note, and a cancellation after invoicing one annulment.
 */
import { apidianTargetsYaml } from './apidian-target.js';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWooCommerceSandbox, type WooCommerceSandbox } from '../../connectors/woocommerce/sandbox/index.js';
import { CO_TAX_RATES, type OrderSpec, type WooOrder } from '../../connectors/woocommerce/sandbox/orders.js';
import { CONSUMER_KEY, CONSUMER_ORDER, CONSUMER_SECRET, NIT_ORDER, WEBHOOK_SECRET } from '../woocommerce/samples.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const ADMIN = 'e2e-admin-token';
const CONNECTION = 'tienda-wc';

interface SandboxDocument {
  kind: string;
  number: number;
  fiscalNumber: string;
  key: string;
  totals: { payableAmount: string };
  isValid: boolean | string;
  wire: { billing_reference?: { number: string; uuid: string } };
}

interface PuenteDocument {
  id: string;
  kind: string;
  status: string;
  orderId: string;
  subjectId?: string;
  attention?: unknown;
  result: { fiscalNumber: string; uuid: string };
}

/** A third order: IVA 19 % and 5 %, taxed shipping, a buyer's cédula in the block checkout field. */
const THIRD_ORDER: OrderSpec = {
  id: 4833,
  status: 'pending',
  createdAt: '2026-11-20T22:00:00',
  billing: { first_name: 'Camila', last_name: 'Rojas', address_1: 'Calle 50 # 20-15', city: 'Cali', state: 'VAC', country: 'CO', email: 'camila@correo.example' },
  meta: [{ key: '_wc_billing/document/dni', value: '1.144.055.321' }],
  items: [
    { productId: 88, sku: 'MUG-CER', name: 'Taza de cerámica', quantity: 2, price: '15000.00', tax: CO_TAX_RATES.iva19 },
    { productId: 402, sku: 'CAF-TOL-500', name: 'Café de origen Tolima 500 g', quantity: 1, price: '28571.43', tax: CO_TAX_RATES.iva5 },
  ],
  shipping: { title: 'Envío nacional', methodId: 'flat_rate', total: '8000.00', tax: CO_TAX_RATES.iva19 },
  paymentMethod: 'wompi',
};

let apidian: RunningProcess;
let puente: RunningProcess;
let store: WooCommerceSandbox;

function configFor(apidianUrl: string, storeUrl: string, dir: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve('mappings')}
log: { level: info }
shopify: { apiSecret: unused-in-this-test }
pipeline: { tickMs: 100, statusPollMs: 150 }
${apidianTargetsYaml(`${apidianUrl}/api`)}
connections:
  - id: ${CONNECTION}
    source: { type: woocommerce, url: "${storeUrl}", consumerKey: ${CONSUMER_KEY}, consumerSecret: ${CONSUMER_SECRET}, webhookSecret: ${WEBHOOK_SECRET} }
    target: co
    timezone: America/Bogota
    # The test runs the sweep itself (POST /api/connections/<id>/sweep, what the timer calls) so it
    # knows when the lost deliveries can be found.
    sweepMinutes: 0
`;
}

const admin = async <T>(route: string, init: RequestInit = {}): Promise<T> => {
  const response = await fetch(`${puente.url}/api${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};
const puenteDocuments = async () => (await admin<{ documents: PuenteDocument[] }>('/documents?limit=1000')).documents;
const apidianDocuments = async () =>
  ((await (await fetch(`${apidian.url}/_sandbox/documents`)).json()) as { documents: SandboxDocument[] }).documents;

async function storeCall(route: string, body: unknown = {}): Promise<any> {
  const response = await fetch(`${store.url}/_sandbox${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  return response.json();
}

const money = (value: string) => new Decimal(value).toFixed(2);

describe('WooCommerce orders become DIAN documents, end to end', () => {
  beforeAll(async () => {
    nock.enableNetConnect('127.0.0.1');
    const dir = tempDir('puente-e2e-wc-');
    apidian = await startCli(
      ['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000', '--data', `${dir}/apidian.json`],
      {},
      /apidian sandbox listening at (http:\/\/[\d.:]+)\/api/,
    );
    store = await startWooCommerceSandbox({ consumerKey: CONSUMER_KEY, consumerSecret: CONSUMER_SECRET, webhookSecret: WEBHOOK_SECRET });
    const config = writeYaml(dir, 'puente.config.yaml', configFor(apidian.url, store.url, dir));
    puente = await startCli(['serve'], { PUENTE_CONFIG: config }, /Puente is running at (http:\/\/[\d.:]+)/);
    // Saving the webhook in WooCommerce pings the delivery URL; it must answer 200.
    const saved = await storeCall('/webhook', { deliveryUrl: `${puente.url}/webhooks/woocommerce/${CONNECTION}` });
    expect(saved.ping).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await puente?.stop();
    await apidian?.stop();
    await store?.close();
  });

  it('issues one invoice per paid order and one credit note per refund, exactly once, lost deliveries included', async () => {
    for (const spec of [NIT_ORDER, CONSUMER_ORDER, THIRD_ORDER]) await storeCall('/orders', { ...spec, status: 'pending' });

    await storeCall(`/orders/${NIT_ORDER.id}/pay`);
    await store.settled();
    // The payment of A arrives three times (WooCommerce's duplicate deliveries are real, #19764).
    const paidA = store.deliveries.findIndex((d) => d.orderId === NIT_ORDER.id && d.topic === 'order.updated');
    await storeCall(`/deliveries/${paidA}/resend`);
    await storeCall(`/deliveries/${paidA}/resend`);
    await storeCall(`/orders/${CONSUMER_ORDER.id}/pay`, { status: 'completed' });
    // The payment of C is lost: WooCommerce will never send it again.
    await storeCall('/drop-next', { count: 1 });
    await storeCall(`/orders/${THIRD_ORDER.id}/pay`);

    const orderA = store.orders.get(NIT_ORDER.id)!;
    const orderB = store.orders.get(CONSUMER_ORDER.id)!;
    const refundA1 = await storeCall(`/orders/${NIT_ORDER.id}/refunds`, {
      reason: 'Talla equivocada',
      lines: [{ itemId: orderA.line_items[0]!.id, quantity: 1 }],
      shipping: '6000.00',
    });
    // A second refund of A is lost too.
    await storeCall('/drop-next', { count: 1 });
    const refundA2 = await storeCall(`/orders/${NIT_ORDER.id}/refunds`, { reason: 'Café dañado', lines: [{ itemId: orderA.line_items[1]!.id, quantity: 1 }] });
    const refundB = await storeCall(`/orders/${CONSUMER_ORDER.id}/refunds`, { reason: 'Devolución', lines: [{ itemId: orderB.line_items[0]!.id, quantity: 1 }] });
    await store.settled();
    expect(store.deliveries.filter((d) => d.outcome === 'dropped')).toHaveLength(2);
    expect(store.deliveries.filter((d) => d.outcome === 'failed')).toEqual([]);

    // What the webhooks alone bring: A and B invoiced, A's first refund and B's refund credited.
    await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.status === 'issued');
      return docs.filter((d) => d.kind === 'invoice').length === 2 && docs.filter((d) => d.kind === 'credit_note').length === 2 ? docs : undefined;
    }, 'the documents the delivered webhooks call for', 45_000);
    expect((await puenteDocuments()).some((d) => d.orderId === String(THIRD_ORDER.id))).toBe(false);

    // The reconciliation sweep finds what was lost.
    const sweep = await admin<{ found: number; lastError?: string }>(`/connections/${CONNECTION}/sweep`, { method: 'POST' });
    expect(sweep.lastError).toBeUndefined();
    expect(sweep.found).toBeGreaterThan(0);

    const documents = await eventually(async () => {
      const docs = await puenteDocuments();
      const settled = docs.length === 6 && docs.every((d) => d.status === 'issued' || d.status === 'needs_attention');
      return settled ? docs : undefined;
    }, 'three invoices and three credit notes', 45_000);
    expect(documents.filter((d) => d.status !== 'issued').map((d) => d.attention)).toEqual([]);

    // A second sweep over the same orders finds nothing new, so it issues nothing more.
    const again = await admin<{ found: number; scanned: number }>(`/connections/${CONNECTION}/sweep`, { method: 'POST' });
    expect(again.found).toBe(0);
    expect(await puenteDocuments()).toHaveLength(6);

    const atApidian = await apidianDocuments();
    expect(atApidian.filter((d) => String(d.isValid) !== 'true').map((d) => [d.kind, d.fiscalNumber])).toEqual([]);
    const invoices = atApidian.filter((d) => d.kind === 'invoice');
    const notes = atApidian.filter((d) => d.kind === 'credit_note');
    expect(invoices).toHaveLength(3);
    expect(notes).toHaveLength(3);
    expect(invoices.map((i) => i.number).sort()).toEqual([990000000, 990000001, 990000002]);

    const remote = (document: PuenteDocument) => atApidian.find((d) => d.fiscalNumber === document.result.fiscalNumber)!;
    const invoiceOf = (order: WooOrder) => documents.find((d) => d.kind === 'invoice' && d.orderId === String(order.id))!;
    for (const order of [NIT_ORDER, CONSUMER_ORDER, THIRD_ORDER].map((s) => store.orders.get(s.id)!)) {
      expect(money(remote(invoiceOf(order)).totals.payableAmount)).toBe(money(order.total));
    }
    const noteFor = (refund: { id: number; amount: string }, order: WooOrder) => {
      const note = documents.find((d) => d.kind === 'credit_note' && d.subjectId === String(refund.id));
      expect(note, `credit note for refund ${refund.id}`).toBeDefined();
      const sent = remote(note!);
      expect(money(sent.totals.payableAmount)).toBe(money(refund.amount));
      expect(sent.wire.billing_reference?.uuid).toBe(remote(invoiceOf(order)).key);
    };
    noteFor(refundA1, store.orders.get(NIT_ORDER.id)!);
    noteFor(refundA2, store.orders.get(NIT_ORDER.id)!);
    noteFor(refundB, store.orders.get(CONSUMER_ORDER.id)!);

    // Puente's records agree with the sandbox: fiscal number and CUFE/CUDE of every document.
    for (const document of documents) expect(remote(document).key).toBe(document.result.uuid);
  }, 150_000);

  it('a total raised after invoicing (an admin adds an item) becomes one debit note for exactly the difference', async () => {
    const totalBefore = store.orders.get(THIRD_ORDER.id)!.total;
    const invoice = (await puenteDocuments()).find((d) => d.kind === 'invoice' && d.orderId === String(THIRD_ORDER.id))!;
    const added = { productId: 91, sku: 'FILTRO-V60', name: 'Filtros de papel V60 x100', quantity: 1, price: '21000.00', tax: CO_TAX_RATES.iva19 };
    const edited = (await storeCall(`/orders/${THIRD_ORDER.id}/edit`, { ...THIRD_ORDER, items: [...THIRD_ORDER.items, added] })) as WooOrder;
    const difference = new Decimal(edited.total).minus(totalBefore);
    expect(difference.toFixed(2)).toBe('24990.00');
    await store.settled();

    const debit = await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.kind === 'debit_note' && d.orderId === String(THIRD_ORDER.id));
      return docs.length === 1 && (docs[0]!.status === 'issued' || docs[0]!.status === 'needs_attention') ? docs[0] : undefined;
    }, 'the debit note', 45_000);
    expect(debit.attention).toBeUndefined();
    const sent = (await apidianDocuments()).filter((d) => d.kind === 'debit_note');
    expect(sent).toHaveLength(1);
    expect(money(sent[0]!.totals.payableAmount)).toBe(difference.toFixed(2));
    expect(sent[0]!.wire.billing_reference).toMatchObject({ number: invoice.result.fiscalNumber, uuid: invoice.result.uuid });
    // The sweep lists the edited order again: still one debit note.
    expect((await admin<{ found: number }>(`/connections/${CONNECTION}/sweep`, { method: 'POST' })).found).toBe(0);
    expect((await puenteDocuments()).filter((d) => d.kind === 'debit_note')).toHaveLength(1);
  }, 90_000);

  it('an order cancelled after it was invoiced is annulled by one credit note for its whole total', async () => {
    const spec: OrderSpec = { ...CONSUMER_ORDER, id: 4845, createdAt: '2026-11-21T09:00:00' };
    await storeCall('/orders', { ...spec, status: 'pending' });
    await storeCall(`/orders/${spec.id}/pay`);
    const invoice = await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.orderId === String(spec.id) && d.kind === 'invoice' && d.status === 'issued');
      return docs[0];
    }, 'the invoice of the order to cancel');
    await storeCall(`/orders/${spec.id}/cancel`);
    const annulment = await eventually(async () => {
      const docs = (await puenteDocuments()).filter((d) => d.orderId === String(spec.id) && d.kind === 'credit_note');
      return docs.length === 1 && (docs[0]!.status === 'issued' || docs[0]!.status === 'needs_attention') ? docs[0] : undefined;
    }, 'the annulment');
    expect(annulment.attention).toBeUndefined();
    expect(annulment.subjectId).toBe('annulment');
    const sent = (await apidianDocuments()).find((d) => d.fiscalNumber === annulment.result.fiscalNumber)!;
    expect(money(sent.totals.payableAmount)).toBe(money(store.orders.get(spec.id)!.total));
    expect(sent.wire.billing_reference).toMatchObject({ number: invoice.result.fiscalNumber, uuid: invoice.result.uuid });
  }, 90_000);

  it('answers the ping, and refuses a delivery signed with another secret (401) or for an unknown connection (404)', async () => {
    const ping = await fetch(`${puente.url}/webhooks/woocommerce/${CONNECTION}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'webhook_id=1',
    });
    expect(ping.status).toBe(200);
    const body = JSON.stringify(store.orders.get(NIT_ORDER.id));
    const { signWooCommerceWebhook } = await import('../../connectors/woocommerce/signing.js');
    const headers = { 'content-type': 'application/json', 'x-wc-webhook-topic': 'order.updated', 'x-wc-webhook-signature': signWooCommerceWebhook(body, 'wrong') };
    expect((await fetch(`${puente.url}/webhooks/woocommerce/${CONNECTION}`, { method: 'POST', headers, body })).status).toBe(401);
    const signed = { ...headers, 'x-wc-webhook-signature': signWooCommerceWebhook(body, WEBHOOK_SECRET) };
    expect((await fetch(`${puente.url}/webhooks/woocommerce/nope`, { method: 'POST', headers: signed, body })).status).toBe(404);
  });

  it('never writes the store\'s keys, the webhook secret or the buyer\'s data to its log', () => {
    const log = puente.output();
    for (const secret of [CONSUMER_SECRET, WEBHOOK_SECRET, ADMIN, 'compras@tostadoraandina.example', '900.123.456-8']) {
      expect(log).not.toContain(secret);
    }
  });
});
