/**
 * Shop-specific webhook subscriptions (reference §1.6, §1.8): Shopify deletes a subscription made
 * through the Admin API after deliveries keep failing, so Puente lists what the shop has, creates
 * what is missing and re-creates what points elsewhere (an old public URL). Running it again
 * changes nothing; it is meant to run after install and once a day.
 *
 * Compliance topics cannot be subscribed this way; they live in shopify.app.toml.
 */
import { TargetError } from '../../../src/errors.js';
import type { AdminLogger, ShopifyGraphqlClient } from './graphql-client.js';
import {
  WEBHOOK_SUBSCRIPTION_CREATE,
  WEBHOOK_SUBSCRIPTION_DELETE,
  WEBHOOK_SUBSCRIPTIONS,
  type GqlPageInfo,
  type UserError,
} from './queries.js';

/**
 * The topics the Shopify source turns into events, plus the uninstall notice. orders/updated also
 * fires on order edits and carries the whole order, so orders/edited (which carries only the edit)
 * is left out.
 */
export const PUENTE_WEBHOOK_TOPICS = [
  'ORDERS_CREATE',
  'ORDERS_PAID',
  'ORDERS_FULFILLED',
  'ORDERS_CANCELLED',
  'ORDERS_UPDATED',
  'REFUNDS_CREATE',
  'APP_UNINSTALLED',
] as const;

export interface WebhookSubscription {
  id: string;
  topic: string;
  uri: string;
}

export interface SubscriptionReport {
  shop: string;
  callbackUrl: string;
  /** Topics already subscribed at the right address. */
  kept: string[];
  /** Topics that had no subscription at the right address and now have one. */
  created: string[];
  /** Subscriptions removed: pointing elsewhere, or a second one for a topic. */
  deleted: { id: string; topic: string; uri: string }[];
}

export interface SubscriptionOptions {
  client: ShopifyGraphqlClient;
  /** Puente's public base URL, e.g. `https://puente.example.com`; deliveries go to `<publicUrl>/webhooks/shopify`. */
  publicUrl: string;
  topics?: readonly string[];
  logger?: AdminLogger;
}

export function shopifyCallbackUrl(publicUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(`publicUrl "${publicUrl}" is not an absolute URL; set it to Puente's public address, e.g. https://puente.example.com`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/webhooks/shopify`;
}

function failOnUserErrors(what: string, shop: string, errors: UserError[] | undefined): void {
  if (!errors || errors.length === 0) return;
  const messages = errors.map((e) => (e.field?.length ? `${e.field.join('.')}: ${e.message}` : e.message));
  throw new TargetError('rejected', `Shopify ${what} for ${shop}: ${messages.join('; ')}`, { messages, ...(errors[0]?.field ? { field: errors[0].field.join('.') } : {}) });
}

export async function listWebhookSubscriptions(client: ShopifyGraphqlClient, shop: string): Promise<WebhookSubscription[]> {
  const all: WebhookSubscription[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { webhookSubscriptions: { pageInfo: GqlPageInfo; nodes: WebhookSubscription[] } } = await client.request(shop, {
      query: WEBHOOK_SUBSCRIPTIONS,
      variables: { first: 100, after },
    });
    all.push(...data.webhookSubscriptions.nodes);
    const page = data.webhookSubscriptions.pageInfo;
    if (!page.hasNextPage || !page.endCursor) return all;
    after = page.endCursor;
  }
}

export async function ensureSubscriptions(options: SubscriptionOptions, shop: string): Promise<SubscriptionReport> {
  const { client, logger } = options;
  const callbackUrl = shopifyCallbackUrl(options.publicUrl);
  const topics = options.topics ?? PUENTE_WEBHOOK_TOPICS;
  const existing = await listWebhookSubscriptions(client, shop);
  const report: SubscriptionReport = { shop, callbackUrl, kept: [], created: [], deleted: [] };

  for (const topic of topics) {
    const mine = existing.filter((s) => s.topic === topic);
    const right = mine.filter((s) => s.uri === callbackUrl);
    // Create first, delete after: a topic is never left without a subscription in between.
    if (right.length === 0) {
      const data = await client.request<{ webhookSubscriptionCreate: { webhookSubscription: WebhookSubscription | null; userErrors: UserError[] } }>(shop, {
        query: WEBHOOK_SUBSCRIPTION_CREATE,
        variables: { topic, webhookSubscription: { uri: callbackUrl, format: 'JSON' } },
      });
      failOnUserErrors(`webhookSubscriptionCreate ${topic}`, shop, data.webhookSubscriptionCreate.userErrors);
      report.created.push(topic);
    } else {
      report.kept.push(topic);
    }
    // Everything else for this topic: other addresses, and duplicates (each would deliver twice).
    const extra = [...mine.filter((s) => s.uri !== callbackUrl), ...right.slice(1)];
    for (const subscription of extra) {
      const data = await client.request<{ webhookSubscriptionDelete: { deletedWebhookSubscriptionId: string | null; userErrors: UserError[] } }>(shop, {
        query: WEBHOOK_SUBSCRIPTION_DELETE,
        variables: { id: subscription.id },
      });
      failOnUserErrors(`webhookSubscriptionDelete ${topic}`, shop, data.webhookSubscriptionDelete.userErrors);
      report.deleted.push({ id: subscription.id, topic, uri: subscription.uri });
    }
  }
  logger?.info({ shop, created: report.created, kept: report.kept.length, deleted: report.deleted.length }, 'shopify webhook subscriptions ensured');
  return report;
}
