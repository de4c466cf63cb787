import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWooCommerceSource } from '../../connectors/woocommerce/index.js';
import { buildOrder, buildRefund, type WooOrder } from '../../connectors/woocommerce/sandbox/orders.js';
import type { PollPage, SourceConnector } from '../../src/connector.js';
import { TargetError } from '../../src/errors.js';
import { CONSUMER_ORDER, NIT_ORDER, bindingFor } from './samples.js';

const STORE = 'https://tienda.example';
const SOURCE = 'woocommerce:tienda.example';

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

/** Orders modified one after another, a second apart from `start`, all paid. */
function ordersModified(count: number, start = '2026-11-20T12:00:00', stepMs = 1000): WooOrder[] {
  return Array.from({ length: count }, (_, i) => {
    const modified = new Date(Date.parse(`${start}Z`) + i * stepMs).toISOString().slice(0, 19);
    return { ...buildOrder({ ...CONSUMER_ORDER, id: 6000 + i }), date_modified_gmt: modified };
  });
}

interface ListCall {
  modifiedAfter: string;
  page: number;
}

/** WooCommerce's list endpoint over `store`, as nock replies: filter, sort by modified, page. */
function serveOrders(store: () => WooOrder[], calls: ListCall[], onCall?: (n: number) => void) {
  return nock(STORE)
    .persist()
    .get('/wp-json/wc/v3/orders')
    .query(true)
    .reply(function (uri) {
      const query = new URL(uri, STORE).searchParams;
      expect(query.get('orderby')).toBe('modified');
      expect(query.get('order')).toBe('asc');
      expect(query.get('dates_are_gmt')).toBe('true');
      const modifiedAfter = query.get('modified_after')!;
      const page = Number(query.get('page'));
      const perPage = Number(query.get('per_page'));
      calls.push({ modifiedAfter, page });
      onCall?.(calls.length);
      const after = Date.parse(`${modifiedAfter}Z`);
      const list = store()
        .filter((o) => Date.parse(`${o.date_modified_gmt}Z`) > after)
        .sort((a, b) => a.date_modified_gmt.localeCompare(b.date_modified_gmt) || a.id - b.id);
      return [200, list.slice((page - 1) * perPage, page * perPage), { 'X-WP-Total': String(list.length), 'X-WP-TotalPages': String(Math.ceil(list.length / perPage)) }];
    });
}

async function sweep(source: SourceConnector, request: { cursor?: string; since?: string }): Promise<PollPage[]> {
  const pages: PollPage[] = [];
  for await (const page of source.poll!({ source: SOURCE, ...request })) pages.push(page);
  return pages;
}

const paidOrders = (pages: PollPage[]) => new Set(pages.flatMap((p) => p.events.filter((e) => e.kind === 'order.paid').map((e) => e.orderId)));

