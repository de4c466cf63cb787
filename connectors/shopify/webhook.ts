/**
 * Receives Shopify HTTPS webhook deliveries: verifies them with @shopify/shopify-api on the raw
 * bytes, then turns them into SourceEvents. Answers with a verdict and never throws for bad input.
 */
import { refundedMoney } from './refund-money.js';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import type { SourceEvent, SourceEventKind, WebhookRequest, WebhookVerdict } from '../../src/connector.js';
import { Dec, isDecimalString } from '../../src/domain/money.js';
import { CustomersDataRequestPayload, CustomersRedactPayload, ShopRedactPayload, type ShopifyAppLifecycleHandler } from './lifecycle.js';
import { DEFAULT_JSON_LIMITS, parseShopifyJson, ShopifyJsonError, type JsonLimits } from './payload-json.js';
import { scanShopifyBody } from './body-scan.js';
import { verifyShopifyDelivery } from './verify.js';

export const MAX_WEBHOOK_BODY_BYTES = 2 * 1024 * 1024;

export interface ShopifyWebhookReceiverOptions {
  /** The app's API secret key (Partner Dashboard / app settings); it keys the HMAC. */
  apiSecretKey: string;
  /** Not used to verify webhooks; the library requires one, so a placeholder is used when absent. */
  apiKey?: string;
  /** The app's public host name; not used to verify webhooks. Default `localhost`. */
  hostName?: string;
  /** The API version the app subscribes with, e.g. `2026-01`. Default `2026-01`. */
  apiVersion?: string;
  /** Default 2 MiB. The HTTP layer answers 413 earlier; this guards callers that skip it. */
  maxBodyBytes?: number;
  /** Default depth 64, arrays of at most 10,000 elements. */
  jsonLimits?: JsonLimits;
  /**
   * Marks the events that invoice an order (paid, created, fulfilled) `needsCompletion`, so the
   * pipeline fetches the order's localized tax fields (GraphQL only) before mapping it. Set when the
   * source can complete them (the Admin API part is wired).
   */
  completeOrders?: boolean;
  /**
   * Acts on app/uninstalled and the compliance topics before the delivery is answered. Without it
   * those deliveries are verified and acknowledged with no events.
   */
  lifecycle?: ShopifyAppLifecycleHandler;
}

/** What the receiver produces: a SourceEvent plus the delivery metadata Shopify sent with it. */
export interface ShopifyWebhookEvent extends SourceEvent {
  /** `X-Shopify-Webhook-Id`; kept beside deliveryId because sources disagree on which one is stable across retries. */
  webhookId: string;
  /** `X-Shopify-Event-Id`, when Shopify sent one (it is the preferred deliveryId). */
  eventId?: string;
  /** `X-Shopify-API-Version` of this delivery: the payload shape follows it. */
  apiVersion: string;
}

export interface ShopifyWebhookReceiver {
  receive(request: WebhookRequest): Promise<WebhookVerdict>;
}

/**
 * Topics that become order events, keyed by the library's normalised topic (`orders/paid` → `ORDERS_PAID`).
 * app/uninstalled and the compliance topics go to the lifecycle handler (LIFECYCLE_TOPICS); anything
 * else is acknowledged with no events: it is authentic, but it is not an order event for the inbox.
 */
const KIND_BY_TOPIC: Readonly<Record<string, SourceEventKind>> = {
  ORDERS_CREATE: 'order.created',
  ORDERS_PAID: 'order.paid',
  ORDERS_FULFILLED: 'order.fulfilled',
  ORDERS_UPDATED: 'order.updated',
  ORDERS_EDITED: 'order.edited',
  ORDERS_CANCELLED: 'order.cancelled',
  REFUNDS_CREATE: 'order.refunded',
};

/** The top-level members of an order or refund body that route its event (see orderRefFromBody, chargedTotal). */
const ROUTING_MEMBERS = ['id', 'order_id', 'order_edit', 'created_at', 'updated_at', 'cancelled_at', 'current_total_price', 'total_price', 'refunds', 'transactions', 'test'];

const LIFECYCLE_TOPICS = new Set(['APP_UNINSTALLED', 'CUSTOMERS_REDACT', 'SHOP_REDACT', 'CUSTOMERS_DATA_REQUEST']);

