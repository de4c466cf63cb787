/** The tuimprenta target with nock: submit (single, batch, cancel), status, lookup, and what goes out. */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caracasTimestamp, exampleCreditNote, exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import { createTuimprentaTarget, isFullAnnulment, type TuimprentaReceipt, type TuimprentaTarget } from '../../connectors/tuimprenta/target.js';
import type { TuimprentaInvoiceRequest } from '../../connectors/tuimprenta/wire.js';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';
import { invoiceResource as invoiceFixture } from './helpers.js';

const BASE = 'http://tuimprenta.test';
const NOW = Date.parse('2026-11-20T18:00:00Z');

function outgoing(id: string, wire: TuimprentaInvoiceRequest, options: { kind?: DocumentKind; correction?: FiscalDocument['correction'] } = {}): OutgoingDocument {
  return {
    documentId: id,
    idempotencyKey: `shopify:shop/order/${id}`,
    kind: options.kind ?? 'invoice',
    series: '',
    number: '',
    wire,
    fiscal: (options.correction ? { correction: options.correction } : {}) as FiscalDocument,
  };
}
const batchOf = (...documents: OutgoingDocument[]): OutgoingBatch => ({ batchId: 'b-1', kind: documents[0]!.kind, series: '', documents });

const resource = (overrides: Record<string, unknown> = {}) => invoiceFixture(overrides, BASE);
const apiError = (type: string, code: string, field: string | null = null) => ({ error: { type, message: `${code} happened`, field, code } });
const wireAt = (issuedAt: string) => exampleInvoice({ issued_at: issuedAt });
const RECENT = '2026-11-20T10:15:00-04:00';

const targets: TuimprentaTarget[] = [];
function target(overrides: Record<string, unknown> = {}): TuimprentaTarget {
  const t = createTuimprentaTarget(
    { type: 'tuimprenta', baseUrl: BASE, apiKey: 'sk_test_x', requestsPerMinute: 6000, ...overrides },
    { now: () => NOW, client: { retry: { retries: 1, minTimeout: 1, maxTimeout: 2 } } },
  );
  targets.push(t);
  return t;
}

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});
afterAll(() => nock.enableNetConnect());

describe('tuimprenta target: shape', () => {
  it('lets the imprenta number documents and offers the three Venezuelan kinds', () => {
    const t = target();
    expect(t.numbering).toBe('server');
    expect(t.numberingFor?.('invoice')).toBeUndefined();
    expect(t.kinds).toEqual(['invoice', 'credit_note', 'debit_note']);
    expect(t.batchLimits).toEqual({ maxDocuments: 100, maxBytes: 4 * 1024 * 1024, lingerMs: 2000 });
    expect(t.wireSchema('export_invoice').safeParse(exampleInvoice()).success).toBe(false);
    expect(t.wireSchema('invoice').safeParse(exampleInvoice()).success).toBe(true);
  });

  it('sends the wire with Puente’s key added to metadata', () => {
    const doc = outgoing('d1', exampleInvoice({ metadata: { order: '#1017' } }));
    expect(target().requestBodyFor(doc).metadata).toEqual({ order: '#1017', puente_idempotency_key: 'shopify:shop/order/d1' });
  });

  it('treats only an annulling credit note as a cancel', () => {
    expect(isFullAnnulment(outgoing('x', exampleInvoice(), { kind: 'credit_note', correction: { code: 'annulment', description: 'x' } }))).toBe(true);
    expect(isFullAnnulment(outgoing('x', exampleInvoice(), { kind: 'credit_note', correction: { code: 'partial_return', description: 'x' } }))).toBe(false);
    expect(isFullAnnulment(outgoing('x', exampleInvoice(), { kind: 'debit_note', correction: { code: 'annulment', description: 'x' } }))).toBe(false);
  });
});

