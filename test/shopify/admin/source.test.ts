import { afterEach, describe, expect, it } from 'vitest';
import { createShopifyAdmin, createShopifySource, shopifyAccessTokens } from '../../../connectors/shopify/index.js';
import { ShopifySourceSettings } from '../../../connectors/shopify/config.js';
import { sampleGqlOrder } from '../../../connectors/shopify/admin/sample-orders.js';
import { startShopifyAdminSimulator, type ShopifyAdminSimulator } from '../../../connectors/shopify/admin/simulator.js';
import { SAMPLE_PAID_ORDER } from '../../../connectors/shopify/samples/index.js';

const SHOP = 'puente-demo.myshopify.com';

let simulator: ShopifyAdminSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

describe('Shopify source with its Admin API part', () => {
  it('without admin it only receives webhooks, as before', () => {
    const source = createShopifySource({ apiSecretKey: 'secret' });
    expect(source.webhook).toBeDefined();
    expect(source.poll).toBeUndefined();
    expect(source.complete).toBeUndefined();
    expect(source.writeBack).toBeUndefined();
  });

  it('with admin, poll / complete / writeBack reach the shop through the Admin API', async () => {
    simulator = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: 'shpat_custom' } } });
    simulator.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER));
    const settings = [ShopifySourceSettings.parse({ type: 'shopify', shop: SHOP, accessToken: 'shpat_custom' })];
    const admin = createShopifyAdmin({ accessTokenFor: shopifyAccessTokens(settings), adminOrigin: simulator.origin });
    const source = createShopifySource({ apiSecretKey: 'secret', admin });

    const pages = [];
    for await (const page of source.poll!({ source: `shopify:${SHOP}` })) pages.push(page);
    expect(pages.flatMap((p) => p.events.map((e) => e.kind))).toContain('order.paid');

    await source.writeBack!({
      source: `shopify:${SHOP}`,
      orderId: String(SAMPLE_PAID_ORDER.id),
      documentId: 'd1',
      kind: 'invoice',
      fiscalNumber: 'SETP990000002',
      issuedAt: '2026-03-14T10:22:00-05:00',
    });
    expect(simulator.tags(SHOP, `gid://shopify/Order/${SAMPLE_PAID_ORDER.id}`)).toContain('SETP990000002');
  });
});

describe('access tokens', () => {
  it('a connection\'s custom-app token wins; other shops ask the OAuth store', async () => {
    const settings = [ShopifySourceSettings.parse({ type: 'shopify', shop: SHOP, accessToken: 'shpat_custom' })];
    const tokenFor = shopifyAccessTokens(settings, async (shop) => (shop === 'oauth-shop.myshopify.com' ? 'offline-token' : undefined));
    expect(await tokenFor(SHOP)).toBe('shpat_custom');
    expect(await tokenFor('oauth-shop.myshopify.com')).toBe('offline-token');
    expect(await tokenFor('unknown.myshopify.com')).toBeUndefined();
  });

  it('connections added at run time are seen when settings are given as a function', async () => {
    const live: ShopifySourceSettings[] = [];
    const tokenFor = shopifyAccessTokens(() => live);
    expect(await tokenFor(SHOP)).toBeUndefined();
    live.push(ShopifySourceSettings.parse({ type: 'shopify', shop: SHOP, accessToken: 'shpat_later' }));
    expect(await tokenFor(SHOP)).toBe('shpat_later');
  });

  it('accessToken is optional in the source block, and never empty', () => {
    expect(ShopifySourceSettings.parse({ type: 'shopify', shop: SHOP }).accessToken).toBeUndefined();
    expect(() => ShopifySourceSettings.parse({ type: 'shopify', shop: SHOP, accessToken: '  ' })).toThrow(/must not be empty/);
  });
});
