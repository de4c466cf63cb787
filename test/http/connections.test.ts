/**
 * The admin routes about connections, on the real app, store and inbox, with a source that lists
 * one page of orders: list with sweep and backfill state, sweep now, start and follow a backfill,
 * clear errors (404/409/400) that change nothing, and the source's connection test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PollPage, SourceConnector, SourceEvent } from '../../src/connector.js';
import { createHttpApp } from '../../src/http/app.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Inbox } from '../../src/pipeline/inbox.js';
import { Backfills, Sweeper } from '../../src/pipeline/polling.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { ManualClock, ScriptedTarget, connectionFor, openTempStore, silentLog, type TempStore } from '../pipeline/harness.js';

const ADMIN = 'connections-admin-token';
const SHOP = 'listed.myshopify.com';

const paid = (orderId: string): SourceEvent => ({
  source: `shopify:${SHOP}`,
  kind: 'order.paid',
  topic: 'orders/paid',
  deliveryId: `sweep:order:${orderId}:paid`,
  orderId,
  payload: { id: orderId },
});

let temp: TempStore;
let server: Loopback;
let base: string;

beforeEach(async () => {
  const clock = new ManualClock();
  temp = await openTempStore(clock.now);
  const connections = new Connections([connectionFor(new ScriptedTarget(), { id: 'listed', shop: SHOP })]);
  const inbox = new Inbox(temp.store, connections, silentLog, clock.now);
  const shopify: SourceConnector = {
    name: 'shopify',
    async *poll(): AsyncIterable<PollPage> {
      yield { events: [paid('1'), paid('2')], cursor: 'c2', scanned: 2, total: 2 };
    },
  };
  const deps = { store: temp.store, connections, sources: { shopify }, inbox, log: silentLog, onStored: () => undefined, clock: clock.now };
  const app = createHttpApp({
    store: temp.store,
    inbox,
    sources: { shopify },
    adminToken: ADMIN,
    maxBodyBytes: 1024 * 1024,
    log: silentLog,
    onStored: () => undefined,
    connectionAdmin: {
      connections,
      store: temp.store,
      sweeper: new Sweeper(deps, () => 10),
      backfills: new Backfills(deps),
      testSource: async () => ({ ok: false, step: 'login', error: 'wrong user or API key' }),
    },
  });
  server = await listenOnLoopback(app);
  base = `${server.url}/api`;
});

afterEach(async () => {
  await server.close();
  await temp.close();
});

const call = async (method: string, route: string, body?: unknown) => {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
};

describe('admin routes for connections', () => {
  it('runs a sweep now and shows it on the connection', async () => {
    const swept = await call('POST', '/connections/listed/sweep');
    expect(swept).toMatchObject({ status: 200, json: { connectionId: 'listed', cursor: 'c2', found: 2 } });
    expect((await temp.store.listEvents()).map((e) => e.orderId).sort()).toEqual(['1', '2']);
    const listed = await call('GET', '/connections');
    expect(listed.json.connections).toEqual([
      expect.objectContaining({ id: 'listed', source: `shopify:${SHOP}`, trigger: 'paid', sweep: expect.objectContaining({ cursor: 'c2' }), backfill: null }),
    ]);
  });

  it('starts a backfill (202) and shows its progress; refuses a bad date (400) and an unknown connection (404)', async () => {
    const started = await call('POST', '/connections/listed/backfill', { since: '2026-01-01' });
    expect(started).toMatchObject({ status: 202, json: { status: 'running', from: '2026-01-01T00:00:00-05:00' } });
    let followed = await call('GET', '/connections/listed/backfill');
    for (let i = 0; i < 100 && followed.json.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      followed = await call('GET', '/connections/listed/backfill');
    }
    expect(followed).toMatchObject({ status: 200, json: { status: 'done', scanned: 2, total: 2, found: 2, cursor: 'c2' } });

    expect(await call('POST', '/connections/listed/backfill', {})).toMatchObject({ status: 400, json: { message: expect.stringContaining('since') } });
    expect(await call('POST', '/connections/listed/backfill', { since: 'yesterday' })).toMatchObject({ status: 400, json: { error: 'bad_since' } });
    expect(await call('POST', '/connections/nope/backfill', { since: '2026-01-01' })).toMatchObject({ status: 404, json: { error: 'unknown_connection' } });
    expect(await call('GET', '/connections/nope/backfill')).toMatchObject({ status: 404 });
  });

  it('passes on the source\'s connection test', async () => {
    expect(await call('POST', '/connections/listed/test')).toEqual({ status: 200, json: { ok: false, step: 'login', error: 'wrong user or API key' } });
    expect((await call('POST', '/connections/nope/test')).status).toBe(404);
  });
});
