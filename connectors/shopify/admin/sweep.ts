/**
 * The reconciliation sweep (reference §1.8: "implement reconciliation jobs"; §1.12 backfill): lists
 * the orders updated since the cursor, oldest change first, and for each one produces the events
 * its webhooks would have produced — created, paid, fulfilled, one per refund, cancelled, and the
 * update itself — with payloads in the webhook's REST shape. Each event's deliveryId is derived from
 * what it is (`sweep:order:<id>:paid`, `sweep:refund:<id>`), so sweeping the same order twice stores
 * nothing new; a late webhook for the same change meets the ledger's business-key dedupe.
 *
 * The cursor is the update time of the last order handled plus the ids handled at that exact
 * second: Shopify's `updated_at` filter is inclusive and several orders can share a second, so the
 * next run asks from that second again and skips only the orders it already handled.
 */
import type { PollPage, PollRequest, SourceEvent } from '../../../src/connector.js';
import type { AdminLogger, ShopifyGraphqlClient } from './graphql-client.js';
import { readFullOrder, type FullOrder } from './order-reader.js';
import { ORDERS_COUNT, ORDERS_PAGE, type GqlPageInfo } from './queries.js';
import { chargedTotal, legacyId, restOrder, restRefund, type RestObject } from './rest-shape.js';
import { refundedMoney } from '../refund-money.js';

export interface SweepCursor {
  /** ISO instant (UTC) of the last order handled. */
  updatedAt: string;
  /** Orders handled that were updated at exactly `updatedAt`. */
  ids: string[];
}

export function encodeSweepCursor(cursor: SweepCursor): string {
  return JSON.stringify({ v: 1, updatedAt: cursor.updatedAt, ids: cursor.ids });
}

export function decodeSweepCursor(text: string): SweepCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const value = parsed as { v?: unknown; updatedAt?: unknown; ids?: unknown } | undefined;
  if (
    !value ||
    value.v !== 1 ||
    typeof value.updatedAt !== 'string' ||
    Number.isNaN(Date.parse(value.updatedAt)) ||
    !Array.isArray(value.ids) ||
    !value.ids.every((id) => typeof id === 'string')
  ) {
    throw new Error(`Shopify sweep cursor ${JSON.stringify(text).slice(0, 120)} is not one this connector wrote; clear the poll cursor to sweep from "since" again`);
  }
  return { updatedAt: value.updatedAt, ids: value.ids as string[] };
}

/** `shopify:acme.myshopify.com` → `acme.myshopify.com`. */
export function shopOfSource(source: string): string {
  const match = /^shopify:([a-z0-9][a-z0-9-]*\.myshopify\.com)$/.exec(source);
  if (!match) throw new Error(`"${source}" is not a Shopify source key (shopify:<shop>.myshopify.com)`);
  return match[1]!;
}

/** Normalised instant: the webhook gives the shop's offset, GraphQL gives UTC; the same moment must give the same key. */
const instant = (iso: string): string => new Date(iso).toISOString();

const PAID_STATUSES = new Set(['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED']);

/**
 * The order as it stood when it was paid: webhooks of that moment carry no refunds, and a line's
 * `current_quantity` still counts the units refunded later (an invoice made from the swept order
 * must not leave out what a credit note will take out again).
 */
function asBeforeRefunds(order: RestObject): RestObject {
  const refunded = new Map<string, number>();
  for (const refund of (order.refunds as RestObject[]) ?? []) {
    for (const line of (refund.refund_line_items as RestObject[]) ?? []) {
      const id = String(line.line_item_id);
      refunded.set(id, (refunded.get(id) ?? 0) + Number(line.quantity ?? 0));
    }
  }
  return {
    ...order,
    refunds: [],
    line_items: ((order.line_items as RestObject[]) ?? []).map((line) => {
      const back = refunded.get(String(line.id)) ?? 0;
      return back === 0 ? line : { ...line, current_quantity: Number(line.current_quantity ?? 0) + back };
    }),
  };
}

