/**
 * A loopback stand-in for Shopify's GraphQL Admin API, for end-to-end tests and demos. It answers
 * the operations Puente runs (by operation name — it does not parse GraphQL), with Shopify's
 * response shapes: `data`, `errors` with `extensions.code`, and `extensions.cost` with a per-shop
 * leaky bucket that refuses (THROTTLED) a query costing more than what is left. It checks
 * `X-Shopify-Access-Token`, and records every mutation so tests can assert what was written back.
 *
 * Address it as `adminOrigin: "<simulator.origin>/<shop>"` (one server, many shops), or as
 * `adminOrigin: simulator.origin` (the shop is found by its token).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenSandbox } from '../../../src/sandbox-server.js';
import { operationName } from './graphql-client.js';
import type { FullOrder } from './order-reader.js';
import { PAGE, type GqlConnection, type GqlOrder, type GqlRefund } from './queries.js';
import { PUENTE_WEBHOOK_TOPICS } from './subscriptions.js';

export interface SimulatorBucket {
  maximumAvailable: number;
  restoreRate: number;
}

export interface SimulatorOptions {
  /** Shops and their access tokens. */
  shops: Record<string, { token: string }>;
  bucket?: SimulatorBucket;
  /** Requested cost per operation name; default 10 for queries, 10 for mutations. */
  costs?: Record<string, number>;
  /** Milliseconds since the epoch; share it with the client's `now` to test throttling without waiting. */
  now?: () => number;
  port?: number;
}

export interface RecordedMutation {
  shop: string;
  operation: string;
  variables: Record<string, unknown>;
}

interface ShopState {
  token: string;
  orders: Map<string, FullOrder>;
  subscriptions: { id: string; topic: string; uri: string }[];
  /** `${orderGid}|${namespace}|${key}` → metafield. */
  metafields: Map<string, { id: string; type: string; value: string }>;
  tags: Map<string, Set<string>>;
  bucket: { available: number; at: number };
}

export interface ShopifyAdminSimulator {
  readonly origin: string;
  /** `adminOrigin` for one shop. */
  originFor(shop: string): string;
  /** Adds or replaces an order (orders are listed by updatedAt, then id). */
  putOrder(shop: string, order: FullOrder): void;
  removeOrder(shop: string, orderGid: string): void;
  subscriptions(shop: string): { id: string; topic: string; uri: string }[];
  addSubscription(shop: string, topic: string, uri: string): string;
  metafield(shop: string, orderGid: string, namespace: string, key: string): { type: string; value: string } | undefined;
  tags(shop: string, orderGid: string): string[];
  readonly mutations: RecordedMutation[];
  /** Every request's operation name, in order (for asserting what the client asked). */
  readonly operations: { shop: string; operation: string; status: number; throttled: boolean }[];
  /** The next `count` requests answer this HTTP status (500, 502, 429, 401…) instead. */
  failNext(status: number, count?: number, headers?: Record<string, string>): void;
  /** Sets a shop's bucket level now. */
  setAvailable(shop: string, points: number): void;
  close(): Promise<void>;
}

const THROTTLED_DOC = 'https://shopify.dev/api/usage/rate-limits';

function decodeCursor(cursor: unknown): number {
  if (typeof cursor !== 'string' || cursor === '') return 0;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8').replace(/^i:/, ''));
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
const encodeCursor = (index: number) => Buffer.from(`i:${index}`, 'utf8').toString('base64url');

function page<T>(all: T[], first: number, after: unknown): GqlConnection<T> {
  const start = decodeCursor(after);
  const nodes = all.slice(start, start + first);
  const end = start + nodes.length;
  return { pageInfo: { hasNextPage: end < all.length, endCursor: nodes.length ? encodeCursor(end) : null }, nodes };
}

/** Shopify search syntax, the subset Puente writes: `updated_at:>='<ISO>'` (also `>`). */
function matchesSearch(order: GqlOrder, query: unknown): boolean {
  if (typeof query !== 'string' || query.trim() === '') return true;
  const match = /^updated_at:(>=|>)'([^']+)'$/.exec(query.trim());
  if (!match) throw new SearchError(`simulator: unsupported search query ${JSON.stringify(query)}`);
  const bound = Date.parse(match[2]!);
  const at = Date.parse(order.updatedAt);
  return match[1] === '>=' ? at >= bound : at > bound;
}

