/**
 * POST /api/documents/:id/void and GET /api/number-closures on a real admin API over a real store,
 * and `puente void` against it: each refusal is a 4xx JSON answer saying why and what to do, and
 * leaves the document as it was.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { runVoidCommand } from '../../src/cli/void.js';
import { NumberClosures, numberClosureKey, type NumberClosureEntry } from '../../src/pipeline/number-closures.js';
import { Replayer } from '../../src/pipeline/replay.js';
import { Voider } from '../../src/pipeline/void.js';
import { captureIo } from '../cli/helpers.js';
import type { Loopback } from '../loopback.js';
import { serveAdminApp } from './admin-app.js';
import { paidEvent, pipeline, silentLog, type Pipeline } from '../pipeline/harness.js';

const TOKEN = 'void-admin-token-0123456789abcdef';
const REASON = 'Pedido de prueba que no debía facturarse';

let p: Pipeline;
let server: Loopback;
let url: string;

beforeEach(async () => {
  p = await pipeline();
  // SIFEN-like: the target can close numbers.
  Object.assign(p.target, { closeNumbers: async () => ({ reference: 'evt-1' }) });
  const closures = new NumberClosures(p.store, p.connections, silentLog, p.clock.now);
  server = await serveAdminApp(p, TOKEN, {
    replayer: new Replayer(p.store, silentLog),
    voids: { voider: new Voider(p.store, closures, silentLog, undefined, p.clock.now), closures },
  });
  url = server.url;
});

afterEach(async () => {
  await server.close();
  await p.close();
});

/** A paid order whose numbered invoice the target rejected. */
async function rejectedInvoice(): Promise<string> {
  await p.receive(paidEvent(SAMPLE_PAID_ORDER));
  p.target.submitScripts.push((batch) => ({ results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'rejected' as const, reason: 'rechazado' })) }));
  await p.dispatcher.dispatchReady();
  const [document] = await p.documents();
  expect(document).toMatchObject({ status: 'needs_attention', number: '990000000' });
  return document!.id;
}