describe('tuimprenta target: submit one by one', () => {
  it('posts each document with its idempotency key; issued documents carry number, control number and links', async () => {
    const doc = outgoing('d1', exampleInvoice());
    nock(BASE, { reqheaders: { 'idempotency-key': doc.idempotencyKey } })
      .post('/v1/invoices', (body) => body.metadata?.puente_idempotency_key === doc.idempotencyKey && body.series === 'A')
      .reply(201, resource());
    const submission = await target().submit(batchOf(doc));
    expect(submission).toEqual({
      results: [
        {
          documentId: 'd1',
          outcome: 'issued',
          fiscalNumber: 'A-00000007',
          uuid: '00-00000042',
          links: { pdf: `${BASE}/v1/invoices/inv_1/pdf`, xml: `${BASE}/v1/invoices/inv_1/xml`, qr: `${BASE}/verificar/inv_1` },
        },
      ],
    });
  });

  it('leaves a processing document pending with a receipt, and status finds it issued later', async () => {
    const doc = outgoing('d1', exampleInvoice({ document_type: 'debit_note' }), { kind: 'debit_note' });
    nock(BASE)
      .post('/v1/invoices')
      .reply(201, resource({ status: 'processing', control_number: null, document_type: 'debit_note' }))
      .get('/v1/invoices/inv_1')
      .reply(200, resource({ status: 'processing', control_number: null, document_type: 'debit_note' }))
      .get('/v1/invoices/inv_1')
      .reply(200, resource({ document_type: 'debit_note' }));
    const t = target();
    const submission = await t.submit(batchOf(doc));
    expect(submission.results).toEqual([{ documentId: 'd1', outcome: 'pending' }]);
    expect(submission.receipt).toEqual({ invoices: { d1: 'inv_1' } });
    expect(await t.status(submission.receipt!, batchOf(doc))).toEqual({ done: false, results: [{ documentId: 'd1', outcome: 'pending' }] });
    expect(await t.status(submission.receipt!, batchOf(doc))).toMatchObject({ done: true, results: [{ outcome: 'issued', fiscalNumber: 'ND-A-00000007' }] });
  });

  it('reports a fiscal rejection per document and carries on with the others', async () => {
    nock(BASE)
      .post('/v1/invoices')
      .reply(402, apiError('fiscal_error', 'invalid_rif', 'customer.identification.check_digit'))
      .post('/v1/invoices')
      .reply(201, resource({ id: 'inv_2' }));
    const { results } = await target().submit(batchOf(outgoing('bad', exampleInvoice()), outgoing('good', exampleInvoice())));
    expect(results).toEqual([
      { documentId: 'bad', outcome: 'rejected', reason: expect.stringContaining('invalid_rif happened'), field: 'customer.identification.check_digit', messages: ['invalid_rif happened'] },
      expect.objectContaining({ documentId: 'good', outcome: 'issued' }),
    ]);
  });

  it('explains a key reused with another body instead of issuing twice', async () => {
    nock(BASE).post('/v1/invoices').reply(409, apiError('idempotency_error', 'idempotency_key_reused'));
    const [result] = (await target().submit(batchOf(outgoing('d1', exampleInvoice())))).results;
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/will not be issued twice/) });
  });

  it('stops at a rate limit: the rest wait with the same retryAfterMs and were never sent', async () => {
    const scope = nock(BASE).post('/v1/invoices').reply(429, apiError('rate_limit_error', 'rate_limit_exceeded'), { 'Retry-After': '12' });
    const { results } = await target().submit(batchOf(outgoing('d1', exampleInvoice()), outgoing('d2', exampleInvoice())));
    expect(results).toEqual([
      expect.objectContaining({ documentId: 'd1', outcome: 'failed', kind: 'rate_limited', retryAfterMs: 12_000 }),
      expect.objectContaining({ documentId: 'd2', outcome: 'failed', kind: 'rate_limited', retryAfterMs: 12_000 }),
    ]);
    scope.done();
  });

  it('reports auth for a refused key and unknown_outcome for a lost answer, the rest retryable', async () => {
    nock(BASE).post('/v1/invoices').reply(401, apiError('authentication_error', 'invalid_api_key'));
    expect((await target().submit(batchOf(outgoing('d1', exampleInvoice())))).results[0]).toMatchObject({ outcome: 'failed', kind: 'auth' });
    nock(BASE).post('/v1/invoices').times(2).replyWithError('ECONNRESET');
    const { results } = await target().submit(batchOf(outgoing('d1', exampleInvoice()), outgoing('d2', exampleInvoice())));
    expect(results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['unknown_outcome', 'retryable']);
  });
});

