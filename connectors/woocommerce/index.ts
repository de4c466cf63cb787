/**
 * The WooCommerce source connector: webhook deliveries per connection, the reconciliation sweep and
 * backfills through the orders list, and completion of refunds (the order lists only their ids and
 * totals; the credit note needs their lines, fetched from the REST API outside the webhook's ack).
 */
import type { CompletableEvent, PollRequest, SourceConnector } from '../../src/connector.js';
import type { SourceBinding } from '../index.js';
import { withRefundAmounts } from './amounts.js';
import { wooCommerceBindings, type WooCommerceConnection } from './bindings.js';
import { WooCommerceClient, type WooCommerceClientOptions } from './client.js';
import { sweepOrders } from './sweep.js';
import { createWooCommerceWebhookReceiver } from './webhook.js';

export interface WooCommerceSourceOptions {
  /** Every connection's binding; a function is read on each call, so connections can change at run time. */
  bindings: readonly SourceBinding[] | (() => readonly SourceBinding[]);
  logger?: WooCommerceClientOptions['logger'];
  /** For tests: another fetch, shorter retries. */
  client?: Pick<WooCommerceClientOptions, 'fetch' | 'retry' | 'timeoutMs'>;
  sweep?: { pageSize?: number; now?: () => Date };
  maxBodyBytes?: number;
}

export function createWooCommerceSource(options: WooCommerceSourceOptions): SourceConnector {
  const list = typeof options.bindings === 'function' ? options.bindings : () => options.bindings as readonly SourceBinding[];
  const bindings = wooCommerceBindings(list);
  const clients = new Map<string, { key: string; client: WooCommerceClient }>();

  function clientFor(connection: WooCommerceConnection): WooCommerceClient {
    const { url, consumerKey, consumerSecret } = connection.settings;
    const key = `${url}|${consumerKey}|${consumerSecret}`;
    const cached = clients.get(connection.source);
    if (cached?.key === key) return cached.client;
    const client = new WooCommerceClient({ url, consumerKey, consumerSecret, ...options.client, ...(options.logger ? { logger: options.logger } : {}) });
    clients.set(connection.source, { key, client });
    return client;
  }

  function connectionFor(source: string): WooCommerceConnection {
    const connection = bindings.bySource(source);
    if (!connection) throw new Error(`no WooCommerce connection for source ${source}`);
    return connection;
  }

  return {
    name: 'woocommerce',
    webhook: createWooCommerceWebhookReceiver(bindings, options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    async *poll(request: PollRequest) {
      const connection = connectionFor(request.source);
      yield* sweepOrders(connection, clientFor(connection), request, options.sweep ?? {});
    },
    async complete(event: CompletableEvent) {
      if (event.kind !== 'order.refunded' || !event.refundId) return event.payload;
      const connection = connectionFor(event.source);
      const refund = await clientFor(connection).getRefund(event.orderId, event.refundId);
      return withRefundAmounts({ ...refund, order_id: Number(event.orderId) });
    },
  };
}

export { WooCommerceSourceSettings, wooCommerceSourceKey, wooCommerceStoreName } from './config.js';
export { WooCommerceClient } from './client.js';
export { eventsForOrder } from './events.js';
export { signWooCommerceWebhook, oauthSignedUrl } from './signing.js';