async function post(path: string, body?: unknown, token = TOKEN, raw?: string) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body ?? {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const get = async (path: string) => (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<Record<string, unknown>>;

describe('POST /api/documents/:id/void', () => {
  it('voids a document that needs attention, and the closure of its number shows in GET /api/number-closures', async () => {
    const id = await rejectedInvoice();
    const answer = await post(`/api/documents/${id}/void`, { reason: REASON });
    expect(answer.status).toBe(200);
    expect(answer.body.document).toMatchObject({ documentId: id, kind: 'invoice', number: '990000000', status: 'skipped', voided: { reason: REASON, numberClosure: { state: 'pending' } } });
    expect(await get(`/api/documents/${id}`)).toMatchObject({ status: 'skipped', voided: { reason: REASON } });
    expect(await get('/api/number-closures')).toMatchObject({
      numberClosures: [{ documentId: id, status: 'pending', request: { kind: 'invoice', series: 'SETP', from: 990000000, to: 990000000, reason: REASON } }],
    });
  });

  it('answers a missing, short or long reason with 400 naming the field, and changes nothing', async () => {
    const id = await rejectedInvoice();
    const before = await get(`/api/documents/${id}`);
    for (const body of [{}, { reason: 7 }, { reason: 'nop' }, { reason: 'x'.repeat(501) }, ['reason']]) {
      const answer = await post(`/api/documents/${id}/void`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body).toMatchObject({ error: 'bad_request', field: 'reason', message: expect.stringMatching(/^reason: .*5 to 500 characters/) });
    }
    expect((await post(`/api/documents/${id}/void`, undefined, TOKEN, '{"reason": ')).status).toBe(400);
    expect(await get(`/api/documents/${id}`)).toEqual(before);
    expect(await get('/api/number-closures')).toEqual({ numberClosures: [] });
  });

  it('answers 404 for an unknown document, 409 saying why for one it must not void, and 401 without the token', async () => {
    expect(await post('/api/documents/doc_nope/void', { reason: REASON })).toMatchObject({ status: 404, body: { error: 'not_found', message: 'no document doc_nope' } });
    const id = await rejectedInvoice();
    expect((await post(`/api/documents/${id}/void`, { reason: REASON }, 'wrong-token')).status).toBe(401);

    await p.store.updateDocument(id, { uncertain: true });
    const uncertain = await post(`/api/documents/${id}/void`, { reason: REASON });
    expect(uncertain).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(uncertain.body.message).toMatch(/unknown outcome.*Replay it first \(POST \/api\/documents\/.*\/replay\) so Puente looks it up/);

    await p.store.updateDocument(id, { uncertain: false, status: 'in_flight' });
    expect((await post(`/api/documents/${id}/void`, { reason: REASON })).body.message).toMatch(/still being worked \(in_flight\)/);
    await p.store.updateDocument(id, { status: 'issued', result: { fiscalNumber: 'SETP990000000', issuedAt: p.clock.now().toISOString() } });
    const issued = await post(`/api/documents/${id}/void`, { reason: REASON });
    expect(issued).toMatchObject({ status: 409, body: { message: expect.stringMatching(/issued documents are annulled with a credit note, not voided/) } });
    expect(await get(`/api/documents/${id}`)).toMatchObject({ status: 'issued' });
    expect((await get(`/api/documents/${id}`)).voided).toBeUndefined();

    await p.store.updateDocument(id, { status: 'needs_attention' });
    expect((await post(`/api/documents/${id}/void`, { reason: REASON })).status).toBe(200);
    expect(await post(`/api/documents/${id}/void`, { reason: REASON })).toMatchObject({ status: 409, body: { message: expect.stringMatching(/already voided/) } });
    // Nor can it be replayed.
    expect(await post(`/api/documents/${id}/replay`)).toMatchObject({ status: 409, body: { message: expect.stringMatching(/was voided/) } });
  });
});

describe('POST /api/number-closures/:documentId/retry', () => {
  it('queues a refused closure again; a pending one is 409, an unknown document 404, no token 401', async () => {
    const id = await rejectedInvoice();
    expect((await post(`/api/documents/${id}/void`, { reason: REASON })).status).toBe(200);
    expect(await post(`/api/number-closures/${id}/retry`)).toMatchObject({ status: 409, body: { error: 'conflict', message: expect.stringMatching(/still being worked \(pending\)/) } });

    // The target refused it (as SIFEN does for a number it says is in use).
    const key = numberClosureKey(id);
    const entry = (await p.store.getState<NumberClosureEntry>(key))!.value;
    await p.store.putState(key, { ...entry, status: 'failed', lastError: 'No se puede inutilizar' });

    expect((await post(`/api/number-closures/${id}/retry`, undefined, 'wrong-token')).status).toBe(401);
    expect(await post('/api/number-closures/doc_nope/retry')).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(await post(`/api/number-closures/${id}/retry`)).toMatchObject({ status: 200, body: { numberClosure: { documentId: id, status: 'pending' } } });
    expect(await get('/api/number-closures')).toMatchObject({ numberClosures: [{ documentId: id, status: 'pending' }] });
    expect(await get(`/api/documents/${id}`)).toMatchObject({ voided: { numberClosure: { state: 'pending', note: 'asked again by an operator after: No se puede inutilizar' } } });
  });
});

describe('puente void', () => {
  const run = async (args: string[]) => {
    const captured = captureIo(process.cwd(), {});
    const code = await runVoidCommand([...args, '--url', url, '--token', TOKEN], captured.io);
    return { code, out: captured.out(), err: captured.err() };
  };

  it('voids through the admin API and says what became of the number', async () => {
    const id = await rejectedInvoice();
    const result = await run([id, '--reason', REASON]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain(`voided ${id} (invoice); it will never be sent`);
    expect(result.out).toContain('its number 990000000 of series SETP is being closed at the invoicing API');
    expect(await get(`/api/documents/${id}`)).toMatchObject({ status: 'skipped', voided: { reason: REASON } });
  });

  it('exits 1 with the server\'s reason when refused, and 2 on a wrong command line, sending nothing', async () => {
    const id = await rejectedInvoice();
    await p.store.updateDocument(id, { uncertain: true });
    const refused = await run([id, '--reason', REASON]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/the server answered 409: .*Replay it first/);

    for (const args of [[id], [id, '--reason', 'no'], ['--reason', REASON], [id, 'other', '--reason', REASON]]) {
      const wrong = await run(args);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.err).toContain('Usage:');
    }
    expect(await get(`/api/documents/${id}`)).toMatchObject({ status: 'needs_attention' });
  });
});
