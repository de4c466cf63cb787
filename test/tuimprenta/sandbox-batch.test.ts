/** Batches at the tuimprenta sandbox over real HTTP: JSON and CSV, lifecycle, counts, results, keys, callbacks. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TuimprentaClient } from '../../connectors/tuimprenta/client.js';
import { RESULT_CSV_COLUMNS, invoicesToCsv, parseCsv } from '../../connectors/tuimprenta/csv.js';
import { exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import {
  TUIMPRENTA_SANDBOX_API_KEY,
  TUIMPRENTA_SANDBOX_WEBHOOK_SECRET,
  startTuimprentaSandbox,
  type RunningTuimprentaSandbox,
} from '../../connectors/tuimprenta/sandbox/index.js';
import { receiveTuimprentaWebhook } from '../../connectors/tuimprenta/webhook.js';
import { listenOnLoopback, type Loopback } from '../loopback.js';
import { apiOf } from './helpers.js';

function wrongTotal() {
  const wire = exampleInvoice();
  wire.totals.total = '1.00';
  return wire;
}

describe('tuimprenta sandbox batches', () => {
  let sandbox: RunningTuimprentaSandbox;
  let api: ReturnType<typeof apiOf>;
  let callbacks: Loopback;
  let callbackUrl: string;
  const callbackEvents: string[] = [];

  beforeAll(async () => {
    callbacks = await listenOnLoopback((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const verdict = receiveTuimprentaWebhook({ rawBody: Buffer.concat(chunks), headers: req.headers }, { secret: TUIMPRENTA_SANDBOX_WEBHOOK_SECRET });
        if (verdict.ok) callbackEvents.push(verdict.event.type);
        res.writeHead(verdict.ok ? 200 : verdict.status).end();
      });
    });
    callbackUrl = `${callbacks.url}/batch-callback`;
    // Long enough to see queued and processing from the outside; the ticker moves them on.
    sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000, batchQueueMs: 100, batchProcessMs: 100, tickMs: 10 });
    api = apiOf(sandbox.url);
  });
  afterAll(async () => {
    await sandbox.close();
    await callbacks.close();
  });
  afterEach(async () => {
    await api('/_sandbox/reset', { method: 'POST', key: null });
    callbackEvents.length = 0;
  });

  const finished = async (id: string) => {
    await expect.poll(async () => (await api(`/v1/batches/${id}`)).json.status, { timeout: 3000 }).toMatch(/^(completed|failed|partial)$/);
    return (await api(`/v1/batches/${id}`)).json;
  };

  it('goes queued → processing → partial, with counts, and answers its result only once finished', async () => {
    const accepted = await api('/v1/batches', {
      body: { invoices: [{ ...exampleInvoice(), idempotency_key: 'row-1' }, { ...wrongTotal(), idempotency_key: 'row-2' }, exampleInvoice({ series: 'B' })], callback_url: callbackUrl },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.json).toMatchObject({ object: 'batch', status: 'queued', source: 'json', counts: { total: 3, processed: 0 }, callback_url: callbackUrl });
    expect((await api(`/v1/batches/${accepted.json.id}/result`)).json.error).toMatchObject({ type: 'conflict_error', code: 'batch_not_finished' });
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          seen.add((await api(`/v1/batches/${accepted.json.id}`)).json.status);
          return seen.has('partial');
        },
        { timeout: 3000, interval: 20 },
      )
      .toBe(true);
    expect(seen.has('processing')).toBe(true);
    const done = await finished(accepted.json.id);
    expect(done.counts).toEqual({ total: 3, processed: 3, succeeded: 2, failed: 1 });

    const result = (await api(`/v1/batches/${accepted.json.id}/result`)).json;
    expect(result.data.map((r: { row: number; idempotency_key: string | null; status: string }) => [r.row, r.idempotency_key, r.status])).toEqual([
      [1, 'row-1', 'succeeded'],
      [2, 'row-2', 'failed'],
      [3, null, 'succeeded'],
    ]);
    expect(result.data[0].invoice).toMatchObject({ status: 'issued', control_number: '00-00000001', batch_id: accepted.json.id });
    expect(result.data[1].error).toMatchObject({ type: 'fiscal_error', code: 'total_mismatch', field: 'totals.total' });

    const csv = await api(`/v1/batches/${accepted.json.id}/result`, { headers: { Accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(csv.text).map((r) => r.fields);
    expect(rows[0]).toEqual([...RESULT_CSV_COLUMNS]);
    expect(rows[2]!.slice(0, 3)).toEqual(['2', 'row-2', 'failed']);
    expect(rows[2]![10]).toBe('total_mismatch');
    expect((await api(`/v1/batches/${accepted.json.id}/result.csv`)).text).toBe(csv.text);

    await expect.poll(() => callbackEvents.includes('batch.partial'), { timeout: 3000 }).toBe(true);
    expect(callbackEvents).toContain('batch.processing');
  });

  it('completes when every row is issued and fails when none is', async () => {
    const good = (await api('/v1/batches', { body: { invoices: [exampleInvoice(), exampleInvoice()] } })).json;
    const bad = (await api('/v1/batches', { body: { invoices: [wrongTotal()] } })).json;
    expect((await finished(good.id)).status).toBe('completed');
    expect((await finished(bad.id)).status).toBe('failed');
  });

  it('holds a row’s key while the batch runs, then binds it to the row’s invoice', async () => {
    const body = exampleInvoice();
    const accepted = (await api('/v1/batches', { body: { invoices: [{ ...body, idempotency_key: 'held' }] } })).json;
    expect((await api('/v1/invoices', { body, headers: { 'Idempotency-Key': 'held' } })).json.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    await finished(accepted.id);
    const invoiceId = (await api(`/v1/batches/${accepted.id}/result`)).json.data[0].invoice.id;
    const replay = await api('/v1/invoices', { body, headers: { 'Idempotency-Key': 'held' } });
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.json.id]).toEqual([201, 'true', invoiceId]);
  });

  it('answers a row with an already-bound key from the store, and refuses it with another body', async () => {
    const body = exampleInvoice();
    const single = (await api('/v1/invoices', { body, headers: { 'Idempotency-Key': 'k-1' } })).json;
    const accepted = (await api('/v1/batches', { body: { invoices: [{ ...body, idempotency_key: 'k-1' }, { ...exampleInvoice({ notes: 'x' }), idempotency_key: 'k-2' }] } })).json;
    await finished(accepted.id);
    const rows = (await api(`/v1/batches/${accepted.id}/result`)).json.data;
    expect(rows[0].invoice.id).toBe(single.id);
    const other = (await api('/v1/batches', { body: { invoices: [{ ...exampleInvoice({ notes: 'y' }), idempotency_key: 'k-1' }] } })).json;
    await finished(other.id);
    expect((await api(`/v1/batches/${other.id}/result`)).json.data[0].error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
    // The single invoice and the k-2 row: neither the replayed row nor the refused one made a document.
    expect((await api('/_sandbox/documents', { key: null })).json.documents).toHaveLength(2);
  });

  it('refuses malformed batches with 422 naming the field', async () => {
    expect((await api('/v1/batches', { body: { invoices: [] } })).json.error).toMatchObject({ field: 'invoices' });
    const many = Array.from({ length: 101 }, () => exampleInvoice());
    expect((await api('/v1/batches', { body: { invoices: many } })).json.error).toMatchObject({ field: 'invoices', code: 'too_many_invoices' });
    const twice = [{ ...exampleInvoice(), idempotency_key: 'x' }, { ...exampleInvoice(), idempotency_key: 'x' }];
    expect((await api('/v1/batches', { body: { invoices: twice } })).json.error).toMatchObject({ field: 'invoices[1].idempotency_key', code: 'duplicate_idempotency_key' });
    expect((await api('/v1/batches', { body: { invoices: [exampleInvoice()], callback_url: 'not a url' } })).json.error.field).toBe('callback_url');
    expect((await api('/v1/batches', { raw: 'hello', headers: { 'Content-Type': 'text/plain' } })).json.error.code).toBe('unsupported_content_type');
    expect((await api('/v1/batches/bat_nope')).json.error.code).toBe('resource_missing');
  });

  it('takes a CSV batch as multipart, with the same rules per invoice', async () => {
    const client = new TuimprentaClient({ baseUrl: sandbox.url, apiKey: TUIMPRENTA_SANDBOX_API_KEY, requestsPerMinute: 6000 });
    try {
      const csv = invoicesToCsv([{ invoice: exampleInvoice(), idempotencyKey: 'csv-1' }, { invoice: exampleInvoice({ series: 'B' }) }]);
      const accepted = await client.createBatchFromCsv(csv, callbackUrl);
      expect(accepted).toMatchObject({ status: 'queued', callback_url: callbackUrl });
      expect((await finished(accepted.id)).status).toBe('completed');
      const result = await client.batchResult(accepted.id);
      expect(result.data.map((r) => [r.row, r.idempotency_key, r.invoice?.series, r.invoice?.grand_total])).toEqual([
        [1, 'csv-1', 'A', '286.00'],
        [2, null, 'B', '286.00'],
      ]);
      expect((result.data[1] as unknown as { line: number }).line).toBe(4);

      const broken = csv.replace('invoice_ref', 'factura');
      const refused = await client.createBatchFromCsv(broken).catch((error: unknown) => error as { kind: string; field?: string; messages: string[] });
      expect(refused).toMatchObject({ kind: 'rejected', field: 'file' });
      expect((refused as { messages: string[] }).messages[0]).toMatch(/line 1 \(factura\): unknown column "factura"/);
      const form = new FormData();
      form.append('document', new Blob([csv]), 'x.csv');
      expect((await api('/v1/batches', { raw: form })).json.error).toMatchObject({ field: 'file', code: 'parameter_missing' });
    } finally {
      await client.close();
    }
  });
});
