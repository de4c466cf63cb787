/**
 * A WooCommerce store simulator on 127.0.0.1, for end-to-end tests and local trials. It holds orders
 * and refunds, serves the REST API routes Puente reads (`/wp-json/wc/v3/orders` with modified_after,
 * orderby=modified, page/per_page and the X-WP-Total headers; one refund), and, like WooCommerce,
 * sends a signed webhook to the delivery URL when an order changes — one attempt, never retried.
 *
 * WooCommerce's rules it follows: over plain http the REST API takes only OAuth 1.0a one-legged
 * signatures (Basic auth needs https), with a timestamp within 15 minutes and a nonce used once;
 * saving the webhook posts the unsigned form ping `webhook_id=<id>`; refunds arrive as order.updated;
 * an order whose refunds reach its total becomes `refunded`; dates are second-resolution, in the
 * store's time and in GMT.
 *
 * Test routes (under /_sandbox): create, pay, complete, refund, cancel and edit orders; drop the next
 * deliveries (a lost delivery the sweep must recover); resend a delivery exactly (a duplicate);
 * read the delivery log.
 */
import { createHash, randomBytes } from 'node:crypto';
import express from 'express';
import { Dec } from '../../../src/domain/money.js';
import { listenSandbox } from '../../../src/sandbox-server.js';
import { oauthSignature, signWooCommerceWebhook, type OAuthMethod } from '../signing.js';
import { buildOrder, buildRefund, localOf, remainingRefundable, type OrderSpec, type RefundSpec, type WooOrder } from './orders.js';

export const WOOCOMMERCE_SANDBOX_CONSUMER_KEY = 'ck_5ea1d2b3c4d5e6f708192a3b4c5d6e7f80912a3b';
export const WOOCOMMERCE_SANDBOX_CONSUMER_SECRET = 'cs_9f8e7d6c5b4a39281706f5e4d3c2b1a098f7e6d5';
export const WOOCOMMERCE_SANDBOX_WEBHOOK_SECRET = 'puente-sandbox-webhook-secret';

export interface WooCommerceSandboxOptions {
  port?: number;
  host?: string;
  consumerKey?: string;
  consumerSecret?: string;
  webhookSecret?: string;
  /** Where order webhooks go (`https://<puente>/webhooks/woocommerce/<connection id>`); settable later. */
  deliveryUrl?: string;
}

export interface DeliveryRecord {
  index: number;
  topic: string;
  orderId: number;
  deliveryId: string;
  outcome: 'delivered' | 'dropped' | 'failed';
  status?: number;
  body: string;
}

export interface WooCommerceSandbox {
  url: string;
  consumerKey: string;
  consumerSecret: string;
  webhookSecret: string;
  orders: Map<number, WooOrder>;
  deliveries: DeliveryRecord[];
  /** Resolves when every delivery started so far has finished. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const OAUTH_WINDOW_S = 15 * 60;
const WEBHOOK_ID = 1;

export async function startWooCommerceSandbox(options: WooCommerceSandboxOptions = {}): Promise<WooCommerceSandbox> {
  const consumerKey = options.consumerKey ?? WOOCOMMERCE_SANDBOX_CONSUMER_KEY;
  const consumerSecret = options.consumerSecret ?? WOOCOMMERCE_SANDBOX_CONSUMER_SECRET;
  let webhookSecret = options.webhookSecret ?? WOOCOMMERCE_SANDBOX_WEBHOOK_SECRET;
  let deliveryUrl = options.deliveryUrl;
  const orders = new Map<number, WooOrder>();
  const refunds = new Map<number, { orderId: number; refund: Record<string, unknown> }>();
  const deliveries: DeliveryRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  const nonces = new Set<string>();
  let dropNext = 0;
  let nextPostId = 5000;
  let lastModifiedMs = 0;

  /** WordPress stores dates to the second; every change moves date_modified forward. */
  function stamp(): string {
    const now = Math.max(Math.floor(Date.now() / 1000) * 1000, lastModifiedMs + 1000);
    lastModifiedMs = now;
    return new Date(now).toISOString().slice(0, 19);
  }