describe('tuimprenta target: batches', () => {
  const three = () => [outgoing('d1', exampleInvoice()), outgoing('d2', exampleInvoice()), outgoing('d3', exampleInvoice())];

  it('sends batchFrom documents or more as one batch with a key per row, then maps its result rows', async () => {
    const docs = three();
    nock(BASE)
      .post('/v1/batches', (body) => body.invoices.length === 3 && body.invoices.every((row: { idempotency_key: string; metadata: Record<string, string> }, i: number) => row.idempotency_key === docs[i]!.idempotencyKey && row.metadata.puente_idempotency_key === row.idempotency_key))
      .reply(202, { id: 'bat_1', object: 'batch', status: 'queued', counts: { total: 3, processed: 0, succeeded: 0, failed: 0 }, created_at: '2026-11-20T18:00:00Z' });
    const t = target();
    const submission = await t.submit(batchOf(...docs));
    expect(submission.results.every((r) => r.outcome === 'pending')).toBe(true);
    const receipt = submission.receipt as TuimprentaReceipt;
    expect(receipt.batch).toEqual({ id: 'bat_1', keys: Object.fromEntries(docs.map((d) => [d.documentId, d.idempotencyKey])) });

    nock(BASE).get('/v1/batches/bat_1').reply(200, { id: 'bat_1', object: 'batch', status: 'processing', counts: { total: 3, processed: 0, succeeded: 0, failed: 0 }, created_at: '2026-11-20T18:00:00Z' });
    expect((await t.status(receipt, batchOf(...docs))).done).toBe(false);

    nock(BASE)
      .get('/v1/batches/bat_1')
      .reply(200, { id: 'bat_1', object: 'batch', status: 'partial', counts: { total: 3, processed: 3, succeeded: 2, failed: 1 }, created_at: '2026-11-20T18:00:00Z' })
      .get('/v1/batches/bat_1/result')
      .reply(200, {
        object: 'list',
        batch_id: 'bat_1',
        data: [
          { row: 3, idempotency_key: docs[2]!.idempotencyKey, status: 'succeeded', invoice: resource({ id: 'inv_3', number: '00000009', control_number: '00-00000044' }), error: null },
          { row: 1, idempotency_key: docs[0]!.idempotencyKey, status: 'succeeded', invoice: resource(), error: null },
          { row: 2, idempotency_key: docs[1]!.idempotencyKey, status: 'failed', invoice: null, error: apiError('fiscal_error', 'total_mismatch', 'totals.total').error },
        ],
      });
    const status = await t.status(receipt, batchOf(...docs));
    expect(status.done).toBe(true);
    expect(status.results).toEqual([
      expect.objectContaining({ documentId: 'd1', outcome: 'issued', uuid: '00-00000042' }),
      { documentId: 'd2', outcome: 'rejected', reason: 'total_mismatch happened', field: 'totals.total', messages: ['fiscal_error/total_mismatch: total_mismatch happened'] },
      expect.objectContaining({ documentId: 'd3', outcome: 'issued', fiscalNumber: 'A-00000009', uuid: '00-00000044' }),
    ]);
  });

  it('marks every row unknown_outcome when the batch answer is lost (they will be looked up)', async () => {
    nock(BASE).post('/v1/batches').replyWithError('ECONNRESET');
    const { results, receipt } = await target().submit(batchOf(...three()));
    expect(receipt).toBeUndefined();
    expect(results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['unknown_outcome', 'unknown_outcome', 'unknown_outcome']);
  });

  it('reads a row whose key another request held as unknown_outcome, and a missing row the same way', async () => {
    const docs = three();
    const receipt: TuimprentaReceipt = { invoices: {}, batch: { id: 'bat_1', keys: Object.fromEntries(docs.map((d) => [d.documentId, d.idempotencyKey])) } };
    nock(BASE)
      .get('/v1/batches/bat_1')
      .reply(200, { id: 'bat_1', object: 'batch', status: 'partial', counts: { total: 3, processed: 3, succeeded: 1, failed: 1 }, created_at: '2026-11-20T18:00:00Z' })
      .get('/v1/batches/bat_1/result')
      .reply(200, {
        object: 'list',
        batch_id: 'bat_1',
        data: [
          { row: 1, idempotency_key: docs[0]!.idempotencyKey, status: 'failed', invoice: null, error: apiError('idempotency_error', 'idempotency_key_in_use').error },
          { row: 2, idempotency_key: docs[1]!.idempotencyKey, status: 'succeeded', invoice: resource(), error: null },
        ],
      });
    const { results } = await target().status(receipt, batchOf(...docs));
    expect(results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['unknown_outcome', 'issued', 'unknown_outcome']);
  });

  it('refuses a receipt that is not its own', async () => {
    await expect(target().status({ zipKey: 'x' }, batchOf(...three()))).rejects.toThrow(/not a tuimprenta receipt/);
  });
});

