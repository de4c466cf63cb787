import { describe, expect, it } from 'vitest';
import { signShopifyWebhook, shopifyWebhookHeaders } from '../../connectors/shopify/signing.js';

describe('signShopifyWebhook', () => {
  it('is base64 HMAC-SHA256 (RFC 4231 test case 2)', () => {
    const expectedHex = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(signShopifyWebhook('what do ya want for nothing?', 'Jefe')).toBe(Buffer.from(expectedHex, 'hex').toString('base64'));
  });

  it('signs the UTF-8 bytes of the body, so accents and escapes change the signature', () => {
    const secret = 's3cret';
    expect(signShopifyWebhook('{"city":"Bogotá"}', secret)).not.toBe(signShopifyWebhook('{"city":"Bogota"}', secret));
    expect(signShopifyWebhook('{"a":"\\u0026"}', secret)).not.toBe(signShopifyWebhook('{"a":"&"}', secret));
  });
});

describe('shopifyWebhookHeaders', () => {
  it('produces the full header set of a Shopify delivery', () => {
    const body = '{"id":1}';
    const headers = shopifyWebhookHeaders({
      topic: 'orders/paid',
      shop: 'puente-demo.myshopify.com',
      body,
      secret: 'k',
      eventId: 'ev-1',
      webhookId: 'wh-1',
      apiVersion: '2025-10',
      triggeredAt: '2026-03-14T15:21:40Z',
    });
    expect(headers).toEqual({
      'Content-Type': 'application/json',
      'X-Shopify-Topic': 'orders/paid',
      'X-Shopify-Hmac-Sha256': signShopifyWebhook(body, 'k'),
      'X-Shopify-Shop-Domain': 'puente-demo.myshopify.com',
      'X-Shopify-API-Version': '2025-10',
      'X-Shopify-Webhook-Id': 'wh-1',
      'X-Shopify-Event-Id': 'ev-1',
      'X-Shopify-Triggered-At': '2026-03-14T15:21:40Z',
    });
  });

  it('fills ids, version and time by default, and leaves the event id out when asked', () => {
    const a = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 's.myshopify.com', body: '{}', secret: 'k' });
    const b = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 's.myshopify.com', body: '{}', secret: 'k' });
    expect(a['X-Shopify-Webhook-Id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a['X-Shopify-Event-Id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(a['X-Shopify-Webhook-Id']).not.toBe(b['X-Shopify-Webhook-Id']);
    expect(a['X-Shopify-API-Version']).toBe('2026-01');
    expect(Number.isNaN(Date.parse(a['X-Shopify-Triggered-At']!))).toBe(false);
    const none = shopifyWebhookHeaders({ topic: 'orders/paid', shop: 's.myshopify.com', body: '{}', secret: 'k', eventId: null });
    expect('X-Shopify-Event-Id' in none).toBe(false);
  });
});
