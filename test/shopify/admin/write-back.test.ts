import { afterEach, describe, expect, it } from 'vitest';
import { createShopifyAdmin } from '../../../connectors/shopify/admin/index.js';
import { sampleGqlOrder } from '../../../connectors/shopify/admin/sample-orders.js';
import { startShopifyAdminSimulator, type ShopifyAdminSimulator } from '../../../connectors/shopify/admin/simulator.js';
import { SAMPLE_PAID_ORDER } from '../../../connectors/shopify/samples/index.js';
import type { IssuedDocumentNotice } from '../../../src/connector.js';
import { TargetError } from '../../../src/errors.js';
import { shopifyBuyerTaxId } from '../../../connectors/shopify/tax-id.js';

const SHOP = 'puente-demo.myshopify.com';
const SOURCE = `shopify:${SHOP}`;
const ORDER_ID = String(SAMPLE_PAID_ORDER.id);
const ORDER_GID = `gid://shopify/Order/${ORDER_ID}`;

let simulator: ShopifyAdminSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

function fakeTime() {
  let clock = Date.parse('2026-04-01T00:00:00Z');
  const sleeps: number[] = [];
  return { now: () => clock, sleep: async (ms: number) => void (sleeps.push(ms), (clock += ms)), sleeps };
}

async function setup(writeBack?: { namespace?: string }) {
  const time = fakeTime();
  simulator = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: 'tok' } }, now: time.now });
  simulator.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER));
  const admin = createShopifyAdmin({
    accessTokenFor: async () => 'tok',
    adminOrigin: simulator.origin,
    sleep: time.sleep,
    now: time.now,
    retry: { retries: 1, minTimeout: 1, maxTimeout: 1 },
    ...(writeBack ? { writeBack } : {}),
  });
  return { sim: simulator, admin, time };
}

const invoice: IssuedDocumentNotice = {
  source: SOURCE,
  orderId: ORDER_ID,
  documentId: 'doc_inv_1',
  kind: 'invoice',
  fiscalNumber: 'SETP990000001',
  uuid: 'a1b2c3cufe',
  links: { pdf: 'https://apidian.example/pdf/SETP990000001.pdf' },
  issuedAt: '2026-03-14T10:22:00-05:00',
};
const creditNote: IssuedDocumentNotice = {
  source: SOURCE,
  orderId: ORDER_ID,
  documentId: 'doc_nc_1',
  kind: 'credit_note',
  fiscalNumber: 'NC1',
  uuid: 'cude-1',
  issuedAt: '2026-03-20T15:05:00-05:00',
};

const documents = (sim: ShopifyAdminSimulator) => {
  const field = sim.metafield(SHOP, ORDER_GID, 'puente', 'documents');
  expect(field?.type).toBe('json');
  return JSON.parse(field!.value) as Record<string, unknown>[];
};

describe('Shopify write-back', () => {
  it('records the document in a JSON metafield and tags the order', async () => {
    const { sim, admin } = await setup();
    await admin.writeBack(invoice);
    expect(documents(sim)).toEqual([
      {
        documentId: 'doc_inv_1',
        kind: 'invoice',
        fiscalNumber: 'SETP990000001',
        uuid: 'a1b2c3cufe',
        pdf: 'https://apidian.example/pdf/SETP990000001.pdf',
        issuedAt: '2026-03-14T10:22:00-05:00',
      },
    ]);
    expect(sim.tags(SHOP, ORDER_GID).sort()).toEqual(['SETP990000001', 'factura-electronica']);
  });

  it('is idempotent: repeating it writes no second entry and no second metafield', async () => {
    const { sim, admin } = await setup();
    await admin.writeBack(invoice);
    await admin.writeBack(invoice);
    expect(documents(sim)).toHaveLength(1);
    expect(sim.mutations.filter((m) => m.operation === 'PuenteMetafieldsSet')).toHaveLength(1);
    expect(sim.tags(SHOP, ORDER_GID)).toHaveLength(2);
  });

  it('keeps every document of the order, also when two are written back at once', async () => {
    const { sim, admin } = await setup();
    await Promise.all([admin.writeBack(invoice), admin.writeBack(creditNote)]);
    expect(documents(sim).map((d) => d.documentId).sort()).toEqual(['doc_inv_1', 'doc_nc_1']);
    expect(sim.tags(SHOP, ORDER_GID)).toContain('nota-credito');
  });

  it('a document re-issued with new details replaces its entry', async () => {
    const { sim, admin } = await setup();
    await admin.writeBack(invoice);
    await admin.writeBack({ ...invoice, links: { pdf: 'https://apidian.example/pdf/v2.pdf' } });
    expect(documents(sim)).toHaveLength(1);
    expect(documents(sim)[0]!.pdf).toBe('https://apidian.example/pdf/v2.pdf');
  });

  it('userErrors are rejected, with Shopify\'s message and field', async () => {
    const { admin } = await setup({ namespace: 'pu' });
    const error = await admin.writeBack(invoice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).kind).toBe('rejected');
    expect((error as TargetError).message).toMatch(/Namespace is too short/);
    expect((error as TargetError).field).toBe('metafields.0.namespace');
  });

  it('an order that is not there is rejected', async () => {
    const { admin } = await setup();
    const error = await admin.writeBack({ ...invoice, orderId: '1' }).catch((e: unknown) => e);
    expect((error as TargetError).kind).toBe('rejected');
  });

  it('when throttled it waits and finishes', async () => {
    const { sim, admin, time } = await setup();
    sim.setAvailable(SHOP, 0);
    await admin.writeBack(invoice);
    expect(sim.operations.some((o) => o.throttled)).toBe(true);
    expect(time.sleeps.length).toBeGreaterThan(0);
    expect(documents(sim)).toHaveLength(1);
  });

  it('a failing Shopify makes it throw (to be tried again), writing nothing', async () => {
    const { sim, admin } = await setup();
    sim.failNext(503, 2);
    const error = await admin.writeBack(invoice).catch((e: unknown) => e);
    expect((error as TargetError).kind).toBe('retryable');
    expect(sim.metafield(SHOP, ORDER_GID, 'puente', 'documents')).toBeUndefined();
  });
});

