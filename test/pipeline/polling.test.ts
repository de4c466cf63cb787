/**
 * Sweeps and backfills on the real store and inbox, with a source that lists scripted pages: the
 * cursor is kept after each page, a repeated listing stores nothing twice, an interrupted run resumes
 * where it stopped, and failures are recorded where the admin views read them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PollPage, PollRequest, SourceConnector, SourceEvent } from '../../src/connector.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { healthReport } from '../../src/pipeline/health.js';
import { Backfills, PollingError, Sweeper, type BackfillState, type SweepState } from '../../src/pipeline/polling.js';
import { ManualClock, ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from './harness.js';

const SHOP = 'sweep-test.myshopify.com';
const SOURCE = `shopify:${SHOP}`;

function paid(orderId: string): SourceEvent {
  return { source: SOURCE, kind: 'order.paid', topic: 'orders/paid', deliveryId: `sweep:order:${orderId}:paid`, orderId, payload: { id: orderId } };
}

/** A source whose orders are listed two per page, oldest first; the cursor is the last order's index. */
class ListingSource implements SourceConnector {
  readonly name = 'shopify';
  readonly requests: PollRequest[] = [];
  failAtPage: number | undefined;
  constructor(public orders: string[]) {}
  async *poll(request: PollRequest): AsyncIterable<PollPage> {
    this.requests.push({ ...request, signal: undefined });
    let index = request.cursor ? Number(request.cursor) : 0;
    let page = 0;
    while (index < this.orders.length) {
      if (this.failAtPage === page) throw new Error('HTTP 503 from the store');
      const slice = this.orders.slice(index, index + 2);
      index += slice.length;
      page++;
      yield { events: slice.map(paid), cursor: String(index), scanned: slice.length, total: this.orders.length };
    }
  }
}

let temp: TempStore;
let clock: ManualClock;
afterEach(async () => {
  await temp?.close();
});

async function setUp(orders: string[]) {
  clock = new ManualClock();
  temp = await openTempStore(clock.now);
  const connections = new Connections([connectionFor(new ScriptedTarget(), { id: 'shop', shop: SHOP, settings: { timezone: 'America/Bogota' } })]);
  const source = new ListingSource(orders);
  let stored = 0;
  const deps = {
    store: temp.store,
    connections,
    sources: { shopify: source },
    inbox: new Inbox(temp.store, connections, silentLog, clock.now),
    log: silentLog,
    onStored: () => void stored++,
    clock: clock.now,
  };
  return { source, deps, stored: () => stored };
}

describe('the reconciliation sweep', () => {
  it('stores what the webhooks missed, keeps its cursor, and stores nothing twice when a sweep lists it again', async () => {
    const { source, deps, stored } = await setUp(['1', '2', '3']);
    const sweeper = new Sweeper(deps, () => 10);
    const first = await sweeper.sweep('shop');
    expect(first).toMatchObject({ connectionId: 'shop', cursor: '3', scanned: 3, found: 3 });
    // The very first sweep looks back an hour from now, not at the whole history.
    expect(source.requests[0]).toMatchObject({ source: SOURCE, since: new Date(clock.time - 60 * 60_000).toISOString() });
    expect((await temp.store.listEvents()).map((e) => e.orderId).sort()).toEqual(['1', '2', '3']);
    expect(stored()).toBe(2);

    // A webhook for order 4 arrived meanwhile; the next sweep starts at the cursor and finds only 4's duplicate.
    await deps.inbox.accept([paid('4')]);
    source.orders.push('4');
    const second = await sweeper.sweep('shop');
    expect(source.requests[1]).toMatchObject({ cursor: '3' });
    expect(second).toMatchObject({ cursor: '4', scanned: 1, found: 0 });
    expect(await temp.store.listEvents()).toHaveLength(4);
  });

  it('a failed sweep records why, keeps the cursor of the pages it stored, and the next resumes there', async () => {
    const { source, deps } = await setUp(['1', '2', '3', '4', '5']);
    source.failAtPage = 1;
    const sweeper = new Sweeper(deps, () => 10);
    await expect(sweeper.sweep('shop')).rejects.toThrow('HTTP 503 from the store');
    const state = (await temp.store.getState<SweepState>('sweep:shop'))!.value;
    expect(state).toMatchObject({ cursor: '2', found: 2, lastError: 'HTTP 503 from the store' });
    expect(state.lastSuccessAt).toBeUndefined();
    // The health report says so: orders a webhook missed are not being recovered.
    const degraded = await healthReport(temp.store, deps.connections, undefined, { now: clock.now });
    expect(degraded.connections[0]).toMatchObject({ status: 'degraded', sweep: { lastError: 'HTTP 503 from the store' } });
    expect(degraded.reasons).toContain('shop: the last reconciliation sweep failed (HTTP 503 from the store): orders a webhook missed are not recovered until one succeeds');

    source.failAtPage = undefined;
    const next = await sweeper.sweep('shop');
    expect(next).toMatchObject({ cursor: '5', found: 3 });
    expect(next.lastError).toBeUndefined();
    expect(next.lastSuccessAt).toBe(clock.now().toISOString());
    const healthy = await healthReport(temp.store, deps.connections, undefined, { now: clock.now });
    expect(healthy.connections[0]!.reasons.filter((r) => r.includes('sweep'))).toEqual([]);
    expect(healthy.connections[0]!.sweep).toEqual({ lastRunAt: next.lastRunAt, lastSuccessAt: next.lastSuccessAt });
  });

  it('sweeps a connection again only when its interval has passed, and never when it is 0', async () => {
    const { source, deps } = await setUp(['1']);
    let minutes = 10;
    const sweeper = new Sweeper(deps, () => minutes);
    await sweeper.sweepDue();
    await sweeper.sweepDue();
    expect(source.requests).toHaveLength(1);
    clock.advance(10 * 60_000);
    await sweeper.sweepDue();
    expect(source.requests).toHaveLength(2);
    minutes = 0;
    clock.advance(60 * 60_000);
    await sweeper.sweepDue();
    expect(source.requests).toHaveLength(2);
  });
});

