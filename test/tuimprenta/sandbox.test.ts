/** The tuimprenta sandbox over real HTTP on 127.0.0.1: its rules, numbering, idempotency, lists, cancel, limits and faults. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caracasTimestamp, exampleCreditNote, exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import { TUIMPRENTA_SANDBOX_API_KEY, startTuimprentaSandbox, type RunningTuimprentaSandbox } from '../../connectors/tuimprenta/sandbox/index.js';
import { apiOf } from './helpers.js';

const relatedTo = (invoice: { control_number: string; number: string; issued_at: string }) => ({
  control_number: invoice.control_number,
  number: invoice.number,
  issue_date: invoice.issued_at.slice(0, 10),
});

describe('tuimprenta sandbox', () => {
  let sandbox: RunningTuimprentaSandbox;
  let api: ReturnType<typeof apiOf>;
  beforeAll(async () => {
    sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000 });
    api = apiOf(sandbox.url);
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await api('/_sandbox/reset', { method: 'POST', key: null });
  });

  it('pings with a valid key and answers 401 in the error envelope otherwise', async () => {
    expect((await api('/v1/ping')).json).toMatchObject({ ok: true, livemode: false });
    expect(await api('/v1/ping', { key: null })).toMatchObject({ status: 401, json: { error: { type: 'authentication_error', code: 'missing_api_key', field: null } } });
    expect((await api('/v1/ping', { key: 'sk_test_wrong' })).json.error.code).toBe('invalid_api_key');
  });

  it('numbers per series and document type, and gives one control-number sequence to the account', async () => {
    const a1 = (await api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'n1' } })).json;
    const a2 = (await api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'n2' } })).json;
    const b1 = (await api('/v1/invoices', { body: exampleInvoice({ series: 'B' }), headers: { 'Idempotency-Key': 'n3' } })).json;
    const note = (await api('/v1/invoices', { body: exampleCreditNote(relatedTo(a1)), headers: { 'Idempotency-Key': 'n4' } })).json;
    expect([a1, a2, b1, note].map((d) => [d.document_type, d.series, d.number, d.control_number, d.status])).toEqual([
      ['invoice', 'A', '00000001', '00-00000001', 'issued'],
      ['invoice', 'A', '00000002', '00-00000002', 'issued'],
      ['invoice', 'B', '00000001', '00-00000003', 'issued'],
      ['credit_note', 'A', '00000001', '00-00000004', 'issued'],
    ]);
    expect(note.related_invoice).toMatchObject({ id: a1.id, control_number: '00-00000001' });
  });

  it('computes IGTF on the foreign-currency part and the bolívar equivalent at the BCV rate', async () => {
    const wire = exampleInvoice({ currency: 'USD', exchange_rate: '36.5012', payment: { condition: 'cash', method: 'card', foreign_currency_amount: '200.00' } });
    const created = (await api('/v1/invoices', { body: wire })).json;
    expect(created.igtf).toEqual({ base: '200.00', rate: '3.00', amount: '6.00' });
    expect(created.grand_total).toBe('292.00');
    expect(created.totals_ves).toEqual({ exchange_rate: '36.5012', total: '10439.34', igtf: '219.01', grand_total: '10658.35' });
  });

  it('replays the stored answer for the same key and body, refuses another body with 409', async () => {
    const body = exampleInvoice();
    const first = await api('/v1/invoices', { body, headers: { 'Idempotency-Key': 'same' } });
    const again = await api('/v1/invoices', { body: JSON.stringify(JSON.parse(JSON.stringify(body))), headers: { 'Idempotency-Key': 'same' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json).toEqual(first.json);
    const other = await api('/v1/invoices', { body: { ...body, notes: 'otra' }, headers: { 'Idempotency-Key': 'same' } });
    expect(other).toMatchObject({ status: 409, json: { error: { type: 'idempotency_error', code: 'idempotency_key_reused' } } });
    expect((await api('/_sandbox/documents', { key: null })).json.documents).toHaveLength(1);
  });

  it('does not spend a key on a refused document: the corrected body may use it', async () => {
    const bad = exampleInvoice();
    bad.totals.total = '1.00';
    expect((await api('/v1/invoices', { body: bad, headers: { 'Idempotency-Key': 'fix-me' } })).status).toBe(402);
    expect((await api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'fix-me' } })).status).toBe(201);
  });

  it('answers 422 naming the field for malformed bodies', async () => {
    const { customer: _c, ...noCustomer } = exampleInvoice();
    expect((await api('/v1/invoices', { body: noCustomer })).json.error).toMatchObject({ type: 'invalid_request_error', field: 'customer', code: 'parameter_missing' });
    const badQuantity = exampleInvoice();
    badQuantity.items[0]!.quantity = '0';
    expect((await api('/v1/invoices', { body: badQuantity })).json.error).toMatchObject({ field: 'items[0].quantity', code: 'parameter_invalid' });
    expect((await api('/v1/invoices', { body: exampleInvoice({ currency: 'USD' }) })).json.error).toMatchObject({ field: 'exchange_rate', code: 'exchange_rate_required' });
    expect((await api('/v1/invoices', { body: '{"broken":' })).json.error.code).toBe('invalid_json');
    expect((await api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'ñ' } })).json.error).toMatchObject({ field: 'Idempotency-Key' });
  });

  it('answers 402 fiscal_error for what SENIAT rules refuse', async () => {
    const rif = exampleInvoice();
    rif.customer.identification = { type: 'rif', number: 'J31234567', check_digit: '4' };
    expect((await api('/v1/invoices', { body: rif })).json.error).toMatchObject({ type: 'fiscal_error', code: 'invalid_rif', field: 'customer.identification.check_digit' });
    const future = exampleInvoice({ issued_at: caracasTimestamp(new Date(Date.now() + 3_600_000)) });
    expect((await api('/v1/invoices', { body: future })).json.error.code).toBe('issue_date_in_future');
    const orphan = exampleCreditNote({ control_number: '00-00009999', issue_date: '2026-11-20' });
    expect((await api('/v1/invoices', { body: orphan })).json.error).toMatchObject({ type: 'fiscal_error', code: 'related_invoice_not_found', field: 'related_invoice.control_number' });
    const invoice = (await api('/v1/invoices', { body: exampleInvoice() })).json;
    const wrongDate = exampleCreditNote({ ...relatedTo(invoice), issue_date: '2020-01-01' });
    expect((await api('/v1/invoices', { body: wrongDate })).json.error.code).toBe('related_invoice_mismatch');
    const wrongNumber = exampleCreditNote({ ...relatedTo(invoice), number: 'A-00000002' });
    expect((await api('/v1/invoices', { body: wrongNumber })).json.error.code).toBe('related_invoice_mismatch');
    expect((await api('/v1/invoices', { body: exampleCreditNote({ ...relatedTo(invoice), number: 'A-00000001' }) })).status).toBe(201);
    expect((await api('/v1/invoices', { body: exampleCreditNote(relatedTo(invoice)) })).status).toBe(201);
    const third = await api('/v1/invoices', { body: exampleCreditNote(relatedTo(invoice)) });
    expect(third).toMatchObject({ status: 402, json: { error: { code: 'credit_exceeds_invoice', field: 'totals.total' } } });
  });

  it('answers 404 resource_missing for an unknown document and route_not_found for an unknown route', async () => {
    expect((await api('/v1/invoices/inv_nope')).json).toEqual({ error: { type: 'not_found_error', message: 'no invoice inv_nope in this account', field: null, code: 'resource_missing' } });
    expect((await api('/v1/receipts')).json.error.code).toBe('route_not_found');
    expect((await api('/api/v1/invoices')).status).toBe(404);
  });

  it('pages the list with cursors both ways and filters it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api('/v1/invoices', { body: exampleInvoice({ series: i === 4 ? 'B' : 'A' }) })).json.id);
    const first = (await api('/v1/invoices?limit=2')).json;
    expect(first.data.map((d: { id: string }) => d.id)).toEqual(ids.slice(0, 2));
    expect(first.prev_cursor).toBeNull();
    const second = (await api(`/v1/invoices?limit=2&starting_after=${first.next_cursor}`)).json;
    expect(second.data.map((d: { id: string }) => d.id)).toEqual(ids.slice(2, 4));
    const back = (await api(`/v1/invoices?limit=2&starting_after=${second.prev_cursor}`)).json;
    expect(back.data.map((d: { id: string }) => d.id)).toEqual(ids.slice(0, 2));
    const third = (await api(`/v1/invoices?limit=2&starting_after=${second.next_cursor}`)).json;
    expect(third).toMatchObject({ next_cursor: null, data: [{ id: ids[4] }] });
    expect((await api(`/v1/invoices?starting_after=${ids[1]}&limit=10`)).json.data).toHaveLength(3);
    expect((await api('/v1/invoices?series=B')).json.data.map((d: { id: string }) => d.id)).toEqual([ids[4]]);
    expect((await api('/v1/invoices?status=cancelled')).json.data).toEqual([]);
    expect((await api('/v1/invoices?created_from=2999-01-01')).json.data).toEqual([]);
    expect((await api('/v1/invoices?created_from=2000-01-01')).json.data).toHaveLength(5);
    expect((await api('/v1/invoices?limit=101')).json.error).toMatchObject({ field: 'limit', type: 'invalid_request_error' });
    expect((await api('/v1/invoices?status=paid')).json.error.field).toBe('status');
  });

  it('serves the PDF and XML of an issued document', async () => {
    const created = (await api('/v1/invoices', { body: exampleInvoice() })).json;
    const pdf = await fetch(created.pdf_url, { headers: { Authorization: `Bearer ${TUIMPRENTA_SANDBOX_API_KEY}` } });
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(bytes.subarray(0, 8).toString()).toBe('%PDF-1.4');
    expect(bytes.toString('latin1')).toContain('N\\260 de control: 00-00000001');
    const xml = await api(`/v1/invoices/${created.id}/xml`);
    expect(xml.headers.get('content-type')).toMatch(/application\/xml/);
    expect(xml.text).toContain('<NumeroControl>00-00000001</NumeroControl>');
    expect(xml.text).toContain('<Alicuota>8.00</Alicuota><BaseImponible>50.00</BaseImponible><Monto>4.00</Monto>');
    expect(xml.text).toContain('Providencia Administrativa SNAT/2024/000102');
  });

  it('annuls an invoice cancelled the same day, and refuses to cancel it twice', async () => {
    const created = (await api('/v1/invoices', { body: exampleInvoice() })).json;
    const cancelled = await api(`/v1/invoices/${created.id}/cancel`, { body: { reason: 'Pedido cancelado' } });
    expect(cancelled.json).toMatchObject({ status: 'cancelled', cancellation: { method: 'annulment', credit_note_id: null, reason: 'Pedido cancelado' } });
    expect((await api(`/v1/invoices/${created.id}/cancel`, { body: {} })).json.error).toMatchObject({ type: 'conflict_error', code: 'invoice_already_cancelled' });
    const note = exampleCreditNote(relatedTo(created));
    expect((await api('/v1/invoices', { body: note })).json.error.code).toBe('related_invoice_cancelled');
  });

  it('issues the credit note for what remains when the invoice was already corrected', async () => {
    const created = (await api('/v1/invoices', { body: exampleInvoice() })).json;
    await api('/v1/invoices', { body: exampleCreditNote(relatedTo(created)) });
    const cancelled = (await api(`/v1/invoices/${created.id}/cancel`, { body: {} })).json;
    expect(cancelled.cancellation).toMatchObject({ method: 'credit_note', credit_note_number: '00000002' });
    const note = (await api(`/v1/invoices/${cancelled.cancellation.credit_note_id}`)).json;
    expect(note).toMatchObject({ document_type: 'credit_note', status: 'issued', related_invoice: { id: created.id } });
    // 286.00 invoiced, 116.00 credited before: 170.00 remain (100.00 at 16 % + 50.00 at 8 %).
    expect(note.totals).toMatchObject({ subtotal: '150.00', tax_total: '20.00', total: '170.00' });
  });

  it('refuses to cancel a note: notes are corrected by other notes', async () => {
    const created = (await api('/v1/invoices', { body: exampleInvoice() })).json;
    const note = (await api('/v1/invoices', { body: exampleCreditNote(relatedTo(created)) })).json;
    expect((await api(`/v1/invoices/${note.id}/cancel`, { body: {} })).json.error).toMatchObject({ type: 'fiscal_error', code: 'document_not_cancellable' });
  });
});

describe('tuimprenta sandbox: control numbers assigned later', () => {
  it('keeps a document processing until the imprenta assigns its control number', async () => {
    const sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000, controlNumberDelayMs: 150, tickMs: 20 });
    const api = apiOf(sandbox.url);
    try {
      const created = (await api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'late' } })).json;
      expect(created).toMatchObject({ status: 'processing', control_number: null, pdf_url: null });
      expect((await api(`/v1/invoices/${created.id}/pdf`)).json.error.code).toBe('invoice_processing');
      expect((await api(`/v1/invoices/${created.id}/cancel`, { body: {} })).json.error.code).toBe('invoice_processing');
      await expect.poll(async () => (await api(`/v1/invoices/${created.id}`)).json.status, { timeout: 3000 }).toBe('issued');
      // The stored answer is the first one, as it was.
      expect((await api('/v1/invoices', { body: exampleInvoice({ issued_at: created.issued_at }), headers: { 'Idempotency-Key': 'late' } })).json.status).toBe('processing');
    } finally {
      await sandbox.close();
    }
  });
});

describe('tuimprenta sandbox: limits, faults and persistence', () => {
  it('counts 60 requests per minute per key with X-RateLimit-* headers, then 429 with Retry-After', async () => {
    const sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 3 });
    const api = apiOf(sandbox.url);
    try {
      const answers = [await api('/v1/ping'), await api('/v1/ping'), await api('/v1/ping'), await api('/v1/ping')];
      expect(answers.map((a) => [a.status, a.headers.get('x-ratelimit-limit'), a.headers.get('x-ratelimit-remaining')])).toEqual([
        [200, '3', '2'],
        [200, '3', '1'],
        [200, '3', '0'],
        [429, '3', '0'],
      ]);
      const reset = Number(answers[3]!.headers.get('x-ratelimit-reset'));
      expect(reset * 1000).toBeGreaterThan(Date.now());
      expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answers[3]!.json.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect((await api('/v1/ping', { key: 'sk_other' })).status).toBe(401);
    } finally {
      await sandbox.close();
    }
  });

  it('injects 429s, 5xx and lost answers, and drops them again', async () => {
    const sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000 });
    const api = apiOf(sandbox.url);
    try {
      await api('/_sandbox/faults', { body: { force429: 1, retryAfterSeconds: 7 }, key: null });
      const limited = await api('/v1/ping');
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
      await api('/_sandbox/faults', { body: { errorRate: 1 }, key: null });
      const broken = await api('/v1/ping');
      expect([500, 503]).toContain(broken.status);
      expect(broken.json.error.type).toBe('api_error');
      await api('/_sandbox/faults', { method: 'DELETE', key: null });
      await api('/_sandbox/faults', { body: { dropAfterAccept: 1 }, key: null });
      await expect(api('/v1/invoices', { body: exampleInvoice(), headers: { 'Idempotency-Key': 'dropped' } })).rejects.toThrow();
      const documents = (await api('/_sandbox/documents', { key: null })).json.documents;
      expect(documents).toHaveLength(1);
      const replay = await api('/v1/invoices', { body: exampleInvoice({ issued_at: documents[0].issued_at }), headers: { 'Idempotency-Key': 'dropped' } });
      expect([replay.status, replay.json.id]).toEqual([201, documents[0].id]);
      expect((await api('/_sandbox/faults', { body: { errorRate: 2 }, key: null })).status).toBe(400);
    } finally {
      await sandbox.close();
    }
  });

  it('keeps documents, counters and keys in the data file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuimprenta-sandbox-'));
    const dataFile = join(dir, 'state.json');
    try {
      let sandbox = await startTuimprentaSandbox({ port: 0, dataFile, requestsPerMinute: 6000 });
      const body = exampleInvoice();
      const first = (await apiOf(sandbox.url)('/v1/invoices', { body, headers: { 'Idempotency-Key': 'persist' } })).json;
      await sandbox.close();
      sandbox = await startTuimprentaSandbox({ port: 0, dataFile, requestsPerMinute: 6000 });
      const api = apiOf(sandbox.url);
      expect((await api('/v1/invoices', { body, headers: { 'Idempotency-Key': 'persist' } })).json.id).toBe(first.id);
      expect((await api('/v1/invoices', { body: exampleInvoice() })).json.control_number).toBe('00-00000002');
      await sandbox.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
