/**
 * Reads one order completely through the GraphQL Admin API: the order with every line item (page
 * after page), and each refund with every refunded line. Bounded queries, so none comes near
 * Shopify's 1,000-point ceiling for a single query.
 */
import { TargetError } from '../../../src/errors.js';
import type { ShopifyGraphqlClient } from './graphql-client.js';
import {
  ORDER_DETAIL,
  ORDER_LINE_ITEMS_PAGE,
  PAGE,
  REFUND_DETAIL,
  type GqlConnection,
  type GqlLineItem,
  type GqlOrder,
  type GqlRefund,
} from './queries.js';
import { orderGid } from './rest-shape.js';

export interface FullOrder {
  order: GqlOrder;
  /** Oldest first. */
  refunds: GqlRefund[];
}

/** A connection this connector reads in one page only must not have more: a truncated order would make a wrong document. */
function whole<T>(connection: GqlConnection<T>, what: string, shop: string, id: string, limit: number): T[] {
  if (connection.pageInfo.hasNextPage) {
    throw new TargetError(
      'rejected',
      `Shopify order ${id} of ${shop} has more than ${limit} ${what}; Puente reads at most ${limit} and will not issue a document from part of them`,
    );
  }
  return connection.nodes;
}

/** undefined when the order does not exist (deleted, or older than the 60 days the app may read). */
export async function readFullOrder(
  client: ShopifyGraphqlClient,
  shop: string,
  orderId: string,
  signal?: AbortSignal,
): Promise<FullOrder | undefined> {
  const id = orderGid(orderId);
  const data = await client.request<{ order: GqlOrder | null }>(shop, { query: ORDER_DETAIL, variables: { id }, ...(signal ? { signal } : {}) });
  const order = data.order;
  if (!order) return undefined;

  const lineItems: GqlLineItem[] = [...order.lineItems.nodes];
  let page = order.lineItems.pageInfo;
  while (page.hasNextPage) {
    const more = await client.request<{ order: { lineItems: GqlConnection<GqlLineItem> } | null }>(shop, {
      query: ORDER_LINE_ITEMS_PAGE,
      variables: { id, after: page.endCursor },
      ...(signal ? { signal } : {}),
    });
    if (!more.order) return undefined;
    lineItems.push(...more.order.lineItems.nodes);
    page = more.order.lineItems.pageInfo;
  }
  const shippingLines = whole(order.shippingLines, 'shipping lines', shop, id, PAGE.shippingLines);

  const refunds: GqlRefund[] = [];
  const summaries = [...order.refunds].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  for (const summary of summaries) {
    const refund = await readRefund(client, shop, summary.id, signal);
    if (refund) refunds.push(refund);
  }

  return {
    order: {
      ...order,
      lineItems: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: lineItems },
      shippingLines: { pageInfo: { hasNextPage: false, endCursor: null }, nodes: shippingLines },
    },
    refunds,
  };
}

async function readRefund(client: ShopifyGraphqlClient, shop: string, refundGid: string, signal?: AbortSignal): Promise<GqlRefund | undefined> {
  let after: string | null = null;
  let first: GqlRefund | undefined;
  const lines: GqlRefund['refundLineItems']['nodes'] = [];
  for (;;) {
    const data: { node: GqlRefund | null } = await client.request<{ node: GqlRefund | null }>(shop, {
      query: REFUND_DETAIL,
      variables: { id: refundGid, after },
      ...(signal ? { signal } : {}),
    });
    const refund = data.node;
    if (!refund || !refund.refundLineItems) return first;
    first ??= refund;
    lines.push(...refund.refundLineItems.nodes);
    if (!refund.refundLineItems.pageInfo.hasNextPage) break;
    after = refund.refundLineItems.pageInfo.endCursor;
  }
  const refund = first!;
  const done = <T>(nodes: T[]): GqlConnection<T> => ({ pageInfo: { hasNextPage: false, endCursor: null }, nodes });
  return {
    ...refund,
    refundLineItems: done(lines),
    refundShippingLines: done(whole(refund.refundShippingLines, 'refunded shipping lines in one refund', shop, refundGid, PAGE.refundShippingLines)),
    orderAdjustments: done(whole(refund.orderAdjustments, 'adjustments in one refund', shop, refundGid, PAGE.orderAdjustments)),
    transactions: done(whole(refund.transactions, 'transactions in one refund', shop, refundGid, PAGE.transactions)),
  };
}