/** The events the webhooks would have delivered for this order, in the order they happen. */
export function eventsForOrder(source: string, full: FullOrder): SourceEvent[] {
  const { order, refunds } = full;
  const orderId = legacyId(order.id);
  const current = restOrder(order, refunds);
  const beforeRefunds = refunds.length > 0 ? asBeforeRefunds(current) : current;
  const orderTotal = chargedTotal(order, refunds);
  const test = order.test ? { test: true } : {};
  const base = { source, orderId, ...test };
  const events: SourceEvent[] = [];

  events.push({
    ...base,
    kind: 'order.created',
    topic: 'orders/create',
    deliveryId: `sweep:order:${orderId}:created`,
    occurredAt: order.createdAt,
    orderTotal,
    payload: beforeRefunds,
  });
  if (order.displayFinancialStatus && PAID_STATUSES.has(order.displayFinancialStatus)) {
    events.push({
      ...base,
      kind: 'order.paid',
      topic: 'orders/paid',
      deliveryId: `sweep:order:${orderId}:paid`,
      occurredAt: order.processedAt,
      orderTotal,
      payload: beforeRefunds,
    });
  }
  if (order.displayFulfillmentStatus === 'FULFILLED') {
    events.push({
      ...base,
      kind: 'order.fulfilled',
      topic: 'orders/fulfilled',
      deliveryId: `sweep:order:${orderId}:fulfilled`,
      orderTotal,
      payload: current,
    });
  }
  for (const refund of refunds) {
    const refundId = legacyId(refund.id);
    events.push({
      ...base,
      kind: 'order.refunded',
      topic: 'refunds/create',
      deliveryId: `sweep:refund:${refundId}`,
      refundId,
      occurredAt: refund.createdAt,
      payload: restRefund(order, refund),
    });
    const returned = refundedMoney(events.at(-1)!.payload as Record<string, unknown>);
    if (returned !== undefined) events.at(-1)!.refundAmount = returned;
  }
  if (order.cancelledAt) {
    events.push({
      ...base,
      kind: 'order.cancelled',
      topic: 'orders/cancelled',
      deliveryId: `sweep:order:${orderId}:cancelled`,
      occurredAt: order.cancelledAt,
      orderTotal,
      payload: current,
    });
  }
  const editId = instant(order.updatedAt);
  events.push({
    ...base,
    kind: 'order.updated',
    topic: 'orders/updated',
    deliveryId: `sweep:order:${orderId}:updated:${editId}`,
    editId,
    occurredAt: order.updatedAt,
    orderTotal,
    payload: current,
  });
  return events;
}

export interface SweepOptions {
  client: ShopifyGraphqlClient;
  logger?: AdminLogger;
  /** Orders listed per page (each page is one PollPage). Default 25. */
  pageSize?: number;
}

interface ListedOrder {
  id: string;
  updatedAt: string;
}

function searchFrom(instantIso: string | undefined): string | undefined {
  // Shopify's search syntax; the quotes keep the timestamp's colons inside the value.
  return instantIso ? `updated_at:>='${instant(instantIso)}'` : undefined;
}

/** Was this order handled by the run that wrote `cursor`? */
function handled(cursor: SweepCursor | undefined, order: ListedOrder): boolean {
  if (!cursor) return false;
  const at = Date.parse(order.updatedAt);
  const mark = Date.parse(cursor.updatedAt);
  if (at < mark) return true;
  return at === mark && cursor.ids.includes(legacyId(order.id));
}

function advance(cursor: SweepCursor | undefined, order: ListedOrder): SweepCursor {
  const updatedAt = instant(order.updatedAt);
  const id = legacyId(order.id);
  if (cursor && Date.parse(cursor.updatedAt) === Date.parse(updatedAt)) {
    return { updatedAt, ids: cursor.ids.includes(id) ? cursor.ids : [...cursor.ids, id] };
  }
  if (cursor && Date.parse(cursor.updatedAt) > Date.parse(updatedAt)) return cursor;
  return { updatedAt, ids: [id] };
}

export async function* sweepOrders(options: SweepOptions, request: PollRequest): AsyncIterable<PollPage> {
  const { client, logger } = options;
  const shop = shopOfSource(request.source);
  const pageSize = options.pageSize ?? 25;
  let cursor = request.cursor ? decodeSweepCursor(request.cursor) : undefined;
  const from = cursor?.updatedAt ?? request.since;
  if (from !== undefined && Number.isNaN(Date.parse(from))) {
    throw new Error(`poll "since" must be an ISO 8601 instant with its offset, got ${JSON.stringify(from)}`);
  }
  const query = searchFrom(from);
  const signal = request.signal;
  const withSignal = signal ? { signal } : {};

  let total: number | undefined;
  try {
    const counted = await client.request<{ ordersCount: { count: number } | null }>(shop, {
      query: ORDERS_COUNT,
      variables: { query: query ?? null },
      ...withSignal,
    });
    total = counted.ordersCount?.count;
  } catch (error) {
    // The count only feeds a progress bar; the sweep goes on without it.
    logger?.debug({ shop, error: (error as Error).message }, 'shopify sweep: orders count unavailable');
  }

  let after: string | null = null;
  let scanned = 0;
  for (;;) {
    const data: { orders: { pageInfo: GqlPageInfo; nodes: ListedOrder[] } } = await client.request(shop, {
      query: ORDERS_PAGE,
      variables: { first: pageSize, after, query: query ?? null },
      ...withSignal,
    });
    const { nodes, pageInfo } = data.orders;
    const events: SourceEvent[] = [];
    for (const listed of nodes) {
      if (!handled(cursor, listed)) {
        const full = await readFullOrder(client, shop, listed.id, signal);
        // Gone since it was listed (deleted): nothing to reconcile.
        if (full) events.push(...eventsForOrder(request.source, full));
      }
      cursor = advance(cursor, listed);
    }
    scanned += nodes.length;
    if (nodes.length > 0 && cursor) {
      logger?.info({ shop, orders: nodes.length, events: events.length, scanned }, 'shopify sweep page');
      yield { events, cursor: encodeSweepCursor(cursor), scanned: nodes.length, ...(total !== undefined ? { total } : {}) };
    }
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) return;
    after = pageInfo.endCursor;
  }
}