describe('Localized tax fields', () => {
  const fields = [
    { countryCode: 'CO', key: 'TAX_CREDENTIAL_CO', purpose: 'TAX', title: 'NIT o cédula', value: '900373115-3' },
    { countryCode: 'CO', key: 'TAX_CREDENTIAL_TYPE_CO', purpose: 'TAX', title: 'Tipo de documento', value: 'NIT' },
    { countryCode: 'CO', key: 'SHIPPING_CREDENTIAL_CO', purpose: 'SHIPPING', title: 'Cédula', value: '1020304050' },
  ];

  it('fetchTaxCredentials gives the order\'s tax-purpose fields by key', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER, { localizedFields: fields }));
    await expect(admin.fetchTaxCredentials(SHOP, ORDER_ID)).resolves.toEqual({ TAX_CREDENTIAL_CO: '900373115-3', TAX_CREDENTIAL_TYPE_CO: 'NIT' });
  });

  it('complete attaches every localized field under puente_localized_fields and keeps the rest of the payload', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER, { localizedFields: fields }));
    const payload = { id: ORDER_ID, name: '#1001', note_attributes: [] };
    const completed = await admin.complete({ source: SOURCE, kind: 'order.paid', orderId: ORDER_ID, payload });
    expect(completed).toEqual({
      ...payload,
      puente_localized_fields: { TAX_CREDENTIAL_CO: '900373115-3', TAX_CREDENTIAL_TYPE_CO: 'NIT', SHIPPING_CREDENTIAL_CO: '1020304050' },
    });
    // …where the connection's tax-id chain looks for it first.
    expect(shopifyBuyerTaxId(completed, 'CO', { sources: ['localized', 'noteAttribute', 'company'], noteAttribute: 'NIT' })).toBe('900373115-3');
  });

  it('an order Shopify no longer has completes with no fields rather than failing forever', async () => {
    const { admin } = await setup();
    await expect(admin.complete({ source: SOURCE, kind: 'order.paid', orderId: '42', payload: { id: '42' } })).resolves.toEqual({
      id: '42',
      puente_localized_fields: {},
    });
  });

  it('complete throws when Shopify cannot be reached, so the event is retried later', async () => {
    const { sim, admin } = await setup();
    sim.failNext(500, 2);
    const error = await admin.complete({ source: SOURCE, kind: 'order.paid', orderId: ORDER_ID, payload: { id: ORDER_ID } }).catch((e: unknown) => e);
    expect((error as TargetError).kind).toBe('retryable');
  });

  it('swept orders carry their localized fields already', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER, { localizedFields: fields.slice(0, 1) }));
    for await (const page of admin.poll({ source: SOURCE })) {
      const paid = page.events.find((e) => e.kind === 'order.paid')!;
      expect((paid.payload as { puente_localized_fields: unknown }).puente_localized_fields).toEqual({ TAX_CREDENTIAL_CO: '900373115-3' });
    }
  });
});