const HEADER = {
  topic: 'x-shopify-topic',
  eventsTopic: 'shopify-topic',
} as const;

type Verdict = WebhookVerdict;

function reject(status: 400 | 401 | 413, error: string): Verdict {
  return { ok: false, status, error };
}

/** Keeps only defined header values, with lower-case names as Node delivers them. */
function cleanHeaders(headers: WebhookRequest['headers']): Record<string, string | string[]> {
  const clean: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const existing = clean[key];
    const values = Array.isArray(value) ? value : [value];
    clean[key] = existing === undefined ? (Array.isArray(value) ? [...value] : value) : [...[existing].flat(), ...values];
  }
  return clean;
}

function firstHeader(headers: Record<string, string | string[]>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shopifyId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[0-9]+$/.test(value) ? value : undefined;
}

function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}

interface OrderRef {
  orderId: string;
  refundId?: string;
  /** One change to the order: the edit's id (orders/edited) or the order's updated_at (orders/updated). */
  editId?: string;
  /** When the body says the change happened; used when X-Shopify-Triggered-At is absent. */
  bodyTimestamp?: string;
}

/** Where each topic's body keeps the order (and refund) it is about. */
function orderRefFromBody(topic: string, kind: SourceEventKind, body: Record<string, unknown>): OrderRef | string {
  if (kind === 'order.refunded') {
    const orderId = shopifyId(body.order_id);
    const refundId = shopifyId(body.id);
    if (!orderId) return `${topic} body has no numeric order_id`;
    if (!refundId) return `${topic} body has no numeric refund id (\`id\`)`;
    return { orderId, refundId, bodyTimestamp: timestamp(body.created_at) };
  }
  if (kind === 'order.edited') {
    // orders/edited does not carry the order, only the edit: {"order_edit": {order_id, …}}.
    const edit = body.order_edit;
    const orderId = isRecord(edit) ? shopifyId(edit.order_id) : undefined;
    if (!orderId) return `${topic} body has no numeric order_edit.order_id`;
    const editId = isRecord(edit) ? shopifyId(edit.id) : undefined;
    return { orderId, ...(editId ? { editId } : {}), bodyTimestamp: isRecord(edit) ? timestamp(edit.created_at) : undefined };
  }
  const orderId = shopifyId(body.id);
  if (!orderId) return `${topic} body has no numeric order id (\`id\`)`;
  const bodyTimestamp =
    kind === 'order.cancelled' ? (timestamp(body.cancelled_at) ?? timestamp(body.updated_at)) : timestamp(body.updated_at);
  // As an instant in UTC: the reconciliation sweep reads the same change from GraphQL, which has no
  // shop offset, and both must name it alike so one change makes one debit note.
  const updatedAt = kind === 'order.updated' ? timestamp(body.updated_at) : undefined;
  const editId = updatedAt ? new Date(updatedAt).toISOString() : undefined;
  return { orderId, ...(editId ? { editId } : {}), bodyTimestamp };
}


/**
 * What the order has charged so far, refunds not deducted: `current_total_price` (which Shopify
 * lowers on refunds and moves with edits) plus every successful refund transaction. Undefined when
 * the body does not say, so no debit note is ever inferred from a missing figure.
 */
function chargedTotal(body: Record<string, unknown>): string | undefined {
  const current = body.current_total_price ?? body.total_price;
  if (!isDecimalString(current)) return undefined;
  let total = new Dec(current);
  for (const refund of Array.isArray(body.refunds) ? body.refunds : []) {
    if (!isRecord(refund)) continue;
    const returned = refundedMoney(refund);
    if (returned === undefined) return undefined;
    total = total.plus(returned);
  }
  return total.toFixed();
}

/**
 * `event.payload` becomes the parse of `text`, made the first time someone reads it. A payload put in
 * its place no longer has that text, so the text goes.
 */
function payloadParsedOnRead(event: SourceEvent, text: string): void {
  let payload: unknown;
  let parsed = false;
  Object.defineProperty(event, 'payload', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!parsed) [payload, parsed] = [JSON.parse(text), true];
      return payload;
    },
    set: (value: unknown) => {
      [payload, parsed] = [value, true];
      delete event.payloadText;
    },
  });
}

