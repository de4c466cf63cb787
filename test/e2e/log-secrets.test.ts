/**
 * Secrets and buyer personal data never reach the logs. The whole flow runs for real — `puente serve`
 * at log level trace and a standalone APIDIAN sandbox, each in its own process — with a company
 * registered at the sandbox for this run (so its API token was never printed by anyone), signed
 * webhooks carrying a buyer's name, e-mail, phone, address and tax id, a forged delivery, a refund,
 * admin API calls and a graceful stop. Then every line both processes wrote is searched for each
 * secret and each buyer field.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrder, buildRefund, nitCheckDigit, SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND, toShopifyJson, type SampleOrder } from '../../connectors/shopify/samples/index.js';
import { shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';
import { mappingsCopy } from '../cli/helpers.js';
import { apidianTargetsYaml } from './apidian-target.js';
import { eventually, startCli, tempDir, writeYaml, type RunningProcess } from './processes.js';

const SHOP = 'puente-demo.myshopify.com';
const SHOPIFY_SECRET = 'shpss_LeakProbe7c1d9e0b4a2f';
const ADMIN_TOKEN = 'adm_LeakProbe5e8f2a7c3b9d0e1f';
const SUPPLIER_NIT = '901555444';

const BUYER_NIT = '830555111';
const BUYER = {
  firstName: 'Zoraidaprobe',
  lastName: 'Quimbayaprobe',
  email: 'zoraida.leakprobe@correo.example',
  phone: '+573001239876',
  address1: 'Carrera 98 # 76-54 Torre Probe',
  address2: 'Apartamento 1203 Probe',
  company: 'Comercializadora Leakprobe S.A.S.',
};

const ORDER: SampleOrder = {
  ...SAMPLE_PAID_ORDER,
  id: 6123456789555n,
  orderNumber: 1555,
  customer: { ...SAMPLE_PAID_ORDER.customer, email: BUYER.email, phone: BUYER.phone },
  billingAddress: {
    ...SAMPLE_PAID_ORDER.billingAddress,
    firstName: BUYER.firstName,
    lastName: BUYER.lastName,
    company: BUYER.company,
    address1: BUYER.address1,
    address2: BUYER.address2,
    phone: BUYER.phone,
  },
  noteAttributes: [
    { name: 'NIT', value: `${BUYER_NIT}-${nitCheckDigit(BUYER_NIT)}` },
    { name: 'Razón social', value: BUYER.company },
  ],
};

/** The same buyer with a tax id whose check digit is wrong: parked for attention, with a reason. */
const WRONG_DV = (nitCheckDigit(BUYER_NIT) + 1) % 10;
const PARKED_ORDER: SampleOrder = {
  ...ORDER,
  id: 6123456789556n,
  orderNumber: 1556,
  noteAttributes: [{ name: 'NIT', value: `${BUYER_NIT}-${WRONG_DV}` }],
};

let sandbox: RunningProcess;
let puente: RunningProcess | undefined;
let dir: string;
let apidianToken: string;

