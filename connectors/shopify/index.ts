/**
 * The Shopify source connector. This part covers webhook deliveries; polling, write-back and the
 * OAuth install flow live beside it as they are built.
 */
import type { SourceConnector } from '../../src/connector.js';
import { createShopifyWebhookReceiver, type ShopifyWebhookReceiverOptions } from './webhook.js';

export type ShopifySourceOptions = ShopifyWebhookReceiverOptions;

export function createShopifySource(options: ShopifySourceOptions): SourceConnector {
  return {
    name: 'shopify',
    webhook: createShopifyWebhookReceiver(options),
  };
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
