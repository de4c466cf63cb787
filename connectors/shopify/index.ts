/**
 * The Shopify source connector: webhook deliveries, and — when it is given the Admin API part
 * (`admin`, from createShopifyAdmin) — the reconciliation sweep (`poll`), completion of deliveries
 * with the order's localized tax fields (`complete`) and the write-back of issued documents.
 */
import type { SourceConnector } from '../../src/connector.js';
import type { ShopifyAdmin } from './admin/index.js';
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