function resolveApiVersion(requested: string | undefined): ApiVersion {
  const wanted = requested ?? '2026-01';
  const known = (Object.values(ApiVersion) as string[]).includes(wanted);
  if (!known) {
    throw new Error(
      `createShopifyWebhookReceiver: apiVersion "${wanted}" is not supported by @shopify/shopify-api; ` +
        `use one of ${Object.values(ApiVersion).join(', ')}`,
    );
  }
  return wanted as ApiVersion;
}

export function createShopifyWebhookReceiver(options: ShopifyWebhookReceiverOptions): ShopifyWebhookReceiver {
  if (typeof options.apiSecretKey !== 'string' || options.apiSecretKey.length === 0) {
    throw new Error(
      'createShopifyWebhookReceiver: apiSecretKey is required (the app\'s API secret key; Shopify signs webhooks with it)',
    );
  }
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const jsonLimits = options.jsonLimits ?? DEFAULT_JSON_LIMITS;

  const shopify = shopifyApi({
    apiSecretKey: options.apiSecretKey,
    // Webhook verification uses only the secret; the library still insists on these two.
    apiKey: options.apiKey || 'puente-webhook-receiver',
    hostName: options.hostName || 'localhost',
    apiVersion: resolveApiVersion(options.apiVersion),
    isEmbeddedApp: false,
    // The library announces itself at Info on start; keep our logs for our own events.
    logger: { level: LogSeverity.Error },
  });

  /** The body as an object with exact ids, or the 400 that says why it is not one. */
  function parseBody(rawTopic: string, rawBody: string): { body: Record<string, unknown> } | { refused: Verdict } {
    let body: unknown;
    try {
      body = parseShopifyJson(rawBody, jsonLimits);
    } catch (error) {
      if (error instanceof ShopifyJsonError) return { refused: reject(400, `Webhook body is not acceptable JSON: ${error.message}`) };
      throw error;
    }
    return isRecord(body) ? { body } : { refused: reject(400, `${rawTopic} body must be a JSON object`) };
  }

  /**
   * app/uninstalled and the compliance topics: done (durably) before the delivery is answered; a
   * failure throws, so Shopify gets a 5xx and delivers again. The shop is taken from the signed body
   * when it names one (headers are not covered by the HMAC), and must agree with the header.
   */
  async function actOnLifecycle(topic: string, rawTopic: string, headerShop: string, rawBody: string): Promise<Verdict> {
    const lifecycle = options.lifecycle!;
    const parsed = parseBody(rawTopic, rawBody);
    if ('refused' in parsed) return parsed.refused;
    const { body } = parsed;
    const named = topic === 'APP_UNINSTALLED' ? body.myshopify_domain : body.shop_domain;
    if (named !== undefined && named !== null) {
      const bodyShop = typeof named === 'string' ? shopify.utils.sanitizeShop(named.trim().toLowerCase()) : null;
      if (bodyShop !== headerShop) {
        return reject(400, `${rawTopic} body names shop ${typeof named === 'string' ? named : '(not a string)'}, but X-Shopify-Shop-Domain says ${headerShop}`);
      }
    }
    const invalid = (issues: { path: PropertyKey[]; message: string }[]) =>
      reject(400, `${rawTopic} body: ${issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ')}`);
    switch (topic) {
      case 'APP_UNINSTALLED':
        await lifecycle.onUninstalled(headerShop);
        break;
      case 'SHOP_REDACT': {
        const parsed = ShopRedactPayload.safeParse(body);
        if (!parsed.success) return invalid(parsed.error.issues);
        await lifecycle.onShopRedact(headerShop);
        break;
      }
      case 'CUSTOMERS_REDACT': {
        const parsed = CustomersRedactPayload.safeParse(body);
        if (!parsed.success) return invalid(parsed.error.issues);
        await lifecycle.onCustomersRedact(headerShop, parsed.data);
        break;
      }
      case 'CUSTOMERS_DATA_REQUEST': {
        const parsed = CustomersDataRequestPayload.safeParse(body);
        if (!parsed.success) return invalid(parsed.error.issues);
        await lifecycle.onDataRequest(headerShop, parsed.data);
        break;
      }
    }
    return { ok: true, events: [] };
  }

  async function receive(request: WebhookRequest): Promise<Verdict> {
    // The bytes, as the HTTP doors hand them over, are what is verified and read: the text is decoded
    // only for the bodies that need parsing.
    if (!request.rawBytes && typeof request.rawBody !== 'string') {
      return reject(400, 'Webhook body was not received as raw text; the route must read it with express.text({ type: "*/*" })');
    }
    const bytes = request.rawBytes ?? Buffer.from(request.rawBody, 'utf8');
    if (bytes.length > maxBodyBytes) {
      return reject(413, `Webhook body is ${bytes.length} bytes; the limit is ${maxBodyBytes} bytes`);
    }

    const headers = cleanHeaders(request.headers);
    const check = verifyShopifyDelivery(bytes, headers, options.apiSecretKey);

    if (!check.valid) {
      switch (check.reason) {
        case 'invalid_hmac':
          return reject(
            401,
            'X-Shopify-Hmac-Sha256 does not match the body: the delivery was altered or signed with another key ' +
              '(webhooks created in the store admin are signed with the store\'s key, not the app\'s API secret)',
          );
        case 'missing_hmac':
          return reject(400, 'Missing required Shopify webhook header: X-Shopify-Hmac-Sha256');
        case 'missing_body':
          return reject(400, 'Webhook body is empty; Shopify always sends a JSON body');
        case 'missing_headers':
          return reject(400, `Missing required Shopify webhook header(s): ${check.missingHeaders.join(', ')}`);
      }
    }

    const rawTopic =
      firstHeader(headers, check.webhookType === 'events' ? HEADER.eventsTopic : HEADER.topic) ?? check.topic;
    const kind = KIND_BY_TOPIC[check.topic];
    const lifecycleTopic = options.lifecycle !== undefined && LIFECYCLE_TOPICS.has(check.topic);
    if (!kind && !lifecycleTopic) return { ok: true, events: [] };

    const shop = shopify.utils.sanitizeShop(check.domain.trim().toLowerCase());
    if (!shop) {
      return reject(400, 'X-Shopify-Shop-Domain is not a Shopify shop domain (expected something.myshopify.com)');
    }
    if (!kind) return actOnLifecycle(check.topic, rawTopic, shop, request.rawBody);

    // Most bodies are only scanned: what routes the event is read, the payload itself is parsed when
    // the pipeline reads the stored event. The others are parsed here, by the rules that decide.
    const scanned = scanShopifyBody(bytes, ROUTING_MEMBERS, jsonLimits);
    const parsed = scanned ? { body: scanned.head } : parseBody(rawTopic, request.rawBody);
    if ('refused' in parsed) return parsed.refused;
    const { body } = parsed;

    const ref = orderRefFromBody(rawTopic, kind, body);
    if (typeof ref === 'string') return reject(400, ref);

    const event: ShopifyWebhookEvent = {
      source: `shopify:${shop}`,
      kind,
      topic: rawTopic,
      deliveryId: check.eventId ?? check.webhookId,
      orderId: ref.orderId,
      // A scanned body's payload is parsed when read (payloadParsedOnRead below).
      payload: scanned ? undefined : body,
      ...(scanned ? { payloadText: scanned.text } : {}),
      webhookId: check.webhookId,
      apiVersion: check.apiVersion,
    };
    if (ref.refundId) {
      event.refundId = ref.refundId;
      // Only when the body lists its transactions: an absent list says nothing about the money.
      const returned = Array.isArray(body.transactions) ? refundedMoney(body) : undefined;
      if (returned !== undefined) event.refundAmount = returned;
    }
    if (ref.editId) event.editId = ref.editId;
    if (body.test === true) event.test = true;
    if (options.completeOrders && (kind === 'order.paid' || kind === 'order.created' || kind === 'order.fulfilled')) event.needsCompletion = true;
    if (ref.refundId === undefined && kind !== 'order.edited') {
      const total = chargedTotal(body);
      if (total) event.orderTotal = total;
    }
    if (check.eventId) event.eventId = check.eventId;
    const occurredAt = timestamp(check.triggeredAt) ?? ref.bodyTimestamp;
    if (occurredAt) event.occurredAt = occurredAt;
    if (scanned) payloadParsedOnRead(event, scanned.text);
    return { ok: true, events: [event] };
  }

  return { receive };
}
