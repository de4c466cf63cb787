/**
 * The admin API's lists reach the archive with `?archived=include|only`; by default they show the hot
 * set, and a lookup by id finds an archived record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminRouter } from '../../src/http/admin.js';
import { LowdbStore } from '../../src/store/lowdb-store.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { issueOrder, sampleDocument } from './battery.js';

const TOKEN = 'admin-token-for-archive-tests';

describe('admin API over the archive', () => {
  let dataDir: string;
  let store: LowdbStore;
  let server: Loopback;
  let base: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'puente-admin-archive-'));
    store = new LowdbStore({ dataDir, archiveAfterMs: 0, archiveEveryMs: 0 });
    await store.open();
    const app = express();
    app.use('/api', adminRouter(store, TOKEN));
    server = await listenOnLoopback(app);
    base = `${server.url}/api`;
  });

  afterEach(async () => {
    await server.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('lists the hot set by default, the archive with archived=include or only, and finds archived records by id', async () => {
    const order = await issueOrder(store, 'apidian:900123456:SETP');
    const { document: pending } = await store.createDocument(sampleDocument());
    await store.archiveNow();

    const ids = (body: Record<string, unknown>, key: string) => (body[key] as { id: string }[]).map((r) => r.id);
    expect(ids((await get('/documents')).body, 'documents')).toEqual([pending.id]);
    expect(ids((await get('/documents?archived=include')).body, 'documents')).toEqual([pending.id, order.document.id]);
    expect(ids((await get('/documents?archived=only')).body, 'documents')).toEqual([order.document.id]);
    expect(ids((await get('/events?archived=only')).body, 'events')).toEqual([order.event.id]);
    expect(ids((await get('/batches?archived=include')).body, 'batches')).toEqual([order.batch.id]);
    expect(ids((await get(`/documents?orderId=${order.document.orderId}`)).body, 'documents')).toEqual([order.document.id]);
    expect((await get(`/documents/${order.document.id}`)).body).toEqual(order.document);
    expect((await get(`/events/${order.event.id}`)).body).toEqual(order.event);
  });

  it('answers 400 naming the parameter for an archive scope it does not know', async () => {
    const { status, body } = await get('/documents?archived=everything');
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'bad_query', message: expect.stringMatching(/^archived: /) });
  });
});
