/**
 * Receives WooCommerce webhook deliveries at /webhooks/woocommerce/<connection id>: each connection has
 * its own secret, so the route names the connection. Verifies `X-WC-Webhook-Signature` on the raw
 * bytes, answers the ping WooCommerce sends when a webhook is saved, and turns order deliveries into
 * SourceEvents. Never throws for bad input: every refusal is a verdict with a status and a sentence.
 */
import type { SourceEvent, WebhookRequest, WebhookVerdict } from '../../src/connector.js';
import { jsonBoundsProblem } from '../../src/ops/json-bounds.js';
import { eventsForOrder } from './events.js';
import { isValidWooCommerceSignature } from './signing.js';
import type { WooCommerceBindings } from './bindings.js';

export const MAX_WEBHOOK_BODY_BYTES = 2 * 1024 * 1024;

/** Topics whose body is an order; order.deleted carries only {id} and issues nothing. */
const ORDER_TOPICS = new Set(['order.created', 'order.updated', 'order.restored']);

/** The body WooCommerce posts (form-encoded, unsigned) to check a webhook's delivery URL. */
const PING = /^webhook_id=\d+$/;

function header(headers: WebhookRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined || first === '' ? undefined : first;
  }
  return undefined;
}

function reject(status: 400 | 401 | 404 | 413, error: string): WebhookVerdict {
  return { ok: false, status, error };
}

export function createWooCommerceWebhookReceiver(bindings: WooCommerceBindings, options: { maxBodyBytes?: number } = {}) {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;

  async function receive(request: WebhookRequest): Promise<WebhookVerdict> {
    const connectionId = request.params?.connection;
    if (!connectionId) {
      return reject(404, 'WooCommerce webhooks are received per connection: set the delivery URL to /webhooks/woocommerce/<connection id>');
    }
    const connection = bindings.byConnectionId(connectionId);
    if (!connection) return reject(404, `no WooCommerce connection "${connectionId}" is configured`);

    const { rawBody } = request;
    if (typeof rawBody !== 'string') return reject(400, 'Webhook body was not received as raw text');
    const bytes = Buffer.byteLength(rawBody, 'utf8');
    if (bytes > maxBodyBytes) return reject(413, `Webhook body is ${bytes} bytes; the limit is ${maxBodyBytes} bytes`);

    const signature = header(request.headers, 'x-wc-webhook-signature');
    // Saving a webhook in WooCommerce posts `webhook_id=<id>` (unsigned) and expects 200.
    if (!signature && PING.test(rawBody.trim())) return { ok: true, events: [] };
    if (!signature) return reject(401, 'Missing X-WC-Webhook-Signature: only signed WooCommerce deliveries are accepted');
    if (!isValidWooCommerceSignature(rawBody, signature, connection.settings.webhookSecret)) {
      return reject(
        401,
        `X-WC-Webhook-Signature does not match the body: the webhook's secret in WooCommerce differs from connection "${connectionId}"'s webhookSecret, or the body was altered`,
      );
    }
    if (PING.test(rawBody.trim())) return { ok: true, events: [] };

    const topic = header(request.headers, 'x-wc-webhook-topic') ?? '';
    if (!ORDER_TOPICS.has(topic)) return { ok: true, events: [] };
    // A known WooCommerce quirk sends a second delivery without a payload (woocommerce#30169).
    if (rawBody.trim() === '' || rawBody.trim() === '[]') return { ok: true, events: [] };

    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch (error) {
      return reject(400, `Webhook body is not JSON: ${(error as Error).message}`);
    }
    // Bounded before anything walks or stores it (the inbox's JSON.stringify overflows on deep bodies).
    const unbounded = jsonBoundsProblem(body);
    if (unbounded) return reject(400, `Webhook body ${unbounded}`);
    const deliveryId = header(request.headers, 'x-wc-webhook-delivery-id');
    const webhookId = header(request.headers, 'x-wc-webhook-id');
    const events = eventsForOrder(body, {
      source: connection.source,
      paidStatuses: connection.settings.paidStatuses,
      taxIdMetaKeys: connection.settings.taxIdMetaKeys,
      taxIdTypeMetaKeys: connection.settings.taxIdTypeMetaKeys,
      topic,
      delivery: { ...(deliveryId ? { deliveryId } : {}), ...(webhookId ? { webhookId } : {}) },
    });
    if (typeof events === 'string') return reject(400, `${topic} delivery: ${events}`);
    return { ok: true, events: events satisfies SourceEvent[] };
  }

  return { receive };
}
