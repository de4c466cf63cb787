/**
 * The Shopify Admin API side of the Shopify source: webhook subscriptions, the reconciliation
 * sweep (`poll`), completion of deliveries with the order's localized tax fields (`complete`), and
 * the write-back of issued documents (`writeBack`). One factory; each concern lives in its module.
 */
import type { CompletableEvent, IssuedDocumentNotice, PollPage, PollRequest } from '../../../src/connector.js';
import { DEFAULT_SHOPIFY_API_VERSION } from '../signing.js';
import { createShopifyGraphqlClient, type AdminLogger, type ShopifyGraphqlClient, type ShopifyGraphqlClientOptions } from './graphql-client.js';
import { completeWithLocalizedFields, fetchLocalizedFields, fetchTaxCredentials } from './localized-fields.js';
import { readFullOrder, type FullOrder } from './order-reader.js';
import { ensureSubscriptions, PUENTE_WEBHOOK_TOPICS, type SubscriptionReport } from './subscriptions.js';
import { sweepOrders } from './sweep.js';
import type { GqlLocalizedField } from './queries.js';
import { createWriteBack, type WriteBackOptions } from './write-back.js';

export interface ShopifyAdminOptions extends Omit<ShopifyGraphqlClientOptions, 'apiVersion' | 'logger'> {
  /** Default `2026-01` (DEFAULT_SHOPIFY_API_VERSION); config `shopify.apiVersion`. */
  apiVersion?: string;
  logger?: AdminLogger;
  /** Puente's public base URL; required for `ensureSubscriptions`. */
  publicUrl?: string;
  /** Webhook topics to keep subscribed. Default PUENTE_WEBHOOK_TOPICS. */
  topics?: readonly string[];
  /** Orders per sweep page. Default 25. */
  pageSize?: number;
  writeBack?: Pick<WriteBackOptions, 'namespace' | 'key' | 'tagsFor'>;
}

export interface ShopifyAdmin {
  readonly client: ShopifyGraphqlClient;
  ensureSubscriptions(shop: string): Promise<SubscriptionReport>;
  poll(request: PollRequest): AsyncIterable<PollPage>;
  complete(event: CompletableEvent): Promise<unknown>;
  writeBack(notice: IssuedDocumentNotice): Promise<void>;
  /** `{ TAX_CREDENTIAL_CO: "…", TAX_CREDENTIAL_TYPE_CO: "…" }` — the order's tax-purpose localized fields. */
  fetchTaxCredentials(shop: string, orderId: string): Promise<Record<string, string>>;
  fetchLocalizedFields(shop: string, orderId: string): Promise<GqlLocalizedField[] | undefined>;
  /** The order with all its lines and refunds, as GraphQL gives them. */
  readOrder(shop: string, orderId: string): Promise<FullOrder | undefined>;
}

export function createShopifyAdmin(options: ShopifyAdminOptions): ShopifyAdmin {
  const client = createShopifyGraphqlClient({ ...options, apiVersion: options.apiVersion ?? DEFAULT_SHOPIFY_API_VERSION });
  const logger = options.logger;
  const writeBack = createWriteBack({ client, ...(logger ? { logger } : {}), ...options.writeBack });
  return {
    client,
    ensureSubscriptions(shop) {
      if (!options.publicUrl) {
        return Promise.reject(new Error('ensureSubscriptions needs publicUrl: Puente\'s public base URL, where Shopify sends webhooks'));
      }
      return ensureSubscriptions({ client, publicUrl: options.publicUrl, topics: options.topics ?? PUENTE_WEBHOOK_TOPICS, ...(logger ? { logger } : {}) }, shop);
    },
    poll: (request) => sweepOrders({ client, ...(logger ? { logger } : {}), ...(options.pageSize ? { pageSize: options.pageSize } : {}) }, request),
    complete: (event) => completeWithLocalizedFields(client, event),
    writeBack,
    fetchTaxCredentials: (shop, orderId) => fetchTaxCredentials(client, shop, orderId),
    fetchLocalizedFields: (shop, orderId) => fetchLocalizedFields(client, shop, orderId),
    readOrder: (shop, orderId) => readFullOrder(client, shop, orderId),
  };
}

/**
 * Re-checks every shop's subscriptions: what the lead schedules daily (and runs after an install).
 * One shop failing does not stop the others; the reports say what happened to each.
 */
export async function ensureAllSubscriptions(
  admin: Pick<ShopifyAdmin, 'ensureSubscriptions'>,
  shops: readonly string[],
): Promise<{ shop: string; report?: SubscriptionReport; error?: string }[]> {
  const results: { shop: string; report?: SubscriptionReport; error?: string }[] = [];
  for (const shop of shops) {
    try {
      results.push({ shop, report: await admin.ensureSubscriptions(shop) });
    } catch (error) {
      results.push({ shop, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}

export { createShopifyGraphqlClient, validateAdminApiVersion, operationName, type ShopifyGraphqlClient, type AdminLogger, type Sleep } from './graphql-client.js';
export { CostBucket, costOf, type ThrottleStatus, type QueryCost } from './cost-bucket.js';
export { PUENTE_WEBHOOK_TOPICS, shopifyCallbackUrl, listWebhookSubscriptions, type SubscriptionReport, type WebhookSubscription } from './subscriptions.js';
export { eventsForOrder, encodeSweepCursor, decodeSweepCursor, shopOfSource, type SweepCursor } from './sweep.js';
export { restOrder, restRefund, chargedTotal, legacyId, orderGid, localizedFieldMap } from './rest-shape.js';
export { LOCALIZED_FIELDS_KEY } from './localized-fields.js';
export { DEFAULT_KIND_TAGS, type IssuedDocumentEntry } from './write-back.js';
export type { FullOrder } from './order-reader.js';
