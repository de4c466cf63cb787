import { afterEach, describe, expect, it } from 'vitest';
import { createShopifyAdmin } from '../../../connectors/shopify/admin/index.js';
import { sampleGqlOrder } from '../../../connectors/shopify/admin/sample-orders.js';
import { startShopifyAdminSimulator, type ShopifyAdminSimulator, type SimulatorOptions } from '../../../connectors/shopify/admin/simulator.js';
import { decodeSweepCursor } from '../../../connectors/shopify/admin/sweep.js';
import { SAMPLE_CANCELLATION_REFUND, SAMPLE_CANCELLED_AT, SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND } from '../../../connectors/shopify/samples/index.js';
import type { SampleOrder } from '../../../connectors/shopify/samples/build.js';
import type { PollPage, PollRequest, SourceEvent } from '../../../src/connector.js';
import { TargetError } from '../../../src/errors.js';

const SHOP = 'puente-demo.myshopify.com';
const SOURCE = `shopify:${SHOP}`;
const TOKEN = 'shpat_sim';

let simulator: ShopifyAdminSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

function fakeTime() {
  let clock = Date.parse('2026-04-01T00:00:00Z');
  const sleeps: number[] = [];
  return { now: () => clock, sleep: async (ms: number) => void (sleeps.push(ms), (clock += ms)), sleeps };
}

async function setup(extra: Partial<SimulatorOptions> = {}, pageSize = 25, token = TOKEN) {
  const time = fakeTime();
  simulator = await startShopifyAdminSimulator({ shops: { [SHOP]: { token: TOKEN } }, now: time.now, ...extra });
  const admin = createShopifyAdmin({
    accessTokenFor: async () => token,
    adminOrigin: simulator.originFor(SHOP),
    sleep: time.sleep,
    now: time.now,
    pageSize,
    retry: { retries: 1, minTimeout: 1, maxTimeout: 1 },
  });
  return { sim: simulator, admin, time };
}