describe('the sweep', () => {
  const source = createWooCommerceSource({ bindings: [bindingFor(STORE)], sweep: { pageSize: 3 }, client: { retry: { retries: 0 } } });

  it('walks every order modified since `since`, page by page, ending at the newest change', async () => {
    const store = ordersModified(7);
    const calls: ListCall[] = [];
    serveOrders(() => store, calls);
    const pages = await sweep(source, { since: '2026-11-20T07:00:00-05:00' });
    expect(paidOrders(pages)).toEqual(new Set(store.map((o) => String(o.id))));
    expect(calls[0]).toEqual({ modifiedAfter: '2026-11-20T11:59:59', page: 1 });
    expect(pages[0]!.total).toBe(7);
    // Each change counts once towards the total, though the overlap reads some twice.
    expect(pages.map((p) => p.scanned)).toEqual([3, 2, 2, 0]);
    expect(pages.reduce((sum, p) => sum + (p.scanned ?? 0), 0)).toBe(7);
    expect(JSON.parse(pages.at(-1)!.cursor)).toEqual({ modifiedAfter: '2026-11-20T12:00:06' });
  });

  it('gives each change the delivery id a webhook would, so what a webhook brought is stored once', async () => {
    const store = ordersModified(1);
    serveOrders(() => store, []);
    const pages = await sweep(source, { since: '2026-11-20T11:00:00Z' });
    const ids = pages.flatMap((p) => p.events.map((e) => e.deliveryId)).sort();
    expect(ids).toEqual(['order:6000:created', 'order:6000:modified:2026-11-20T12:00:00', 'order:6000:paid']);
    expect(pages[0]!.events.every((e) => e.source === SOURCE && e.topic === 'sweep')).toBe(true);
  });

  it('continues from its cursor: only later changes, plus the last second again for changes that shared it', async () => {
    const store = ordersModified(4);
    const calls: ListCall[] = [];
    serveOrders(() => store, calls);
    const pages = await sweep(source, { cursor: JSON.stringify({ modifiedAfter: '2026-11-20T12:00:02' }) });
    expect(calls[0]!.modifiedAfter).toBe('2026-11-20T12:00:01');
    expect(paidOrders(pages)).toEqual(new Set(['6002', '6003']));
  });

  it('does not skip an order that slid into a read page because another was modified during the sweep', async () => {
    const store = ordersModified(6);
    // After the first page is read, order 6000 (already read) is modified: it moves to the end and
    // every later order slides one place towards the front.
    serveOrders(
      () => store,
      [],
      (n) => {
        if (n === 2) store[0]!.date_modified_gmt = '2026-11-20T12:30:00';
      },
    );
    const pages = await sweep(source, { since: '2026-11-20T11:00:00Z' });
    expect(paidOrders(pages)).toEqual(new Set(store.map((o) => String(o.id))));
  });

  it('many orders modified in the same second are walked by page number, and the walk ends', async () => {
    const store = ordersModified(8, '2026-11-20T12:00:00', 0);
    const calls: ListCall[] = [];
    serveOrders(() => store, calls);
    const pages = await sweep(source, { since: '2026-11-20T11:00:00Z' });
    expect(paidOrders(pages).size).toBe(8);
    expect(calls.map((c) => c.page)).toEqual([1, 1, 2, 3]);
  });

  it('without a cursor or a start, looks back one day', async () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const dated = createWooCommerceSource({ bindings: [bindingFor(STORE)], sweep: { now: () => now } });
    const calls: ListCall[] = [];
    serveOrders(() => [], calls);
    const pages = await sweep(dated, {});
    expect(calls[0]!.modifiedAfter).toBe('2026-11-20T11:59:59');
    expect(pages).toHaveLength(1);
    expect(pages[0]!.events).toEqual([]);
  });

  it('a cursor it did not write, or an unknown source, is an error that says so', async () => {
    await expect(sweep(source, { cursor: 'page=4' })).rejects.toThrow(/not one this connector wrote/);
    await expect((async () => {
      for await (const _ of source.poll!({ source: 'woocommerce:nope.example' })) void _;
    })()).rejects.toThrow(/no WooCommerce connection/);
  });

  it('WooCommerce refusing the key stops the sweep with an auth error', async () => {
    nock(STORE).get('/wp-json/wc/v3/orders').query(true).reply(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.' });
    const error = await sweep(source, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).kind).toBe('auth');
  });
});

describe('completing a refund', () => {
  const source = createWooCommerceSource({ bindings: [bindingFor(STORE)], client: { retry: { retries: 0 } } });
  const order = buildOrder(NIT_ORDER);
  const refund = buildRefund(order, {
    id: 4850,
    createdAt: '2026-11-22T15:30:00',
    reason: 'Talla equivocada',
    lines: [{ itemId: order.line_items[0]!.id, quantity: 1 }],
    shipping: '6000.00',
  });

  it('replaces the summary with the refund the REST API gives, lines priced for the mapping', async () => {
    const scope = nock(STORE).get('/wp-json/wc/v3/orders/4817/refunds/4850').reply(200, refund);
    const completed = (await source.complete!({
      source: SOURCE,
      kind: 'order.refunded',
      orderId: '4817',
      refundId: '4850',
      payload: { id: 4850, order_id: 4817, total: '-61050.00' },
    })) as Record<string, unknown> & { line_items: Record<string, unknown>[] };
    scope.done();
    expect(completed.amount).toBe('61050.00');
    expect(completed.order_id).toBe(4817);
    expect(completed.line_items[0]).toMatchObject({ quantity: -1, total: '-45302.52', puente_quantity: '1', puente_unit_price: '45302.52' });
    expect(completed.shipping_lines).toEqual(refund.shipping_lines);
  });

  it('throws when WooCommerce cannot be reached, so the event is tried again later', async () => {
    nock(STORE).get('/wp-json/wc/v3/orders/4817/refunds/4850').replyWithError({ code: 'ECONNREFUSED' });
    await expect(
      source.complete!({ source: SOURCE, kind: 'order.refunded', orderId: '4817', refundId: '4850', payload: {} }),
    ).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('leaves other events as they are', async () => {
    const payload = { id: 4817 };
    expect(await source.complete!({ source: SOURCE, kind: 'order.paid', orderId: '4817', payload })).toBe(payload);
  });
});