class SearchError extends Error {}

const numericId = (gid: string) => BigInt(/\/(\d+)$/.exec(gid)?.[1] ?? '0');

export async function startShopifyAdminSimulator(options: SimulatorOptions): Promise<ShopifyAdminSimulator> {
  const now = options.now ?? Date.now;
  const bucketShape: SimulatorBucket = options.bucket ?? { maximumAvailable: 2000, restoreRate: 100 };
  const shops = new Map<string, ShopState>();
  for (const [shop, { token }] of Object.entries(options.shops)) {
    shops.set(shop, {
      token,
      orders: new Map(),
      subscriptions: [],
      metafields: new Map(),
      tags: new Map(),
      bucket: { available: bucketShape.maximumAvailable, at: now() },
    });
  }
  const mutations: RecordedMutation[] = [];
  const operations: ShopifyAdminSimulator['operations'] = [];
  const faults: { status: number; headers: Record<string, string> }[] = [];
  let nextId = 1000;

  const stateOf = (shop: string): ShopState => {
    const state = shops.get(shop);
    if (!state) throw new Error(`simulator: unknown shop ${shop}`);
    return state;
  };

  function level(state: ShopState): number {
    const restored = ((now() - state.bucket.at) / 1000) * bucketShape.restoreRate;
    return Math.min(bucketShape.maximumAvailable, state.bucket.available + restored);
  }

  function throttleStatus(state: ShopState) {
    return { maximumAvailable: bucketShape.maximumAvailable, currentlyAvailable: Math.floor(level(state)), restoreRate: bucketShape.restoreRate };
  }

  const sortedOrders = (state: ShopState) =>
    [...state.orders.values()].sort((a, b) => {
      const byTime = Date.parse(a.order.updatedAt) - Date.parse(b.order.updatedAt);
      if (byTime !== 0) return byTime;
      const ia = numericId(a.order.id);
      const ib = numericId(b.order.id);
      return ia < ib ? -1 : ia > ib ? 1 : 0;
    });

  const findRefund = (state: ShopState, id: string): GqlRefund | undefined => {
    for (const full of state.orders.values()) {
      const refund = full.refunds.find((r) => r.id === id);
      if (refund) return refund;
    }
    return undefined;
  };

  /** What one operation answers: `data`, or `userErrors` inside it. */
  function resolve(shop: string, state: ShopState, operation: string, v: Record<string, unknown>): unknown {
    switch (operation) {
      case 'PuenteOrdersCount': {
        const count = sortedOrders(state).filter((o) => matchesSearch(o.order, v.query)).length;
        return { ordersCount: { count, precision: 'EXACT' } };
      }
      case 'PuenteOrdersPage': {
        const matching = sortedOrders(state).filter((o) => matchesSearch(o.order, v.query));
        const listed = page(matching, Number(v.first ?? 50), v.after);
        return { orders: { pageInfo: listed.pageInfo, nodes: listed.nodes.map((o) => ({ id: o.order.id, updatedAt: o.order.updatedAt })) } };
      }
      case 'PuenteOrder': {
        const full = state.orders.get(String(v.id));
        if (!full) return { order: null };
        const o = full.order;
        return {
          order: {
            ...o,
            lineItems: page(o.lineItems.nodes, PAGE.lineItems, null),
            shippingLines: page(o.shippingLines.nodes, PAGE.shippingLines, null),
            localizedFields: page(o.localizedFields.nodes, PAGE.localizedFields, null),
            refunds: full.refunds.map((r) => ({ id: r.id, createdAt: r.createdAt })),
          },
        };
      }
      case 'PuenteOrderLineItems': {
        const full = state.orders.get(String(v.id));
        return { order: full ? { lineItems: page(full.order.lineItems.nodes, PAGE.lineItems, v.after) } : null };
      }
      case 'PuenteRefund': {
        const refund = findRefund(state, String(v.id));
        if (!refund) return { node: null };
        return {
          node: {
            ...refund,
            refundLineItems: page(refund.refundLineItems.nodes, PAGE.refundLineItems, v.after),
            refundShippingLines: page(refund.refundShippingLines.nodes, PAGE.refundShippingLines, null),
            orderAdjustments: page(refund.orderAdjustments.nodes, PAGE.orderAdjustments, null),
            transactions: page(refund.transactions.nodes, PAGE.transactions, null),
          },
        };
      }
      case 'PuenteOrderLocalizedFields': {
        const full = state.orders.get(String(v.id));
        return { order: full ? { id: full.order.id, localizedFields: page(full.order.localizedFields.nodes, PAGE.localizedFields, null) } : null };
      }
      case 'PuenteWebhookSubscriptions':
        return { webhookSubscriptions: page(state.subscriptions, Number(v.first ?? 50), v.after) };
      case 'PuenteWebhookSubscriptionCreate': {
        mutations.push({ shop, operation, variables: v });
        const topic = String(v.topic);
        const input = (v.webhookSubscription ?? {}) as { uri?: unknown };
        const userErrors: { field: string[]; message: string }[] = [];
        if (!(PUENTE_WEBHOOK_TOPICS as readonly string[]).includes(topic) && !/^[A-Z_]+$/.test(topic)) {
          userErrors.push({ field: ['topic'], message: 'Topic is invalid' });
        }
        if (typeof input.uri !== 'string' || !/^https?:\/\//.test(input.uri)) userErrors.push({ field: ['webhookSubscription', 'uri'], message: 'Address is invalid' });
        if (state.subscriptions.some((s) => s.topic === topic && s.uri === input.uri)) {
          userErrors.push({ field: ['webhookSubscription', 'uri'], message: 'Address for this topic has already been taken' });
        }
        if (userErrors.length) return { webhookSubscriptionCreate: { webhookSubscription: null, userErrors } };
        const subscription = { id: `gid://shopify/WebhookSubscription/${nextId++}`, topic, uri: input.uri as string };
        state.subscriptions.push(subscription);
        return { webhookSubscriptionCreate: { webhookSubscription: subscription, userErrors: [] } };
      }
      case 'PuenteWebhookSubscriptionDelete': {
        mutations.push({ shop, operation, variables: v });
        const at = state.subscriptions.findIndex((s) => s.id === v.id);
        if (at < 0) return { webhookSubscriptionDelete: { deletedWebhookSubscriptionId: null, userErrors: [{ field: ['id'], message: 'Webhook subscription does not exist' }] } };
        state.subscriptions.splice(at, 1);
        return { webhookSubscriptionDelete: { deletedWebhookSubscriptionId: v.id, userErrors: [] } };
      }
      case 'PuenteOrderMetafield': {
        const full = state.orders.get(String(v.id));
        if (!full) return { order: null };
        const field = state.metafields.get(`${v.id}|${v.namespace}|${v.key}`);
        return { order: { id: full.order.id, metafield: field ? { id: field.id, value: field.value } : null } };
      }
      case 'PuenteMetafieldsSet': {
        mutations.push({ shop, operation, variables: v });
        const inputs = (Array.isArray(v.metafields) ? v.metafields : []) as { ownerId?: string; namespace?: string; key?: string; type?: string; value?: string }[];
        const userErrors: { field: string[]; message: string; code: string }[] = [];
        inputs.forEach((m, i) => {
          if (!m.ownerId || !state.orders.has(m.ownerId)) userErrors.push({ field: ['metafields', String(i), 'ownerId'], message: 'Owner does not exist.', code: 'INVALID' });
          if (!m.namespace || m.namespace.length < 3) userErrors.push({ field: ['metafields', String(i), 'namespace'], message: 'Namespace is too short (minimum is 3 characters)', code: 'TOO_SHORT' });
          if (m.type === 'json') {
            try {
              JSON.parse(String(m.value));
            } catch {
              userErrors.push({ field: ['metafields', String(i), 'value'], message: 'Value is invalid JSON', code: 'INVALID_VALUE' });
            }
          }
        });
        if (userErrors.length) return { metafieldsSet: { metafields: null, userErrors } };
        const set = inputs.map((m) => {
          const key = `${m.ownerId}|${m.namespace}|${m.key}`;
          const id = state.metafields.get(key)?.id ?? `gid://shopify/Metafield/${nextId++}`;
          state.metafields.set(key, { id, type: String(m.type), value: String(m.value) });
          return { id, namespace: m.namespace, key: m.key };
        });
        return { metafieldsSet: { metafields: set, userErrors: [] } };
      }
      case 'PuenteTagsAdd': {
        mutations.push({ shop, operation, variables: v });
        const id = String(v.id);
        if (!state.orders.has(id)) return { tagsAdd: { node: null, userErrors: [{ field: ['id'], message: 'Order does not exist' }] } };
        const tags = state.tags.get(id) ?? new Set<string>();
        for (const tag of (v.tags as string[]) ?? []) tags.add(tag);
        state.tags.set(id, tags);
        return { tagsAdd: { node: { id }, userErrors: [] } };
      }
      default:
        throw new SearchError(`simulator: operation ${operation} is not simulated`);
    }
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://simulator');
    const match = /^(?:\/([a-z0-9][a-z0-9-]*\.myshopify\.com))?\/admin\/api\/([^/]+)\/graphql\.json$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      send(res, 404, { errors: 'Not Found' });
      return;
    }
    const token = String(req.headers['x-shopify-access-token'] ?? '');
    const shop = match[1] ?? [...shops.entries()].find(([, s]) => s.token === token)?.[0];
    const state = shop ? shops.get(shop) : undefined;
    let body: { query?: unknown; variables?: Record<string, unknown> } = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof body;
    } catch {
      send(res, 400, { errors: 'Bad Request: the body is not JSON' });
      return;
    }
    const operation = typeof body.query === 'string' ? operationName(body.query) : 'anonymous';
    const fault = faults.shift();
    if (fault) {
      operations.push({ shop: shop ?? '?', operation, status: fault.status, throttled: false });
      send(res, fault.status, { errors: `simulated ${fault.status}` }, fault.headers);
      return;
    }
    if (!state || !shop || state.token !== token) {
      operations.push({ shop: shop ?? '?', operation, status: 401, throttled: false });
      send(res, 401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
      return;
    }
    const cost = options.costs?.[operation] ?? 10;
    const available = level(state);
    if (cost > available) {
      operations.push({ shop, operation, status: 200, throttled: true });
      send(res, 200, {
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: THROTTLED_DOC } }],
        extensions: { cost: { requestedQueryCost: cost, actualQueryCost: null, throttleStatus: throttleStatus(state) } },
      });
      return;
    }
    let data: unknown;
    try {
      data = resolve(shop, state, operation, body.variables ?? {});
    } catch (error) {
      if (!(error instanceof SearchError)) throw error;
      operations.push({ shop, operation, status: 200, throttled: false });
      send(res, 200, { errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }] });
      return;
    }
    state.bucket = { available: available - cost, at: now() };
    operations.push({ shop, operation, status: 200, throttled: false });
    send(res, 200, { data, extensions: { cost: { requestedQueryCost: cost, actualQueryCost: cost, throttleStatus: throttleStatus(state) } } });
  }

  const listening = await listenSandbox((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { errors: String(error) }));
  }, options.port ?? 0);
  const origin = listening.url;

  return {
    origin,
    originFor: (shop) => `${origin}/${shop}`,
    putOrder(shop, order) {
      stateOf(shop).orders.set(order.order.id, order);
    },
    removeOrder(shop, orderGid) {
      stateOf(shop).orders.delete(orderGid);
    },
    subscriptions: (shop) => stateOf(shop).subscriptions.map((s) => ({ ...s })),
    addSubscription(shop, topic, uri) {
      const id = `gid://shopify/WebhookSubscription/${nextId++}`;
      stateOf(shop).subscriptions.push({ id, topic, uri });
      return id;
    },
    metafield(shop, orderGid, namespace, key) {
      const field = stateOf(shop).metafields.get(`${orderGid}|${namespace}|${key}`);
      return field ? { type: field.type, value: field.value } : undefined;
    },
    tags: (shop, orderGid) => [...(stateOf(shop).tags.get(orderGid) ?? [])],
    mutations,
    operations,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) faults.push({ status, headers });
    },
    setAvailable(shop, points) {
      stateOf(shop).bucket = { available: points, at: now() };
    },
    close: () => listening.close(),
  };
}
