/**
 * Signs webhook bodies the way Shopify does, so the demo, tests and benchmarks can send deliveries
 * that the receiver accepts exactly like real ones.
 */
import { createHmac, randomUUID } from 'node:crypto';

/** The API version Puente subscribes with; deliveries carry it in `X-Shopify-API-Version`. */
export const DEFAULT_SHOPIFY_API_VERSION = '2026-01';

/** Base64 HMAC-SHA256 of the raw body bytes (UTF-8), keyed with the app's API secret key. */
export function signShopifyWebhook(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

export interface ShopifyWebhookHeaderOptions {
  /** `orders/paid`, `refunds/create`, … */
  topic: string;
  /** `puente-demo.myshopify.com` */
  shop: string;
  /** The exact body that will be sent; the signature covers these bytes. */
  body: string;
  secret: string;
  /** Default: a random UUID. `null` leaves the header out (older deliveries had none). */
  eventId?: string | null;
  /** Default: a random UUID. */
  webhookId?: string;
  apiVersion?: string;
  /** ISO timestamp; default: now. */
  triggeredAt?: string;
}

/** The header set of one Shopify HTTPS webhook delivery. */
export function shopifyWebhookHeaders(options: ShopifyWebhookHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Shopify-Topic': options.topic,
    'X-Shopify-Hmac-Sha256': signShopifyWebhook(options.body, options.secret),
    'X-Shopify-Shop-Domain': options.shop,
    'X-Shopify-API-Version': options.apiVersion ?? DEFAULT_SHOPIFY_API_VERSION,
    'X-Shopify-Webhook-Id': options.webhookId ?? randomUUID(),
    'X-Shopify-Triggered-At': options.triggeredAt ?? new Date().toISOString(),
  };
  const eventId = options.eventId === undefined ? randomUUID() : options.eventId;
  if (eventId !== null) headers['X-Shopify-Event-Id'] = eventId;
  return headers;
}
