/**
 * The admin routes of issue 3 on a real app: GET /api/mappings and POST /api/mappings/reload over a
 * live set in a temp folder, and the replay routes over a real store. Every route needs the token.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { LiveMappings } from '../../src/mapping/watch.js';
import { Preparer } from '../../src/pipeline/preparer.js';
import { Replayer } from '../../src/pipeline/replay.js';
import { mappingsCopy } from '../cli/helpers.js';
import type { Loopback } from '../loopback.js';
import { serveAdminApp } from './admin-app.js';
import { paidEvent, pipeline, silentLog, type Pipeline } from '../pipeline/harness.js';

const TOKEN = 'mappings-replay-admin-token-0123456789';

let p: Pipeline;
let dir: string;
let live: LiveMappings;
let server: Loopback;
let base: string;
let pokes: number;

beforeEach(async () => {
  p = await pipeline();
  dir = mappingsCopy();
  live = await LiveMappings.open({ dir, log: silentLog });
  pokes = 0;
  server = await serveAdminApp(p, TOKEN, { mappings: live, replayer: new Replayer(p.store, silentLog, () => pokes++) });
  base = server.url;
});

afterEach(async () => {
  await server.close();
  await live.close();
  await p.close();
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

function call(method: 'GET' | 'POST', route: string, options: { token?: string | null; body?: unknown } = {}): Promise<Response> {
  const token = options.token === undefined ? TOKEN : options.token;
  return fetch(`${base}${route}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

/** A paid order whose invoice the shipped mappings cannot map: its line has a tax rate not in the lookup. */
async function parkedInvoice(): Promise<{ documentId: string; eventId: string }> {
  const order = { ...SAMPLE_PAID_ORDER, lines: SAMPLE_PAID_ORDER.lines.map((line, i) => (i === 0 ? { ...line, taxRate: '0.16' } : line)) };
  await p.inbox.accept([paidEvent(order)]);
  await p.events.processPending();
  const preparer = new Preparer(p.store, p.connections, () => live.current, silentLog, p.clock.now);
  for (const document of await p.store.listDocuments({ status: 'pending' })) await preparer.prepare(document);
  const [document] = await p.documents();
  expect(document).toMatchObject({ status: 'needs_attention', attention: { kind: 'mapping', path: 'lines[0].taxes[0].code' } });
  return { documentId: document!.id, eventId: document!.eventId };
}

describe('every new admin route needs the admin token', () => {
  const ROUTES: ['GET' | 'POST', string][] = [
    ['GET', '/api/mappings'],
    ['POST', '/api/mappings/reload'],
    ['POST', '/api/documents/doc_x/replay'],
    ['POST', '/api/events/evt_x/replay'],
    ['POST', '/api/replay'],
  ];
  it.each(ROUTES)('%s %s: 401 without a token or with a wrong one', async (method, route) => {
    for (const token of [null, 'wrong-token']) {
      const response = await call(method, route, { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(live.lastReload.trigger).toBe('start');
    expect(pokes).toBe(0);
  });
});

describe('GET /api/mappings', () => {
  it('lists the active mappings and the last reload', async () => {
    const response = await call('GET', '/api/mappings');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { mappings: { id: string; revision: number; contentHash: string; file: string }[]; lastReload: { ok: boolean } };
    expect(body.mappings.map((m) => m.id).sort()).toEqual(['apidian-credit-note', 'apidian-debit-note', 'apidian-invoice', 'shopify-order-invoice', 'shopify-refund-credit-note']);
    expect(body.mappings.find((m) => m.id === 'shopify-order-invoice')).toMatchObject({ revision: 4, file: path.join('shopify', 'order-invoice.yaml'), contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(body.lastReload).toMatchObject({ ok: true, trigger: 'start', errors: [] });
  });

  it('after a broken edit, shows the failed reload with file, line and column while the old set stays active', async () => {
    const file = path.join(dir, 'shopify', 'order-invoice.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^  revision: 4$/m, '  revision: 5').replace('kind: { const: invoice }', 'kind: { const: invoice, colour: red }'));
    const reload = await call('POST', '/api/mappings/reload');
    expect(reload.status).toBe(422);
    const body = (await (await call('GET', '/api/mappings')).json()) as {
      mappings: { id: string; revision: number }[];
      lastReload: { ok: boolean; trigger: string; at: string; errors: { file: string; line: number; column: number; message: string }[] };
    };
    expect(body.lastReload).toMatchObject({ ok: false, trigger: 'manual', at: expect.any(String) });
    expect(body.lastReload.errors).toEqual([{ file, line: expect.any(Number), column: expect.any(Number), message: expect.stringMatching(/unknown key "colour"/) }]);
    expect(body.mappings.find((m) => m.id === 'shopify-order-invoice')?.revision).toBe(4);
  });
});

describe('replay routes', () => {
  it('POST /api/documents/:id/replay sends a parked document back to pending, then refuses it while queued', async () => {
    const { documentId } = await parkedInvoice();
    const response = await call('POST', `/api/documents/${documentId}/replay`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ document: { documentId, status: 'pending', attention: { kind: 'mapping' } } });
    expect(pokes).toBe(1);
    const again = await call('POST', `/api/documents/${documentId}/replay`);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conflict', message: expect.stringMatching(/already queued \(pending\)/) });
  });

  it('a replay of an issued document is 409 with the reason; unknown ids are 404', async () => {
    const { documentId } = await parkedInvoice();
    await p.store.updateDocument(documentId, { status: 'issued', result: { fiscalNumber: 'SETP990000000', issuedAt: new Date().toISOString() } });
    const refused = await call('POST', `/api/documents/${documentId}/replay`);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/already issued as SETP990000000.*second document for the same legal key/);
    expect((await call('POST', '/api/documents/doc_missing/replay')).status).toBe(404);
    expect((await call('POST', '/api/events/evt_missing/replay')).status).toBe(404);
  });

  it('POST /api/events/:id/replay re-runs the parked documents of the event', async () => {
    const { documentId, eventId } = await parkedInvoice();
    const response = await call('POST', `/api/events/${eventId}/replay`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ eventId, event: { before: 'processed', after: 'processed' }, documents: [{ documentId, status: 'pending' }] });
  });

  it('POST /api/replay replays by reason, and rejects a body it does not understand', async () => {
    const { documentId } = await parkedInvoice();
    const none = await call('POST', '/api/replay', { body: { status: 'needs_attention', kind: 'auth' } });
    expect(await none.json()).toEqual({ documents: [] });
    for (const body of [{ status: 'issued' }, {}]) {
      const bad = await call('POST', '/api/replay', { body });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^status: /);
    }
    // No body at all is no request to replay everything.
    expect((await call('POST', '/api/replay')).status).toBe(400);
    expect(await p.document(documentId)).toMatchObject({ status: 'needs_attention' });
    const some = await call('POST', '/api/replay', { body: { status: 'needs_attention', kind: 'mapping' } });
    expect(some.status).toBe(200);
    expect(((await some.json()) as { documents: { documentId: string }[] }).documents.map((d) => d.documentId)).toEqual([documentId]);
    expect(await p.document(documentId)).toMatchObject({ status: 'pending' });
  });
});