describe('a backfill', () => {
  it('reads from midnight of the day asked in the connection\'s timezone and finishes with its counts', async () => {
    const { source, deps } = await setUp(['1', '2', '3']);
    const backfills = new Backfills(deps);
    const started = await backfills.start('shop', '2026-01-01');
    expect(started).toMatchObject({ status: 'running', since: '2026-01-01', from: '2026-01-01T00:00:00-05:00' });
    await backfills.settled('shop');
    expect(source.requests[0]).toMatchObject({ since: '2026-01-01T00:00:00-05:00' });
    expect(await backfills.get('shop')).toMatchObject({ status: 'done', scanned: 3, total: 3, found: 3, cursor: '3' });
  });

  it('after a failure, the same backfill resumes from its cursor; a different one is refused while it runs', async () => {
    const { source, deps } = await setUp(['1', '2', '3', '4']);
    source.failAtPage = 1;
    const backfills = new Backfills(deps);
    await backfills.start('shop', '2026-02-01T08:00:00-05:00');
    await backfills.settled('shop');
    expect(await backfills.get('shop')).toMatchObject({ status: 'failed', cursor: '2', lastError: 'HTTP 503 from the store' });

    source.failAtPage = undefined;
    const resumed = await backfills.start('shop', '2026-02-01T08:00:00-05:00');
    expect(resumed.status).toBe('running');
    await backfills.settled('shop');
    expect(source.requests[1]).toMatchObject({ cursor: '2' });
    const done = (await backfills.get('shop'))!;
    expect(done).toMatchObject({ status: 'done', cursor: '4', found: 4 });
    expect(done.lastError).toBeUndefined();
  });

  it('resumes a backfill a restart interrupted', async () => {
    const { source, deps } = await setUp(['1', '2', '3']);
    const interrupted: BackfillState = {
      connectionId: 'shop',
      since: '2026-01-01',
      from: '2026-01-01T00:00:00-05:00',
      status: 'running',
      cursor: '2',
      scanned: 2,
      found: 2,
      startedAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    };
    await temp.store.putState('backfill:shop', interrupted);
    const backfills = new Backfills(deps);
    await backfills.resumeInterrupted();
    await backfills.settled('shop');
    expect(source.requests).toEqual([expect.objectContaining({ cursor: '2' })]);
    expect(await backfills.get('shop')).toMatchObject({ status: 'done', scanned: 3, found: 3 });
  });

  it('refuses a date it cannot read and a connection that does not exist, changing nothing', async () => {
    const { deps } = await setUp(['1']);
    const backfills = new Backfills(deps);
    await expect(backfills.start('shop', '01/02/2026')).rejects.toMatchObject({ code: 'bad_since', message: expect.stringContaining('YYYY-MM-DD') });
    await expect(backfills.start('nope', '2026-01-01')).rejects.toBeInstanceOf(PollingError);
    expect(await temp.store.listState('backfill:')).toEqual([]);
  });
});