async function collect(pages: AsyncIterable<PollPage>, stopAfter = Infinity): Promise<PollPage[]> {
  const out: PollPage[] = [];
  for await (const page of pages) {
    out.push(page);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const allEvents = (pages: PollPage[]) => pages.flatMap((p) => p.events);
const kinds = (events: SourceEvent[]) => events.map((e) => e.kind);

/** The n-th variant of the sample order: its own ids and update time (`minute` minutes after 10:00 UTC). */
function variant(n: number, minute: number, extra: Parameters<typeof sampleGqlOrder>[1] = {}) {
  const order: SampleOrder = {
    ...SAMPLE_PAID_ORDER,
    id: SAMPLE_PAID_ORDER.id + BigInt(n),
    orderNumber: SAMPLE_PAID_ORDER.orderNumber + n,
    lines: SAMPLE_PAID_ORDER.lines.map((l, i) => ({ ...l, id: l.id + BigInt(n * 10 + i) })),
  };
  const lineId = (id: bigint) => id + BigInt(n * 10 + SAMPLE_PAID_ORDER.lines.findIndex((l) => l.id === id));
  const refunds = extra.refunds?.map((r) => ({
    ...r,
    id: r.id + BigInt(n),
    lines: r.lines.map((l) => ({ ...l, refundLineItemId: l.refundLineItemId + BigInt(n), lineItemId: lineId(l.lineItemId) })),
  }));
  return sampleGqlOrder(order, { updatedAt: `2026-03-14T10:${String(minute).padStart(2, '0')}:00Z`, ...extra, ...(refunds ? { refunds } : {}) });
}

const poll = (request: Partial<PollRequest> = {}): PollRequest => ({ source: SOURCE, ...request });

describe('Shopify reconciliation sweep (poll)', () => {
  it('produces, for a paid order, the events its webhooks would have: created, paid, updated', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER));
    const events = allEvents(await collect(admin.poll(poll())));
    expect(kinds(events)).toEqual(['order.created', 'order.paid', 'order.updated']);
    const id = String(SAMPLE_PAID_ORDER.id);
    expect(events.map((e) => e.deliveryId)).toEqual([
      `sweep:order:${id}:created`,
      `sweep:order:${id}:paid`,
      'sweep:order:6123456789012:updated:2026-03-14T15:21:38.000Z',
    ]);
    for (const e of events) {
      expect(e.source).toBe(SOURCE);
      expect(e.orderId).toBe(id);
      expect(e.test).toBeUndefined();
      expect(e.orderTotal).toBe('420660.42');
      expect((e.payload as { id: string }).id).toBe(id);
    }
    expect(events[2]!.editId).toBe('2026-03-14T15:21:38.000Z');
  });

  it('one event per refund, the cancellation, and the fulfilment', async () => {
    const { sim, admin } = await setup();
    const cancelled = sampleGqlOrder(SAMPLE_PAID_ORDER, {
      cancellation: { cancelledAt: SAMPLE_CANCELLED_AT, reason: 'customer', refunds: [SAMPLE_PARTIAL_REFUND, SAMPLE_CANCELLATION_REFUND] },
      fulfilled: true,
    });
    sim.putOrder(SHOP, cancelled);
    const events = allEvents(await collect(admin.poll(poll())));
    // Fully refunded is still an order that was paid.
    expect(kinds(events)).toEqual(['order.created', 'order.paid', 'order.fulfilled', 'order.refunded', 'order.refunded', 'order.cancelled', 'order.updated']);
    const refunds = events.filter((e) => e.kind === 'order.refunded');
    expect(refunds.map((e) => [e.refundId, e.deliveryId, e.topic])).toEqual([
      [String(SAMPLE_PARTIAL_REFUND.id), `sweep:refund:${SAMPLE_PARTIAL_REFUND.id}`, 'refunds/create'],
      [String(SAMPLE_CANCELLATION_REFUND.id), `sweep:refund:${SAMPLE_CANCELLATION_REFUND.id}`, 'refunds/create'],
    ]);
    expect(refunds[0]!.orderTotal).toBeUndefined();
    expect((refunds[0]!.payload as { order_id: string }).order_id).toBe(String(SAMPLE_PAID_ORDER.id));
    const cancel = events.find((e) => e.kind === 'order.cancelled')!;
    expect(cancel.occurredAt).toBe('2026-03-22T16:30:00Z');
    expect((cancel.payload as { cancel_reason: string }).cancel_reason).toBe('customer');
  });

  it('an edit that raised the total: order.updated carries the new charged total and the change id', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER, { updatedAt: '2026-03-16T12:00:00Z', currentTotal: '460000.00' }));
    const updated = allEvents(await collect(admin.poll(poll()))).find((e) => e.kind === 'order.updated')!;
    expect(updated.orderTotal).toBe('460000');
    expect(updated.editId).toBe('2026-03-16T12:00:00.000Z');
    expect(updated.deliveryId).toBe(`sweep:order:${SAMPLE_PAID_ORDER.id}:updated:2026-03-16T12:00:00.000Z`);
  });

  it('marks every event of a test order as test', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER, { test: true }));
    const events = allEvents(await collect(admin.poll(poll())));
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.test === true)).toBe(true);
  });

  it('pages through many orders oldest change first, reporting scanned and total', async () => {
    const { sim, admin } = await setup({}, 2);
    for (const [n, minute] of [[1, 30], [2, 10], [3, 50], [4, 20], [5, 40]] as const) sim.putOrder(SHOP, variant(n, minute));
    const pages = await collect(admin.poll(poll()));
    expect(pages.map((p) => p.scanned)).toEqual([2, 2, 1]);
    expect(pages.every((p) => p.total === 5)).toBe(true);
    const paid = allEvents(pages).filter((e) => e.kind === 'order.paid');
    const base = SAMPLE_PAID_ORDER.id;
    expect(paid.map((e) => BigInt(e.orderId) - base)).toEqual([2n, 4n, 1n, 5n, 3n]);
    expect(decodeSweepCursor(pages[2]!.cursor)).toEqual({ updatedAt: '2026-03-14T10:50:00.000Z', ids: [String(base + 3n)] });
    // The simulator was asked for three listing pages, each after the previous one's cursor.
    expect(sim.operations.filter((o) => o.operation === 'PuenteOrdersPage')).toHaveLength(3);
  });

  it('resumes from its cursor: nothing twice, nothing lost, and a later change is swept again', async () => {
    const { sim, admin } = await setup({}, 2);
    for (const [n, minute] of [[1, 10], [2, 20], [3, 30]] as const) sim.putOrder(SHOP, variant(n, minute));
    const first = await collect(admin.poll(poll()), 1); // the process stops after one page
    const firstOrders = new Set(allEvents(first).map((e) => e.orderId));
    const rest = await collect(admin.poll(poll({ cursor: first[0]!.cursor })));
    const restOrders = new Set(allEvents(rest).map((e) => e.orderId));
    expect([...firstOrders].filter((id) => restOrders.has(id))).toEqual([]);
    expect(firstOrders.size + restOrders.size).toBe(3);

    const last = rest.at(-1)!.cursor;
    // Shopify's filter is inclusive (>=), yet the order at the cursor's second is not swept again.
    expect(allEvents(await collect(admin.poll(poll({ cursor: last }))))).toEqual([]);

    sim.putOrder(SHOP, variant(1, 45, { currentTotal: '500000.00' }));
    const again = allEvents(await collect(admin.poll(poll({ cursor: last }))));
    expect(new Set(again.map((e) => e.orderId))).toEqual(new Set([String(SAMPLE_PAID_ORDER.id + 1n)]));
    // Same change → same deliveryId as before (the inbox stores it once); the new update is new.
    const earlier = [...first, ...rest].flatMap((p) => p.events).filter((e) => e.orderId === String(SAMPLE_PAID_ORDER.id + 1n));
    expect(again.find((e) => e.kind === 'order.paid')!.deliveryId).toBe(earlier.find((e) => e.kind === 'order.paid')!.deliveryId);
    expect(earlier.map((e) => e.deliveryId)).not.toContain(again.find((e) => e.kind === 'order.updated')!.deliveryId);
  });

  it('orders updated in the same second on both sides of a page break are all swept', async () => {
    const { sim, admin } = await setup({}, 1);
    for (const n of [1, 2, 3]) sim.putOrder(SHOP, variant(n, 15));
    const first = await collect(admin.poll(poll()), 1);
    const rest = await collect(admin.poll(poll({ cursor: first[0]!.cursor })));
    const paid = [...first, ...rest].flatMap((p) => p.events).filter((e) => e.kind === 'order.paid');
    expect(paid.map((e) => e.orderId).sort()).toEqual([1n, 2n, 3n].map((n) => String(SAMPLE_PAID_ORDER.id + n)));
  });

  it('a backfill starts at `since` when there is no cursor', async () => {
    const { sim, admin } = await setup();
    sim.putOrder(SHOP, variant(1, 5));
    sim.putOrder(SHOP, variant(2, 25));
    const events = allEvents(await collect(admin.poll(poll({ since: '2026-03-14T05:20:00-05:00' }))));
    expect(new Set(events.map((e) => e.orderId))).toEqual(new Set([String(SAMPLE_PAID_ORDER.id + 2n)]));
  });

  it('waits for the cost bucket instead of being throttled', async () => {
    const { sim, admin, time } = await setup({ bucket: { maximumAvailable: 100, restoreRate: 10 }, costs: { PuenteOrder: 80, PuenteRefund: 60 } });
    for (const n of [1, 2, 3]) sim.putOrder(SHOP, variant(n, 10 + n, { refunds: [SAMPLE_PARTIAL_REFUND] }));
    const events = allEvents(await collect(admin.poll(poll())));
    expect(events.filter((e) => e.kind === 'order.refunded')).toHaveLength(3);
    expect(time.sleeps.length).toBeGreaterThan(0);
    expect(sim.operations.filter((o) => o.throttled)).toEqual([]);
  });

  it('reads every line of a large order and of a large refund, page by page', async () => {
    const { sim, admin } = await setup();
    const base = SAMPLE_PAID_ORDER.lines[1]!;
    const lines = Array.from({ length: 120 }, (_, i) => ({ ...base, id: 16100000000000n + BigInt(i), quantity: 1 }));
    const big: SampleOrder = { ...SAMPLE_PAID_ORDER, lines };
    const refund = {
      ...SAMPLE_PARTIAL_REFUND,
      shipping: undefined,
      lines: lines.slice(0, 60).map((l, i) => ({ refundLineItemId: 5500000000000n + BigInt(i), lineItemId: l.id, quantity: 1, restockType: 'return', locationId: 1081234567890n })),
    };
    sim.putOrder(SHOP, sampleGqlOrder(big, { refunds: [refund] }));
    const events = allEvents(await collect(admin.poll(poll())));
    const paid = events.find((e) => e.kind === 'order.paid')!.payload as { line_items: { id: string; current_quantity: number }[] };
    expect(paid.line_items.map((l) => l.id)).toEqual(lines.map((l) => String(l.id)));
    // As paid: the 60 refunded units count again.
    expect(paid.line_items.every((l) => l.current_quantity === 1)).toBe(true);
    const refunded = events.find((e) => e.kind === 'order.refunded')!.payload as { refund_line_items: unknown[] };
    expect(refunded.refund_line_items).toHaveLength(60);
    expect(sim.operations.filter((o) => o.operation === 'PuenteOrderLineItems')).toHaveLength(2);
    expect(sim.operations.filter((o) => o.operation === 'PuenteRefund')).toHaveLength(3);
  });

  it('refuses to make events from part of an order (more shipping lines than it reads)', async () => {
    const { sim, admin } = await setup();
    const full = sampleGqlOrder(SAMPLE_PAID_ORDER);
    const ship = full.order.shippingLines.nodes[0]!;
    full.order.shippingLines = { ...full.order.shippingLines, nodes: Array.from({ length: 11 }, (_, i) => ({ ...ship, id: `gid://shopify/ShippingLine/${i + 1}` })) };
    sim.putOrder(SHOP, full);
    await expect(collect(admin.poll(poll()))).rejects.toSatisfy(
      (e: unknown) => e instanceof TargetError && e.kind === 'rejected' && /more than 10 shipping lines/.test(e.message),
    );
  });

  it('a refused token is an auth error', async () => {
    const { sim, admin } = await setup({}, 25, 'shpat_revoked');
    sim.putOrder(SHOP, sampleGqlOrder(SAMPLE_PAID_ORDER));
    await expect(collect(admin.poll(poll()))).rejects.toSatisfy((e: unknown) => e instanceof TargetError && e.kind === 'auth');
  });

  it('refuses a cursor it did not write', async () => {
    const { admin } = await setup();
    await expect(collect(admin.poll(poll({ cursor: '2026-03-14' })))).rejects.toThrow(/not one this connector wrote/);
  });
});
