/**
 * Our fast verifier must reach the same verdict as @shopify/shopify-api's webhooks.validate() on
 * every delivery: generated bodies, right and wrong secrets, tampered bodies, any subset of headers,
 * classic webhooks and Events deliveries.
 */
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyShopifyDelivery } from '../../connectors/shopify/verify.js';

const SECRET = 'app-secret-key';
const shopify = shopifyApi({
  apiSecretKey: SECRET,
  apiKey: 'k',
  hostName: 'localhost',
  apiVersion: ApiVersion.January26,
  isEmbeddedApp: false,
  logger: { level: LogSeverity.Error },
});

const sign = (body: string, secret: string) => createHmac('sha256', secret).update(body, 'utf8').digest('base64');

const CLASSIC = ['x-shopify-topic', 'x-shopify-shop-domain', 'x-shopify-api-version', 'x-shopify-webhook-id', 'x-shopify-event-id', 'x-shopify-triggered-at'];
const EVENTS = ['shopify-topic', 'shopify-shop-domain', 'shopify-api-version', 'shopify-webhook-id', 'shopify-event-id', 'shopify-triggered-at'];
const VALUES: Record<string, string> = {
  topic: 'orders/paid',
  'shop-domain': 'acme.myshopify.com',
  'api-version': '2026-01',
  'webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
  'event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
  'triggered-at': '2026-03-14T15:21:35.000Z',
};

/** Mostly true, so a good share of the generated deliveries is valid and their fields get compared. */
const usually = fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 });

const delivery = fc.record({
  body: fc.oneof(fc.constant(''), fc.string(), fc.json(), fc.constant('{"note":"caf\u00e9 \\u0026 t\u00e9"}')),
  events: fc.boolean(),
  secret: fc.oneof({ arbitrary: fc.constant(SECRET), weight: 4 }, { arbitrary: fc.constant('another-secret'), weight: 1 }),
  tamper: usually.map((v) => !v),
  withHmac: usually,
  present: fc.array(usually, { minLength: 6, maxLength: 6 }),
});

describe('verifyShopifyDelivery', () => {
  it('agrees with shopify.webhooks.validate() on every generated delivery', async () => {
    let validSeen = 0;
    await fc.assert(
      fc.asyncProperty(delivery, async ({ body, events, secret, tamper, withHmac, present }) => {
        const names = events ? EVENTS : CLASSIC;
        const headers: Record<string, string> = {};
        names.forEach((name, i) => {
          if (present[i]) headers[name] = VALUES[name.replace(/^x-shopify-|^shopify-/, '')]!;
        });
        if (withHmac) headers[events ? 'shopify-hmac-sha256' : 'x-shopify-hmac-sha256'] = sign(body, secret);
        const sent = tamper ? `${body} ` : body;
        const ours = verifyShopifyDelivery(sent, headers, SECRET);
        if (ours.valid) validSeen++;
        const theirs = await shopify.webhooks.validate({ rawBody: sent, rawRequest: { method: 'POST', url: '/webhooks', headers: { ...headers } } as never });
        expect(ours.valid).toBe(theirs.valid);
        if (!ours.valid && !theirs.valid) {
          expect(ours.reason).toBe(theirs.reason);
          if (ours.reason === 'missing_headers') expect(ours.missingHeaders).toEqual((theirs as { missingHeaders: string[] }).missingHeaders);
        }
        if (ours.valid && theirs.valid) {
          const { webhookType, topic, domain, apiVersion, webhookId, eventId, triggeredAt } = theirs as unknown as Record<string, string | undefined>;
          expect(ours).toEqual(
            Object.fromEntries(
              Object.entries({ valid: true, webhookType, topic, domain, apiVersion, webhookId, eventId, triggeredAt }).filter(([, v]) => v !== undefined),
            ),
          );
        }
      }),
      { numRuns: 400 },
    );
    expect(validSeen).toBeGreaterThan(20);
  });

  it('refuses a signature of the right length but the wrong bytes, and one of another length', () => {
    const body = '{"id":1}';
    const good = sign(body, SECRET);
    const flipped = (good[0] === 'A' ? 'B' : 'A') + good.slice(1);
    const headers = { 'x-shopify-topic': 'orders/paid', 'x-shopify-shop-domain': 'a.myshopify.com', 'x-shopify-api-version': '2026-01', 'x-shopify-webhook-id': 'w' };
    expect(verifyShopifyDelivery(body, { ...headers, 'x-shopify-hmac-sha256': good }, SECRET).valid).toBe(true);
    expect(verifyShopifyDelivery(body, { ...headers, 'x-shopify-hmac-sha256': flipped }, SECRET)).toEqual({ valid: false, reason: 'invalid_hmac' });
    expect(verifyShopifyDelivery(body, { ...headers, 'x-shopify-hmac-sha256': good.slice(0, 10) }, SECRET)).toEqual({ valid: false, reason: 'invalid_hmac' });
  });

  it('checks the signature over the bytes received when it has them, not over the text encoded again', () => {
    // 0xff is no UTF-8: decoding makes it U+FFFD, which encodes as three other bytes.
    const bytes = Buffer.from([...Buffer.from('{"note":"'), 0xff, ...Buffer.from('"}')]);
    const text = bytes.toString('utf8');
    const overBytes = createHmac('sha256', SECRET).update(bytes).digest('base64');
    const headers = { 'x-shopify-topic': 'orders/paid', 'x-shopify-shop-domain': 'a.myshopify.com', 'x-shopify-api-version': '2026-01', 'x-shopify-webhook-id': 'w', 'x-shopify-hmac-sha256': overBytes };
    expect(verifyShopifyDelivery(bytes, headers, SECRET).valid).toBe(true);
    expect(verifyShopifyDelivery(text, headers, SECRET)).toEqual({ valid: false, reason: 'invalid_hmac' });
    expect(verifyShopifyDelivery(bytes, { ...headers, 'x-shopify-hmac-sha256': sign(text, SECRET) }, SECRET)).toEqual({ valid: false, reason: 'invalid_hmac' });
  });
});