  function touch(order: WooOrder): string {
    const gmt = stamp();
    order.date_modified_gmt = gmt;
    order.date_modified = localOf(gmt);
    return gmt;
  }

  function deliver(topic: 'order.created' | 'order.updated', order: WooOrder, resend?: DeliveryRecord): void {
    if (!deliveryUrl) return;
    // The payload is the order as the REST API gives it at send time.
    const body = resend?.body ?? JSON.stringify(order);
    const deliveryId = resend?.deliveryId ?? createHash('sha1').update(`${WEBHOOK_ID}|${Date.now()}|${randomBytes(4).toString('hex')}`).digest('hex');
    const record: DeliveryRecord = { index: deliveries.length, topic, orderId: order.id, deliveryId, outcome: 'delivered', body };
    deliveries.push(record);
    if (!resend && dropNext > 0) {
      dropNext -= 1;
      record.outcome = 'dropped';
      return;
    }
    const url = deliveryUrl;
    const attempt = (async () => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)',
            'X-WC-Webhook-Source': `${sandbox.url}/`,
            'X-WC-Webhook-Topic': topic,
            'X-WC-Webhook-Resource': 'order',
            'X-WC-Webhook-Event': topic.slice('order.'.length),
            'X-WC-Webhook-Signature': signWooCommerceWebhook(body, webhookSecret),
            'X-WC-Webhook-ID': String(WEBHOOK_ID),
            'X-WC-Webhook-Delivery-ID': deliveryId,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(60_000),
        });
        await response.arrayBuffer();
        record.status = response.status;
        // WooCommerce counts 2xx, 301 and 302 as delivered; anything else is a failure, never retried.
        if (!(response.status >= 200 && response.status <= 302)) record.outcome = 'failed';
      } catch {
        record.outcome = 'failed';
      }
    })();
    inFlight.add(attempt);
    void attempt.finally(() => inFlight.delete(attempt));
  }

  function requireOrder(id: string | undefined): WooOrder {
    const order = orders.get(Number(id));
    if (!order) throw Object.assign(new Error('Invalid ID.'), { status: 404, code: 'woocommerce_rest_shop_order_invalid_id' });
    return order;
  }

  /** WC_REST_Authentication over plain http: OAuth 1.0a in the query string, else nobody. */
  function authenticated(req: express.Request): boolean {
    const query = req.query as Record<string, string>;
    if (!query.oauth_signature) return false;
    if (query.oauth_consumer_key !== consumerKey) return false;
    const method = query.oauth_signature_method as OAuthMethod;
    if (method !== 'HMAC-SHA1' && method !== 'HMAC-SHA256') return false;
    // WordPress rebuilds the signed URL from home_url and the request path, without the query.
    const base = `${sandbox.url}${new URL(req.originalUrl, sandbox.url).pathname}`;
    const expected = oauthSignature(req.method, base, query, consumerSecret, method);
    if (expected !== query.oauth_signature.replace(/ /g, '+')) return false;
    const timestamp = Number(query.oauth_timestamp);
    if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > OAUTH_WINDOW_S) return false;
    const nonce = `${timestamp}|${query.oauth_nonce}`;
    if (!query.oauth_nonce || nonces.has(nonce)) return false;
    nonces.add(nonce);
    return true;
  }

  const app = express();
  app.use(express.json());

  const api = express.Router();
  api.use((req, res, next) => {
    if (authenticated(req)) return next();
    res.status(401).json({ code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
  });
  api.get('/orders', (req, res) => {
    const query = req.query as Record<string, string | undefined>;
    const perPage = Math.min(100, Math.max(1, Number(query.per_page ?? 10)));
    const page = Math.max(1, Number(query.page ?? 1));
    let list = [...orders.values()];
    if (query.modified_after) {
      const gmt = query.dates_are_gmt === 'true';
      const after = Date.parse(`${query.modified_after}${gmt ? 'Z' : '-05:00'}`);
      if (Number.isNaN(after)) {
        res.status(400).json({ code: 'rest_invalid_param', message: 'Invalid parameter(s): modified_after', data: { status: 400 } });
        return;
      }
      list = list.filter((o) => Date.parse(`${o.date_modified_gmt}Z`) > after);
    }
    if (query.status && query.status !== 'any') list = list.filter((o) => query.status!.split(',').includes(o.status));
    const orderby = query.orderby ?? 'date';
    const key = (o: WooOrder) => (orderby === 'modified' ? (o.date_modified_gmt as string) : orderby === 'id' ? String(o.id).padStart(12, '0') : (o.date_created_gmt as string));
    list.sort((a, b) => key(a).localeCompare(key(b)) || a.id - b.id);
    if ((query.order ?? 'desc') === 'desc') list.reverse();
    res.set('X-WP-Total', String(list.length));
    res.set('X-WP-TotalPages', String(Math.ceil(list.length / perPage)));
    res.json(list.slice((page - 1) * perPage, page * perPage));
  });
  api.get('/orders/:id', (req, res) => {
    res.json(requireOrder(req.params.id));
  });
  api.get('/orders/:id/refunds/:refundId', (req, res) => {
    const order = requireOrder(req.params.id);
    const found = refunds.get(Number(req.params.refundId));
    if (!found || found.orderId !== order.id) {
      res.status(404).json({ code: 'woocommerce_rest_invalid_id', message: 'Invalid resource ID.', data: { status: 404 } });
      return;
    }
    res.json(found.refund);
  });
  app.use('/wp-json/wc/v3', api);

  // ─── test routes ─────────────────────────────────────────────────────────────────────────────
  const test = express.Router();
  test.post('/webhook', (req, res) => {
    const body = req.body as { deliveryUrl?: string; secret?: string };
    deliveryUrl = body.deliveryUrl ?? deliveryUrl;
    webhookSecret = body.secret ?? webhookSecret;
    // Saving a webhook pings its delivery URL with an unsigned form body.
    void (async () => {
      let status = 0;
      try {
        const response = await fetch(deliveryUrl!, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `webhook_id=${WEBHOOK_ID}` });
        status = response.status;
      } catch {
        status = 0;
      }
      res.status(status === 200 ? 200 : 502).json({ ping: status });
    })();
  });
  test.post('/orders', (req, res) => {
    const spec = req.body as OrderSpec;
    const order = buildOrder({ ...spec, createdAt: stamp() });
    orders.set(order.id, order);
    nextPostId = Math.max(nextPostId, order.id + 1);
    deliver('order.created', order);
    res.status(201).json(order);
  });
  test.post('/orders/:id/pay', (req, res) => {
    const order = requireOrder(req.params.id);
    const gmt = touch(order);
    order.status = (req.body as { status?: string })?.status ?? 'processing';
    order.date_paid_gmt = gmt;
    order.date_paid = localOf(gmt);
    order.needs_payment = false;
    order.is_editable = false;
    if (order.status === 'completed') {
      order.date_completed_gmt = gmt;
      order.date_completed = localOf(gmt);
    }
    deliver('order.updated', order);
    res.json(order);
  });
  test.post('/orders/:id/complete', (req, res) => {
    const order = requireOrder(req.params.id);
    const gmt = touch(order);
    order.status = 'completed';
    order.date_completed_gmt = gmt;
    order.date_completed = localOf(gmt);
    deliver('order.updated', order);
    res.json(order);
  });
  test.post('/orders/:id/refunds', (req, res) => {
    const order = requireOrder(req.params.id);
    const spec = req.body as Omit<RefundSpec, 'id' | 'createdAt'>;
    const gmt = touch(order);
    const refund = buildRefund(order, { ...spec, id: nextPostId++, createdAt: gmt });
    if (new Dec(refund.amount).gt(remainingRefundable(order))) {
      res.status(400).json({ code: 'woocommerce_rest_cannot_create_order_refund', message: 'Invalid refund amount.', data: { status: 400 } });
      return;
    }
    refunds.set(refund.id as number, { orderId: order.id, refund });
    // The order lists its refunds newest first, with negative totals.
    order.refunds.unshift({ id: refund.id as number, reason: spec.reason ?? '', total: `-${refund.amount}` });
    if (remainingRefundable(order).lte(0)) order.status = 'refunded';
    deliver('order.updated', order);
    res.status(201).json(refund);
  });
  test.post('/orders/:id/cancel', (req, res) => {
    const order = requireOrder(req.params.id);
    touch(order);
    order.status = 'cancelled';
    deliver('order.updated', order);
    res.json(order);
  });
  /** An admin edit: lines added, totals recalculated (the order keeps its id, refunds and dates). */
  test.post('/orders/:id/edit', (req, res) => {
    const order = requireOrder(req.params.id);
    const spec = req.body as OrderSpec;
    const rebuilt = buildOrder({ ...spec, id: order.id, status: order.status, createdAt: order.date_created_gmt as string });
    // Lines keep their item ids across an edit; added lines get new ones, as WooCommerce's
    // order-items table does.
    let nextItemId = Math.max(...[...order.line_items, ...order.shipping_lines, ...order.fee_lines].map((l) => l.id), 0);
    for (const kind of ['line_items', 'shipping_lines', 'fee_lines'] as const) {
      rebuilt[kind].forEach((line, i) => {
        line.id = order[kind][i]?.id ?? ++nextItemId;
      });
    }
    const gmt = touch(order);
    for (const key of ['line_items', 'tax_lines', 'shipping_lines', 'fee_lines', 'coupon_lines', 'discount_total', 'discount_tax', 'shipping_total', 'shipping_tax', 'cart_tax', 'total', 'total_tax'] as const) {
      (order as Record<string, unknown>)[key] = rebuilt[key];
    }
    order.date_modified_gmt = gmt;
    deliver('order.updated', order);
    res.json(order);
  });
  test.post('/drop-next', (req, res) => {
    dropNext += Number((req.body as { count?: number })?.count ?? 1);
    res.json({ dropNext });
  });
  test.post('/deliveries/:index/resend', (req, res) => {
    const record = deliveries[Number(req.params.index)];
    if (!record) {
      res.status(404).json({ error: 'no such delivery' });
      return;
    }
    deliver(record.topic as 'order.updated', requireOrder(String(record.orderId)), record);
    res.json({ resent: record.deliveryId });
  });
  test.get('/deliveries', (_req, res) => {
    res.json({ deliveries: deliveries.map(({ body: _body, ...rest }) => rest) });
  });
  test.get('/settled', async (_req, res) => {
    await Promise.all([...inFlight]);
    res.json({ ok: true });
  });
  app.use('/_sandbox', test);
  app.use((error: Error & { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).json({ code: error.code ?? 'internal_error', message: error.message, data: { status: error.status ?? 500 } });
  });

  const listening = await listenSandbox(app, options.port ?? 0, options.host ?? '127.0.0.1');
  const sandbox: WooCommerceSandbox = {
    url: listening.url,
    consumerKey,
    consumerSecret,
    get webhookSecret() {
      return webhookSecret;
    },
    orders,
    deliveries,
    settled: async () => {
      await Promise.all([...inFlight]);
    },
    close: () => listening.close(),
  };
  return sandbox;
}

export { buildOrder, buildRefund, CO_TAX_RATES, type OrderSpec, type RefundSpec, type WooOrder } from './orders.js';
