/**
 * The tuimprenta target against its sandbox on 127.0.0.1 (port 0), real HTTP: documents issued exactly
 * once through lost answers and batches, notes citing their invoice, cancel, and the rate limit.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TuimprentaClient } from '../../connectors/tuimprenta/client.js';
import { exampleCreditNote, exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import {
  TUIMPRENTA_SANDBOX_API_KEY,
  TUIMPRENTA_SANDBOX_TARGET_DEFAULTS,
  startTuimprentaSandbox,
  type RunningTuimprentaSandbox,
} from '../../connectors/tuimprenta/sandbox/index.js';
import { createTuimprentaTarget, type TuimprentaTarget } from '../../connectors/tuimprenta/target.js';
import type { TuimprentaInvoiceRequest } from '../../connectors/tuimprenta/wire.js';
import type { DocumentOutcome, OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';
import { apiOf } from './helpers.js';

let counter = 0;
function outgoing(wire: TuimprentaInvoiceRequest, kind: DocumentKind = 'invoice', correction?: FiscalDocument['correction']): OutgoingDocument {
  counter++;
  return {
    documentId: `doc-${counter}`,
    idempotencyKey: `shopify:bodega.myshopify.com/order/${counter}/${kind}`,
    kind,
    series: '',
    number: '',
    wire,
    fiscal: (correction ? { correction } : {}) as FiscalDocument,
  };
}
const batchOf = (...documents: OutgoingDocument[]): OutgoingBatch => ({ batchId: `batch-${counter}`, kind: documents[0]!.kind, series: '', documents });
const kinds = (results: DocumentOutcome[]) => results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome));

describe('tuimprenta target against the sandbox', () => {
  let sandbox: RunningTuimprentaSandbox;
  let api: ReturnType<typeof apiOf>;
  const targets: TuimprentaTarget[] = [];
  const target = (overrides: Record<string, unknown> = {}) => {
    const t = createTuimprentaTarget(
      { ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: sandbox.url, requestsPerMinute: 6000, ...overrides },
      { client: { retry: { retries: 1, minTimeout: 1, maxTimeout: 2 } } },
    );
    targets.push(t);
    return t;
  };
  const documents = async () => (await api('/_sandbox/documents', { key: null })).json.documents as { id: string; status: string; document_type: string; metadata: Record<string, string>; totals: { total: string }; related_invoice: { id: string } | null; cancellation: unknown }[];

  beforeAll(async () => {
    sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000, batchQueueMs: 20, batchProcessMs: 20, tickMs: 10 });
    api = apiOf(sandbox.url);
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => t.close()));
    await api('/_sandbox/reset', { method: 'POST', key: null });
  });

  it('issues an invoice, then a partial credit note and a debit note that cite it, each exactly once', async () => {
    const t = target();
    const invoiceDoc = outgoing(exampleInvoice());
    const [issued] = (await t.submit(batchOf(invoiceDoc))).results;
    expect(issued).toMatchObject({ outcome: 'issued', fiscalNumber: 'A-00000001', uuid: '00-00000001' });
    const related = { control_number: '00-00000001', issue_date: (invoiceDoc.wire as TuimprentaInvoiceRequest).issued_at.slice(0, 10) };
    const credit = outgoing(exampleCreditNote(related), 'credit_note', { code: 'partial_return', description: 'Devolución' });
    const debitWire = exampleCreditNote({ ...related, number: 'A-00000001' }, { document_type: 'debit_note', reason: { code: 'value_change', description: 'Aumento' } });
    const debit = outgoing(debitWire, 'debit_note', { code: 'value_change', description: 'Aumento' });
    expect((await t.submit(batchOf(credit))).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'NC-A-00000001', uuid: '00-00000002' });
    expect((await t.submit(batchOf(debit))).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'ND-A-00000001', uuid: '00-00000003' });

    const stored = await documents();
    expect(stored.map((d) => [d.document_type, d.totals.total, d.metadata.puente_idempotency_key])).toEqual([
      ['invoice', '286.00', invoiceDoc.idempotencyKey],
      ['credit_note', '116.00', credit.idempotencyKey],
      ['debit_note', '116.00', debit.idempotencyKey],
    ]);
    expect(stored[1]!.related_invoice?.id).toBe(stored[0]!.id);
    expect(stored[2]!.related_invoice?.id).toBe(stored[0]!.id);
  });

  it('sends three documents as one batch and polls it to a verdict per document', async () => {
    const t = target();
    const bad = exampleInvoice();
    bad.items[0]!.tax_rate = '12.00';
    const docs = [outgoing(exampleInvoice()), outgoing(bad), outgoing(exampleInvoice({ series: 'B' }))];
    const submission = await t.submit(batchOf(...docs));
    expect(kinds(submission.results)).toEqual(['pending', 'pending', 'pending']);
    let status = await t.status(submission.receipt!, batchOf(...docs));
    await expect
      .poll(async () => {
        status = await t.status(submission.receipt!, batchOf(...docs));
        return status.done;
      }, { timeout: 3000 })
      .toBe(true);
    expect(status.results).toEqual([
      expect.objectContaining({ documentId: docs[0]!.documentId, outcome: 'issued', fiscalNumber: 'A-00000001' }),
      expect.objectContaining({ documentId: docs[1]!.documentId, outcome: 'rejected', field: 'items[0].tax_rate' }),
      expect.objectContaining({ documentId: docs[2]!.documentId, outcome: 'issued', fiscalNumber: 'B-00000001' }),
    ]);
    expect(await documents()).toHaveLength(2);
  });

  it('recovers a lost answer by repeating the keyed request: the stored answer, one document', async () => {
    const t = target();
    await api('/_sandbox/faults', { body: { dropAfterAccept: 1 }, key: null });
    const [result] = (await t.submit(batchOf(outgoing(exampleInvoice())))).results;
    expect(result).toMatchObject({ outcome: 'issued', uuid: '00-00000001' });
    expect(await documents()).toHaveLength(1);
  });

  it('when the answer stays lost, lookup replays the key and finds the one document that was made', async () => {
    const t = createTuimprentaTarget(
      { ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: sandbox.url, requestsPerMinute: 6000 },
      { client: { retry: { retries: 0 } } },
    );
    targets.push(t);
    const doc = outgoing(exampleInvoice());
    await api('/_sandbox/faults', { body: { dropAfterAccept: 1 }, key: null });
    const [lost] = (await t.submit(batchOf(doc))).results;
    expect(lost).toMatchObject({ outcome: 'failed', kind: 'unknown_outcome' });
    const found = await t.lookup(doc);
    expect(found).toMatchObject({ outcome: 'issued', uuid: '00-00000001' });
    expect(await t.lookup(doc)).toEqual(found);
    expect(await documents()).toHaveLength(1);
  });

  it('after a lost batch answer, lookups wait for the batch and then find each document once', async () => {
    const t = target();
    const docs = [outgoing(exampleInvoice()), outgoing(exampleInvoice()), outgoing(exampleInvoice())];
    await api('/_sandbox/faults', { body: { dropAfterAccept: 1 }, key: null });
    expect(kinds((await t.submit(batchOf(...docs))).results)).toEqual(['unknown_outcome', 'unknown_outcome', 'unknown_outcome']);
    await expect
      .poll(async () => {
        const outcomes = await Promise.all(docs.map((d) => t.lookup(d)));
        return outcomes.map((o) => o?.outcome);
      }, { timeout: 3000 })
      .toEqual(['issued', 'issued', 'issued']);
    const stored = await documents();
    expect(stored).toHaveLength(3);
    expect(new Set(stored.map((d) => d.metadata.puente_idempotency_key))).toEqual(new Set(docs.map((d) => d.idempotencyKey)));
  });

  it('annuls an invoice with cancel when the order is cancelled, and finds that again on lookup', async () => {
    const t = target();
    const invoiceDoc = outgoing(exampleInvoice());
    await t.submit(batchOf(invoiceDoc));
    const annulment = outgoing(
      exampleCreditNote({ control_number: '00-00000001', issue_date: (invoiceDoc.wire as TuimprentaInvoiceRequest).issued_at.slice(0, 10) }, { reason: { code: 'annulment', description: 'Pedido cancelado' } }),
      'credit_note',
      { code: 'annulment', description: 'Pedido cancelado' },
    );
    const [result] = (await t.submit(batchOf(annulment))).results;
    expect(result).toMatchObject({ outcome: 'issued', fiscalNumber: 'A-00000001/ANULADA', uuid: '00-00000001' });
    expect(await t.lookup(annulment)).toMatchObject({ outcome: 'issued', fiscalNumber: 'A-00000001/ANULADA' });
    expect((await t.submit(batchOf(annulment))).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'A-00000001/ANULADA' });
    const stored = await documents();
    expect(stored.map((d) => [d.document_type, d.status])).toEqual([['invoice', 'cancelled']]);
  });

  it('reports a processing document pending, then issued through status', async () => {
    const slow = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 6000, controlNumberDelayMs: 100, tickMs: 10 });
    try {
      const t = createTuimprentaTarget({ ...TUIMPRENTA_SANDBOX_TARGET_DEFAULTS, baseUrl: slow.url, requestsPerMinute: 6000 });
      targets.push(t);
      const doc = outgoing(exampleInvoice());
      const submission = await t.submit(batchOf(doc));
      expect(submission.results).toEqual([{ documentId: doc.documentId, outcome: 'pending' }]);
      await expect.poll(async () => (await t.status(submission.receipt!, batchOf(doc))).results[0]?.outcome, { timeout: 3000 }).toBe('issued');
    } finally {
      await slow.close();
    }
  });
});

describe('the client against the sandbox’s rate limit', () => {
  it('follows X-RateLimit-* across windows and never meets a 429 in steady traffic', async () => {
    // Five requests per one-second window: twelve calls need three windows.
    const sandbox = await startTuimprentaSandbox({ port: 0, requestsPerMinute: 5, rateLimitWindowMs: 1000 });
    const client = new TuimprentaClient({ baseUrl: sandbox.url, apiKey: TUIMPRENTA_SANDBOX_API_KEY, requestsPerMinute: 600, resetMarginMs: 50 });
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, () => client.ping()));
      expect(answers.every((a) => a.ok)).toBe(true);
      expect(client.pausedUntil).toBe(0);
    } finally {
      await client.close();
      await sandbox.close();
    }
  });
});