describe('tuimprenta target: full annulment through cancel', () => {
  const annulment = (controlNumber = '00-00000042') =>
    outgoing('nc1', exampleCreditNote({ control_number: controlNumber, issue_date: '2026-11-20' }, { reason: { code: 'annulment', description: 'Pedido cancelado' } }), {
      kind: 'credit_note',
      correction: { code: 'annulment', description: 'Pedido cancelado' },
    });
  const list = (...data: unknown[]) => ({ object: 'list', data, next_cursor: null, prev_cursor: null });

  it('finds the invoice by control number and cancels it; an outright annulment is reported as such', async () => {
    nock(BASE)
      .get('/v1/invoices')
      .query({ limit: '100', series: 'A', created_from: '2026-11-19' })
      .reply(200, list(resource({ id: 'inv_0', control_number: '00-00000041' }), resource()))
      .post('/v1/invoices/inv_1/cancel', { reason: 'Pedido cancelado' })
      .reply(200, resource({ status: 'cancelled', cancellation: { cancelled_at: '2026-11-20T18:00:00Z', method: 'annulment', credit_note_id: null } }));
    const { results } = await target().submit(batchOf(annulment()));
    expect(results).toEqual([
      { documentId: 'nc1', outcome: 'issued', fiscalNumber: 'A-00000007/ANULADA', uuid: '00-00000042', messages: [expect.stringMatching(/annulled invoice A-00000007/)] },
    ]);
  });

  it('reports the credit note the imprenta issued when it could not annul outright', async () => {
    nock(BASE)
      .get('/v1/invoices')
      .query(true)
      .reply(200, list(resource()))
      .post('/v1/invoices/inv_1/cancel')
      .reply(200, resource({ status: 'cancelled', cancellation: { cancelled_at: '2026-11-21T18:00:00Z', method: 'credit_note', credit_note_id: 'inv_9' } }))
      .get('/v1/invoices/inv_9')
      .reply(200, resource({ id: 'inv_9', document_type: 'credit_note', number: '00000003', control_number: '00-00000050' }));
    const [result] = (await target().submit(batchOf(annulment()))).results;
    expect(result).toMatchObject({ outcome: 'issued', fiscalNumber: 'NC-A-00000003', uuid: '00-00000050' });
  });

  it('takes an already-cancelled invoice as done (an earlier cancel whose answer was lost)', async () => {
    nock(BASE)
      .get('/v1/invoices')
      .query(true)
      .reply(200, list(resource()))
      .post('/v1/invoices/inv_1/cancel')
      .reply(409, apiError('conflict_error', 'invoice_already_cancelled'))
      .get('/v1/invoices/inv_1')
      .reply(200, resource({ status: 'cancelled', cancellation: { cancelled_at: '2026-11-20T18:00:00Z', method: 'annulment', credit_note_id: null } }));
    expect((await target().submit(batchOf(annulment()))).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'A-00000007/ANULADA' });
  });

  it('rejects an annulment whose invoice is not in the account', async () => {
    nock(BASE).get('/v1/invoices').query(true).reply(200, list(resource()));
    expect((await target().submit(batchOf(annulment('00-00000999')))).results[0]).toMatchObject({ outcome: 'rejected', field: 'related_invoice.control_number' });
  });

  it('looks an annulment up as the cancellation of its invoice, or nothing yet', async () => {
    nock(BASE).get('/v1/invoices').query(true).reply(200, list(resource()));
    expect(await target().lookup(annulment())).toBeNull();
    nock(BASE)
      .get('/v1/invoices')
      .query(true)
      .reply(200, list(resource({ status: 'cancelled', cancellation: { cancelled_at: '2026-11-20T18:00:00Z', method: 'annulment', credit_note_id: null } })));
    expect(await target().lookup(annulment())).toMatchObject({ outcome: 'issued', uuid: '00-00000042' });
  });
});