/** Registers a company at the sandbox the way an integrator does; returns its fresh API token. */
async function registerCompany(api: string): Promise<string> {
  const json = async (method: string, route: string, body: unknown, token?: string) => {
    const response = await fetch(`${api}/ubl2.1/config/${route}`, {
      method,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} config/${route}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const { token } = (await json('POST', `${SUPPLIER_NIT}/${nitCheckDigit(SUPPLIER_NIT)}`, { business_name: 'LEAK PROBE S.A.S.', email: 'fe@leakprobe.example' })) as { token: string };
  await json('PUT', 'software', { id: '6c2e7a4f-9b3d-4e8a-a1f0-2d5c8b7e9f10', pin: '12345' }, token);
  await json(
    'PUT',
    'resolution',
    {
      type_document_id: 1,
      prefix: 'SETP',
      resolution: '18760000001',
      resolution_date: '2019-01-19',
      technical_key: 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c',
      from: 990000000,
      to: 995000000,
      date_from: '2019-01-19',
      date_to: '2030-01-19',
    },
    token,
  );
  await json('PUT', 'resolution', { type_document_id: 4, prefix: 'NC', from: 1, to: 99999999 }, token);
  await json('PUT', 'resolution', { type_document_id: 5, prefix: 'ND', from: 1, to: 99999999 }, token);
  await json('PUT', 'environment', { type_environment_id: 2 }, token);
  return token;
}

function configFor(sandboxUrl: string): string {
  return `
server: { port: 0, host: 127.0.0.1 }
dataDir: ${dir}/data
adminToken: ${ADMIN_TOKEN}
mappingsDir: ${mappingsCopy()}
log: { level: trace }
shopify: { apiSecret: ${SHOPIFY_SECRET}, apiVersion: "2026-01" }
pipeline: { tickMs: 100, statusPollMs: 150 }
${apidianTargetsYaml(`${sandboxUrl}/api`, { token: apidianToken, supplierNit: SUPPLIER_NIT, batch: { maxDocuments: 10, lingerMs: 100 } })}
connections:
  - { id: shop, source: { type: shopify, shop: ${SHOP} }, target: co, timezone: America/Bogota }
`;
}

async function deliver(topic: string, body: string, eventId: string, secret = SHOPIFY_SECRET): Promise<number> {
  const headers = shopifyWebhookHeaders({ topic, shop: SHOP, body, secret, eventId });
  const response = await fetch(`${puente!.url}/webhooks/shopify`, { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
}

async function admin(route: string, token = ADMIN_TOKEN): Promise<{ status: number; body: any }> {
  const response = await fetch(`${puente!.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

describe('logs of a whole run', () => {
  beforeAll(async () => {
    dir = tempDir('puente-log-secrets-');
    sandbox = await startCli(
      ['sandbox', 'apidian', '--port', '0', '--requests-per-minute', '1000', '--data', `${dir}/sandbox.json`],
      {},
      /apidian sandbox listening at (http:\/\/[\d.:]+)\/api/,
    );
    apidianToken = await registerCompany(`${sandbox.url}/api`);
    const config = writeYaml(dir, 'puente.config.yaml', configFor(sandbox.url));
    puente = await startCli(['serve'], { PUENTE_CONFIG: config }, /Puente is running at (http:\/\/[\d.:]+)/, 30_000);
  }, 60_000);

  afterAll(async () => {
    await puente?.stop('SIGKILL');
    await sandbox?.stop();
  });

  it('hold no secret and no buyer field, at log level trace', async () => {
    const paid = toShopifyJson(buildOrder(ORDER));
    expect(await deliver('orders/paid', paid, 'evt-leak-paid')).toBe(200);
    expect(await deliver('orders/paid', paid, 'evt-leak-paid')).toBe(200); // a duplicate
    expect(await deliver('orders/paid', paid, 'evt-leak-forged', 'not-the-secret')).toBe(401);
    // A store with no connection yet: stored as unroutable, with its buyer data.
    const otherShop = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 'other-shop.myshopify.com', body: paid, secret: SHOPIFY_SECRET, eventId: 'evt-leak-other' });
    expect((await fetch(`${puente!.url}/webhooks/shopify`, { method: 'POST', headers: otherShop, body: paid })).status).toBe(200);

    const invoice = await eventually(async () => {
      const { body } = await admin(`/api/documents?orderId=${ORDER.id}`);
      return body.documents.find((d: any) => d.kind === 'invoice' && d.status === 'issued');
    }, 'the invoice to be issued');
    // The buyer really went through: the issued document carries them (so a leak had its chance).
    expect(JSON.stringify(invoice.fiscal)).toContain(BUYER_NIT);
    expect(JSON.stringify(invoice.fiscal)).toContain(BUYER.email);

    expect(await deliver('orders/paid', toShopifyJson(buildOrder(PARKED_ORDER)), 'evt-leak-parked')).toBe(200);
    const parked = await eventually(async () => {
      const { body } = await admin(`/api/documents?orderId=${PARKED_ORDER.id}`);
      return body.documents.find((d: any) => d.status === 'needs_attention');
    }, 'the document with a wrong check digit to be parked');
    expect(parked.attention.reason).toBeTruthy();

    expect(await deliver('refunds/create', toShopifyJson(buildRefund(ORDER, SAMPLE_PARTIAL_REFUND)), 'evt-leak-refund')).toBe(200);
    await eventually(async () => {
      const { body } = await admin(`/api/documents?orderId=${ORDER.id}&kind=credit_note`);
      return body.documents.find((d: any) => d.status === 'issued');
    }, 'the credit note to be issued');
    expect((await admin('/api/events', 'wrong-token')).status).toBe(401);
    expect((await admin('/api/health/deep')).status).toBe(200);

    await puente!.stop('SIGTERM');
    expect(puente!.child.exitCode).toBe(0);

    const logs = { puente: puente!.output(), sandbox: sandbox.output() };
    // The run really logged at trace level: an empty log would pass any search.
    expect(logs.puente).toMatch(/"level":10|"level":20/);
    expect(logs.puente).toMatch(/document issued/);

    const secrets = { SHOPIFY_SECRET, ADMIN_TOKEN, apidianToken };
    const buyer = {
      ...BUYER,
      taxId: BUYER_NIT,
      phoneDigits: BUYER.phone.replace(/^\+57/, ''),
      emailUser: BUYER.email.split('@')[0]!,
      street: BUYER.address1.split(' Torre')[0]!,
    };
    const found: string[] = [];
    for (const [processName, text] of Object.entries(logs)) {
      for (const [name, value] of Object.entries({ ...secrets, ...buyer })) {
        if (text.toLowerCase().includes(value.toLowerCase())) found.push(`${processName} log contains ${name} (${value})`);
      }
    }
    expect(found).toEqual([]);
  }, 90_000);
});
