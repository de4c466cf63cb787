/**
 * The Shopify source connector: webhook deliveries, and — when it is given the Admin API part
 * (`admin`, from createShopifyAdmin) — the reconciliation sweep (`poll`), completion of deliveries
 * with the order's localized tax fields (`complete`) and the write-back of issued documents.
 */
import type { SourceConnector } from '../../src/connector.js';
import { createShopifyAdmin, type ShopifyAdmin } from './admin/index.js';
import type { AdminLogger } from './admin/graphql-client.js';
import { shopOfSource } from './admin/sweep.js';
import { shopifyAccessTokens, type ShopifySourceSettings } from './config.js';
import { createShopifyWebhookReceiver, type ShopifyWebhookReceiverOptions } from './webhook.js';

export interface ShopifySourceOptions extends ShopifyWebhookReceiverOptions {
  /** The Admin API side; without it the source only receives webhooks. */
  admin?: Pick<ShopifyAdmin, 'poll' | 'complete' | 'writeBack'>;
}

export function createShopifySource(options: ShopifySourceOptions): SourceConnector {
  const { admin, ...receiverOptions } = options;
  const source: SourceConnector = {
    name: 'shopify',
    webhook: createShopifyWebhookReceiver(receiverOptions),
  };
  if (admin) {
    source.poll = (request) => admin.poll(request);
    source.complete = (event) => admin.complete(event);
    source.writeBack = (notice) => admin.writeBack(notice);
  }
  return source;
}

export interface ShopifyAppSourceOptions extends ShopifyWebhookReceiverOptions {
  /** The configured shops (read on every call: connections join at run time). */
  shops: () => readonly ShopifySourceSettings[];
  /** The offline token an OAuth install stored for a shop. */
  installedToken?: (shop: string) => Promise<string | undefined>;
  /** Where Puente is reached from Shopify (webhook subscriptions point there). */
  publicUrl?: string;
  /** Admin API origin instead of https://<shop> (a local simulator). */
  adminOrigin?: string;
  logger: AdminLogger;
}

/**
 * The Shopify source with its Admin API part, for shops Puente holds a token for — installed through
 * OAuth, or a custom app's `accessToken`. A shop without a token is swept, completed and written back
 * as a no-op, not as a failure. The Admin API client is returned too (webhook subscriptions).
 */
export function createShopifyAppSource(options: ShopifyAppSourceOptions): { source: SourceConnector; admin: ShopifyAdmin } {
  const { shops, installedToken, publicUrl, adminOrigin, logger, ...receiver } = options;
  const tokenFor = shopifyAccessTokens(shops, installedToken);
  const admin = createShopifyAdmin({
    ...(receiver.apiVersion ? { apiVersion: receiver.apiVersion } : {}),
    accessTokenFor: tokenFor,
    ...(publicUrl ? { publicUrl } : {}),
    ...(adminOrigin ? { adminOrigin } : {}),
    logger,
  });
  const withToken: NonNullable<ShopifySourceOptions['admin']> = {
    async *poll(request) {
      if (await tokenFor(shopOfSource(request.source))) yield* admin.poll(request);
    },
    complete: async (event) => ((await tokenFor(shopOfSource(event.source))) ? admin.complete(event) : event.payload),
    writeBack: async (notice) => {
      if (await tokenFor(shopOfSource(notice.source))) await admin.writeBack(notice);
    },
  };
  return { source: createShopifySource({ ...receiver, completeOrders: true, admin: withToken }), admin };
}

export {
  createShopifyWebhookReceiver,
  MAX_WEBHOOK_BODY_BYTES,
  type ShopifyWebhookEvent,
  type ShopifyWebhookReceiver,
  type ShopifyWebhookReceiverOptions,
} from './webhook.js';
export { signShopifyWebhook, shopifyWebhookHeaders, DEFAULT_SHOPIFY_API_VERSION, type ShopifyWebhookHeaderOptions } from './signing.js';
export { parseShopifyJson, ShopifyJsonError, DEFAULT_JSON_LIMITS, type JsonLimits, type JsonErrorReason } from './payload-json.js';
export { createShopifyAdmin, ensureAllSubscriptions, type ShopifyAdmin, type ShopifyAdminOptions } from './admin/index.js';
export { shopifyAccessTokens } from './config.js';