describe('tuimprenta target: lookup', () => {
  it('replays the key and body while the API remembers the key, and fetches the fresh state', async () => {
    const doc = outgoing('d1', wireAt(RECENT));
    nock(BASE, { reqheaders: { 'idempotency-key': doc.idempotencyKey } })
      .post('/v1/invoices', (body) => body.metadata.puente_idempotency_key === doc.idempotencyKey)
      .reply(201, resource({ status: 'processing', control_number: null }), { 'Idempotent-Replayed': 'true' });
    nock(BASE).get('/v1/invoices/inv_1').reply(200, resource());
    expect(await target().lookup(doc)).toMatchObject({ documentId: 'd1', outcome: 'issued', uuid: '00-00000042' });
  });

  it('says pending while a batch holds the key, rejected when the replay is refused', async () => {
    nock(BASE).post('/v1/invoices').reply(409, apiError('idempotency_error', 'idempotency_key_in_use'));
    expect(await target().lookup(outgoing('d1', wireAt(RECENT)))).toEqual({ documentId: 'd1', outcome: 'pending' });
    nock(BASE).post('/v1/invoices').reply(402, apiError('fiscal_error', 'total_mismatch', 'totals.total'));
    expect(await target().lookup(outgoing('d1', wireAt(RECENT)))).toMatchObject({ outcome: 'rejected', field: 'totals.total' });
  });

  it('lets other failures through, so the document stays uncertain', async () => {
    nock(BASE).post('/v1/invoices').reply(401, apiError('authentication_error', 'invalid_api_key'));
    await expect(target().lookup(outgoing('d1', wireAt(RECENT)))).rejects.toMatchObject({ kind: 'auth' });
  });

  it('past the key’s retention, searches the list by metadata and never replays', async () => {
    const old = outgoing('d1', wireAt('2026-11-18T09:00:00-04:00'));
    const mine = resource({ id: 'inv_5', metadata: { puente_idempotency_key: old.idempotencyKey } });
    const scope = nock(BASE)
      .get('/v1/invoices')
      .query({ limit: '100', series: 'A', created_from: '2026-11-17' })
      .reply(200, { object: 'list', data: [resource({ metadata: { puente_idempotency_key: 'someone-else' } })], next_cursor: 'cur_a', prev_cursor: null })
      .get('/v1/invoices')
      .query({ limit: '100', series: 'A', created_from: '2026-11-17', starting_after: 'cur_a' })
      .reply(200, { object: 'list', data: [mine], next_cursor: null, prev_cursor: 'cur_' });
    expect(await target().lookup(old)).toMatchObject({ outcome: 'issued', uuid: '00-00000042' });
    scope.done();
    nock(BASE).get('/v1/invoices').query(true).reply(200, { object: 'list', data: [], next_cursor: null, prev_cursor: null });
    expect(await target().lookup(old)).toBeNull();
  });

  it('uses a configured retention window', async () => {
    const doc = outgoing('d1', wireAt(caracasTimestamp(new Date(NOW - 3 * 3_600_000))));
    nock(BASE).get('/v1/invoices').query(true).reply(200, { object: 'list', data: [], next_cursor: null, prev_cursor: null });
    expect(await target({ idempotencyRetentionHours: 2 }).lookup(doc)).toBeNull();
  });
});
