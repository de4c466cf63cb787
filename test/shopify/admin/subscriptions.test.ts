import { afterEach, describe, expect, it } from 'vitest';
import { createShopifyAdmin, ensureAllSubscriptions } from '../../../connectors/shopify/admin/index.js';
import { startShopifyAdminSimulator, type ShopifyAdminSimulator } from '../../../connectors/shopify/admin/simulator.js';
import { PUENTE_WEBHOOK_TOPICS } from '../../../connectors/shopify/admin/subscriptions.js';
import { TargetError } from '../../../src/errors.js';

const SHOP = 'puente-demo.myshopify.com';
const OTHER = 'otra-tienda.myshopify.com';
const CALLBACK = 'https://puente.example.com/webhooks/shopify';

let simulator: ShopifyAdminSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function setup(publicUrl = 'https://puente.example.com/') {
  simulator = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: 'a' }, [OTHER]: { token: 'b' } } });
  const sim = simulator;
  const admin = createShopifyAdmin({
    accessTokenFor: async (shop) => (shop === SHOP ? 'a' : undefined),
    adminOrigin: (shop) => sim.originFor(shop),
    publicUrl,
    retry: { retries: 0 },
  });
  return { sim, admin };
}

const byTopic = (subs: { topic: string; uri: string }[]) => subs.map((s) => `${s.topic} ${s.uri}`).sort();

describe('ensureSubscriptions', () => {
  it('subscribes a fresh shop to every order topic and app/uninstalled at <publicUrl>/webhooks/shopify, and is idempotent', async () => {
    const { sim, admin } = await setup();
    const report = await admin.ensureSubscriptions(SHOP);
    expect(report.callbackUrl).toBe(CALLBACK);
    expect(report.created).toEqual([...PUENTE_WEBHOOK_TOPICS]);
    expect(byTopic(sim.subscriptions(SHOP))).toEqual(PUENTE_WEBHOOK_TOPICS.map((t) => `${t} ${CALLBACK}`).sort());
    expect(PUENTE_WEBHOOK_TOPICS).toEqual(
      expect.arrayContaining(['ORDERS_PAID', 'ORDERS_CREATE', 'ORDERS_FULFILLED', 'ORDERS_CANCELLED', 'ORDERS_UPDATED', 'REFUNDS_CREATE', 'APP_UNINSTALLED']),
    );

    const mutationsBefore = sim.mutations.length;
    const again = await admin.ensureSubscriptions(SHOP);
    expect(again.created).toEqual([]);
    expect(again.deleted).toEqual([]);
    expect(again.kept).toEqual([...PUENTE_WEBHOOK_TOPICS]);
    expect(sim.mutations.length).toBe(mutationsBefore);
  });

  it('repairs: re-creates a subscription that points elsewhere, removes duplicates, leaves other topics alone', async () => {
    const { sim, admin } = await setup();
    const stale = sim.addSubscription(SHOP, 'ORDERS_PAID', 'https://old-host.example.com/webhooks/shopify');
    sim.addSubscription(SHOP, 'ORDERS_CREATE', CALLBACK);
    const duplicate = sim.addSubscription(SHOP, 'ORDERS_CREATE', CALLBACK);
    const unrelated = sim.addSubscription(SHOP, 'PRODUCTS_UPDATE', 'https://another-app.example.com/hook');
    const report = await admin.ensureSubscriptions(SHOP);

    // Only ORDERS_CREATE was already right; every other topic is created, ORDERS_CREATE is not.
    expect(report.kept).toEqual(['ORDERS_CREATE']);
    expect([...report.created].sort()).toEqual(PUENTE_WEBHOOK_TOPICS.filter((t) => t !== 'ORDERS_CREATE').sort());
    expect(report.deleted.map((d) => d.id).sort()).toEqual([duplicate, stale].sort());
    const subs = sim.subscriptions(SHOP);
    expect(subs.filter((s) => s.topic === 'ORDERS_PAID').map((s) => s.uri)).toEqual([CALLBACK]);
    expect(subs.filter((s) => s.topic === 'ORDERS_CREATE')).toHaveLength(1);
    expect(subs.find((s) => s.id === unrelated)).toBeDefined();
    // The new one is created before the stale one is deleted: the topic is never left uncovered.
    const paidOps = sim.mutations.filter(
      (m) => (m.operation === 'PuenteWebhookSubscriptionCreate' && m.variables.topic === 'ORDERS_PAID') || (m.operation === 'PuenteWebhookSubscriptionDelete' && m.variables.id === stale),
    );
    expect(paidOps.map((m) => m.operation)).toEqual(['PuenteWebhookSubscriptionCreate', 'PuenteWebhookSubscriptionDelete']);
  });

  it('reads every page of the shop\'s subscriptions before deciding', async () => {
    const { sim, admin } = await setup();
    for (let i = 0; i < 150; i++) sim.addSubscription(SHOP, 'PRODUCTS_UPDATE', `https://another-app.example.com/hook/${i}`);
    for (const topic of PUENTE_WEBHOOK_TOPICS) sim.addSubscription(SHOP, topic, CALLBACK);
    const report = await admin.ensureSubscriptions(SHOP);
    expect(report.created).toEqual([]);
    expect(sim.operations.filter((o) => o.operation === 'PuenteWebhookSubscriptions')).toHaveLength(2);
  });

  it('a refused address is a rejected error naming the field', async () => {
    const { admin } = await setup('ftp://files.example.com');
    const error = await admin.ensureSubscriptions(SHOP).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).kind).toBe('rejected');
    expect((error as TargetError).message).toMatch(/webhookSubscription\.uri: Address is invalid/);
  });

  it('the daily re-check goes through every shop and reports each, one failure not stopping the rest', async () => {
    const { sim, admin } = await setup();
    const results = await ensureAllSubscriptions(admin, [OTHER, SHOP]);
    expect(results[0]!.shop).toBe(OTHER);
    expect(results[0]!.error).toMatch(/no access token/);
    expect(results[1]!.report?.created).toHaveLength(PUENTE_WEBHOOK_TOPICS.length);
    expect(sim.subscriptions(SHOP)).toHaveLength(PUENTE_WEBHOOK_TOPICS.length);
  });

  it('needs publicUrl', async () => {
    simulator = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: 'a' } } });
    const admin = createShopifyAdmin({ accessTokenFor: async () => 'a', adminOrigin: simulator.origin });
    await expect(admin.ensureSubscriptions(SHOP)).rejects.toThrow(/publicUrl/);
  });
});
