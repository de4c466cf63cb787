/**
 * End to end, the Shopify side that does not wait for webhooks: the real server (its own process),
 * a standalone APIDIAN sandbox process, and a Shopify Admin API simulator on loopback. A paid order
 * whose webhook never arrived is found by the reconciliation sweep and invoiced once — with the
 * buyer's tax id from Shopify's localized checkout field —, the late webhook changes nothing, and
 * the issued invoice is written back on the order (metafield and tag).
 */
import { apidianTargetsYaml } from './apidian-target.js';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleGqlOrder } from '../../connectors/shopify/admin/sample-orders.js';
import { startShopifyAdminSimulator, type ShopifyAdminSimulator } from '../../connectors/shopify/admin/simulator.js';
import { SAMPLE_PAID_ORDER, buildOrder, orderFigures, toShopifyJson, type SampleOrder } from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const SECRET = 'e2e-sweep-shopify-secret';
const SHOP = 'sweep-demo.myshopify.com';
const TOKEN = 'shpat_e2e_sweep_token_0001';
const ADMIN = 'e2e-sweep-admin-token';
const LOCALIZED_NIT = '860001022';

let sandbox: RunningProcess;
let puente: RunningProcess;
let shopify: ShopifyAdminSimulator;

// Paid a minute ago, so the first sweep (which looks back an hour) lists it.
const order: SampleOrder = {
  ...SAMPLE_PAID_ORDER,
  shop: SHOP,
  id: 6200000000001n,
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  // No NIT cart attribute: the id comes only from the localized field.
  noteAttributes: [{ name: 'Razón social', value: 'Compañía de Prueba S.A.S.' }],
};

function configFor(sandboxUrl: string, adminOrigin: string, dir: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN}
mappingsDir: ${path.resolve('mappings')}
log: { level: info }
shopify: { apiSecret: ${SECRET}, apiVersion: "2026-01", adminOrigin: ${adminOrigin} }
pipeline: { tickMs: 100, statusPollMs: 150 }
${apidianTargetsYaml(`${sandboxUrl}/api`)}
connections:
  - { id: swept, source: { type: shopify, shop: ${SHOP}, accessToken: ${TOKEN} }, target: co, timezone: America/Bogota, sweepMinutes: 0 }
`;
}

const admin = (route: string, init: RequestInit = {}) =>
  fetch(`${puente.url}${route}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers ?? {}) } });

async function sandboxInvoices(): Promise<{ fiscalNumber: string; customerId: string; totals: { payableAmount: string } }[]> {
  const response = await fetch(`${sandbox.url}/_sandbox/documents`);
  return ((await response.json()) as { documents: { kind: string; fiscalNumber: string; customerId: string; totals: { payableAmount: string } }[] }).documents.filter(
    (d) => d.kind === 'invoice',
  );
}

describe('the Shopify reconciliation sweep, end to end', () => {
  beforeAll(async () => {
    const dir = tempDir('puente-e2e-sweep-');
    shopify = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: TOKEN } } });
    sandbox = await startCli(['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000'], {}, /apidian sandbox listening at (http:\/\/[\d.:]+)\/api/);
    const config = writeYaml(dir, 'puente.config.yaml', configFor(sandbox.url, shopify.origin, dir));
    puente = await startCli(['serve'], { PUENTE_CONFIG: config }, /Puente is running at (http:\/\/[\d.:]+)/);
  }, 60_000);

  afterAll(async () => {
    await puente?.stop();
    await sandbox?.stop();
    await shopify?.close();
  });

  it('invoices a paid order whose webhook never came, once, and writes the invoice back on the order', async () => {
    shopify.putOrder(
      SHOP,
      sampleGqlOrder(order, {
        localizedFields: [{ countryCode: 'CO', key: 'TAX_CREDENTIAL_CO', purpose: 'TAX', title: 'NIT', value: LOCALIZED_NIT }],
      }),
    );
    const swept = await admin('/api/connections/swept/sweep', { method: 'POST' });
    expect(swept.status).toBe(200);
    const first = (await swept.json()) as { connectionId: string; found: number };
    expect(first.connectionId).toBe('swept');
    expect(first.found).toBeGreaterThanOrEqual(1);

    const [invoice] = await eventually(async () => {
      const invoices = await sandboxInvoices();
      return invoices.length > 0 ? invoices : undefined;
    }, 'the swept order to be invoiced', 45_000);
    expect(new Decimal(invoice!.totals.payableAmount).toFixed(2)).toBe(orderFigures(order).total.toFixed(2));
    expect(invoice!.customerId).toBe(LOCALIZED_NIT);

    // The webhook arrives late, and a second sweep lists the order again: still one invoice.
    const body = toShopifyJson(buildOrder(order));
    const late = await fetch(`${puente.url}/webhooks/shopify`, {
      method: 'POST',
      headers: shopifyWebhookHeaders({ topic: 'orders/paid', shop: SHOP, body, secret: SECRET, eventId: 'evt-late-paid' }),
      body,
    });
    expect(late.status).toBe(200);
    expect((await admin('/api/connections/swept/sweep', { method: 'POST' })).status).toBe(200);

    const orderGid = `gid://shopify/Order/${order.id}`;
    const written = await eventually(async () => {
      const metafield = shopify.metafield(SHOP, orderGid, 'puente', 'documents');
      return metafield && shopify.tags(SHOP, orderGid).length > 0 ? metafield : undefined;
    }, 'the invoice to be written back on the order', 30_000);
    expect(written.value).toContain(invoice!.fiscalNumber);
    expect(shopify.tags(SHOP, orderGid)).toContain('factura-electronica');

    // Everything settled: the late webhook and the second sweep made nothing new.
    const documents = (await (await admin('/api/documents?limit=100')).json()) as { documents: { kind: string; status: string }[] };
    expect(documents.documents.map((d) => [d.kind, d.status])).toEqual([['invoice', 'issued']]);
    expect(await sandboxInvoices()).toHaveLength(1);
  }, 120_000);
});
