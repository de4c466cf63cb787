/**
 * `npm run demo`: plays a store's day against a running Puente — a paid order with several tax
 * rates, a shipping line and a discount (delivered twice, as Shopify sometimes does), a partial
 * refund of it, a second order from a final consumer that is then cancelled — all as signed Shopify
 * webhooks, then prints what was issued.
 */
import { ShopifySourceSettings } from '../../connectors/shopify/config.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  SAMPLE_FINAL_CONSUMER_ORDER,
  SAMPLE_PAID_ORDER,
  SAMPLE_PARTIAL_REFUND,
  buildOrder,
  buildRefund,
  toShopifyJson,
  type SampleOrder,
} from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { loadConfig } from '../config.js';
import type { DocumentRecord } from '../store/store.js';

interface Delivery {
  label: string;
  topic: string;
  body: string;
  eventId: string;
}

/** Fresh order ids and numbers on every run, so the demo issues new documents each time. */
function freshOrder(base: SampleOrder, runSeed: bigint, offset: bigint): SampleOrder {
  return { ...base, id: base.id + runSeed * 1000n + offset, orderNumber: base.orderNumber + Number((runSeed % 100000n) * 10n + offset) };
}

export function demoDeliveries(runSeed: bigint): { deliveries: Delivery[]; orders: { id: string; name: string }[] } {
  const rich = freshOrder(SAMPLE_PAID_ORDER, runSeed, 1n);
  const plain = freshOrder(SAMPLE_FINAL_CONSUMER_ORDER, runSeed, 2n);
  const refund = { ...SAMPLE_PARTIAL_REFUND, id: SAMPLE_PARTIAL_REFUND.id + runSeed };
  const paidEventId = randomUUID();
  const deliveries: Delivery[] = [
    { label: `order #${rich.orderNumber} paid (3 tax rates, discount, shipping)`, topic: 'orders/paid', body: toShopifyJson(buildOrder(rich)), eventId: paidEventId },
    { label: `order #${rich.orderNumber} paid — same delivery again`, topic: 'orders/paid', body: toShopifyJson(buildOrder(rich)), eventId: paidEventId },
    { label: `order #${plain.orderNumber} paid (final consumer)`, topic: 'orders/paid', body: toShopifyJson(buildOrder(plain)), eventId: randomUUID() },
    { label: `order #${rich.orderNumber} partial refund`, topic: 'refunds/create', body: toShopifyJson(buildRefund(rich, refund)), eventId: randomUUID() },
    {
      label: `order #${plain.orderNumber} cancelled`,
      topic: 'orders/cancelled',
      body: toShopifyJson(buildOrder(plain, { cancelledAt: new Date().toISOString(), reason: 'customer', refunds: [] })),
      eventId: randomUUID(),
    },
  ];
  return {
    deliveries,
    orders: [
      { id: rich.id.toString(), name: `#${rich.orderNumber}` },
      { id: plain.id.toString(), name: `#${plain.orderNumber}` },
    ],
  };
}

function adminTokenFrom(explicit: string | undefined, dataDir: string, configured: string): string {
  if (explicit) return explicit;
  if (configured) return configured;
  try {
    return readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    throw new Error(`no admin token: start Puente first (it writes ${dataDir}/admin-token) or pass --token`);
  }
}

const pad = (text: string, width: number) => (text.length >= width ? text : text + ' '.repeat(width - text.length));

export async function runDemo(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, token: { type: 'string' }, timeout: { type: 'string', default: '120' } },
  });
  const { config, baseDir } = loadConfig();
  const connection = config.connections.find((c) => c.source.type === 'shopify');
  if (!connection) throw new Error('the configuration has no Shopify connection to send the demo to');
  const url = (values.url ?? `http://127.0.0.1:${config.server.port}`).replace(/\/$/, '');
  const token = adminTokenFrom(values.token, path.resolve(baseDir, config.dataDir), config.adminToken);
  const shop = ShopifySourceSettings.parse(connection.source).shop;

  const { deliveries, orders } = demoDeliveries(BigInt(Date.now() % 1_000_000_000));
  console.log(`Sending ${deliveries.length} signed Shopify webhooks for ${shop} to ${url}/webhooks/shopify`);
  for (const delivery of deliveries) {
    const headers = shopifyWebhookHeaders({
      topic: delivery.topic,
      shop,
      body: delivery.body,
      secret: config.shopify.apiSecret,
      eventId: delivery.eventId,
      apiVersion: config.shopify.apiVersion,
    });
    const response = await fetch(`${url}/webhooks/shopify`, { method: 'POST', headers, body: delivery.body });
    const answer = (await response.json()) as { received?: { duplicate: boolean }[]; message?: string };
    const note = response.ok ? (answer.received?.[0]?.duplicate ? 'duplicate, stored once' : 'stored') : `refused: ${answer.message}`;
    console.log(`  ${response.status}  ${pad(delivery.label, 58)} ${note}`);
    if (!response.ok) return 1;
  }

  console.log('\nWaiting for the invoicing API to answer…');
  const deadline = Date.now() + Number(values.timeout) * 1000;
  let documents: (DocumentRecord & { orderName: string })[] = [];
  for (;;) {
    documents = [];
    for (const order of orders) {
      const response = await fetch(`${url}/api/documents?orderId=${order.id}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`admin API answered ${response.status}: check the admin token`);
      const body = (await response.json()) as { documents: DocumentRecord[] };
      documents.push(...body.documents.map((d) => ({ ...d, orderName: order.name })));
    }
    const settled = documents.length >= 4 && documents.every((d) => ['issued', 'needs_attention', 'skipped'].includes(d.status));
    if (settled || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }

  documents.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  console.log(`\n${pad('order', 8)} ${pad('document', 12)} ${pad('status', 16)} ${pad('number', 14)} ${pad('total (COP)', 14)} CUFE/CUDE`);
  for (const d of documents) {
    console.log(
      `${pad(d.orderName, 8)} ${pad(d.kind, 12)} ${pad(d.status, 16)} ${pad(d.result?.fiscalNumber ?? '-', 14)} ${pad(d.fiscal?.totals.payableAmount ?? '-', 14)} ${d.result?.uuid ?? d.attention?.reason ?? ''}`,
    );
  }
  const issued = documents.filter((d) => d.status === 'issued').length;
  console.log(`\n${issued} of ${documents.length} documents issued.`);
  return issued === 4 && documents.length === 4 ? 0 : 1;
}
