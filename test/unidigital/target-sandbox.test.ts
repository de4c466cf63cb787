/**
 * The Unidigital target against the sandbox on 127.0.0.1 (port 0), real HTTP: documents mapped by the
 * shipped mappings, the whole batch flow, control numbers arriving later, gapless numbering, lost
 * answers, a batch a crash left open, and annulment.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createUnidigitalTarget, type UnidigitalReceipt, type UnidigitalTarget } from '../../connectors/unidigital/target.js';
import { systemReferenceFor } from '../../connectors/unidigital/reference.js';
import {
  UNIDIGITAL_SANDBOX_TARGET_DEFAULTS,
  startUnidigitalSandbox,
  type RunningUnidigitalSandbox,
} from '../../connectors/unidigital/sandbox/index.js';
import { batchOf, outgoing } from './helpers.js';

let sandbox: RunningUnidigitalSandbox;
const targets: UnidigitalTarget[] = [];

function targetFor(options: { fetch?: typeof fetch; tokenRenewAfterMs?: number } = {}): UnidigitalTarget {
  const target = createUnidigitalTarget(
    { ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS, series: { ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS.series }, baseUrl: sandbox.baseUrl },
    {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      client: { retry: { retries: 2, minTimeout: 1, maxTimeout: 5 }, busy: { retries: 3, minTimeout: 5, maxTimeout: 20 }, ...(options.tokenRenewAfterMs ? { tokenRenewAfterMs: options.tokenRenewAfterMs } : {}) },
    },
  );
  targets.push(target);
  return target;
}

async function sandboxDocuments(): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${sandbox.url}/_sandbox/documents`);
  return ((await response.json()) as { documents: Array<Record<string, unknown>> }).documents;
}

async function assignControlNumbers(): Promise<void> {
  await fetch(`${sandbox.url}/_sandbox/assign-control-numbers`, { method: 'POST' });
}

beforeAll(async () => {
  sandbox = await startUnidigitalSandbox({ port: 0 });
});
afterAll(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: 'POST' });
});
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('Unidigital target against the sandbox', () => {
  it('issues an invoice, a partial credit note and a debit note, each once, fiscal only with its control number', async () => {
    const target = targetFor();
    const series = target.numberingFor('invoice')!.series;
    const invoice1 = outgoing(target, 'invoice', 'inv-1', 1);
    const invoice2 = outgoing(target, 'invoice', 'inv-2', 2, { fixtureName: 'invoice-usd-igtf' });
    const invoices = batchOf('b-1', 'invoice', series, invoice1, invoice2);

    const submission = await target.submit(invoices);
    expect(submission.results.map((r) => [r.documentId, r.outcome])).toEqual([
      ['inv-1', 'pending'],
      ['inv-2', 'pending'],
    ]);
    const receipt = submission.receipt as UnidigitalReceipt;
    expect(receipt.documents['inv-1']).toMatchObject({ number: 1, systemReference: systemReferenceFor(invoice1.idempotencyKey) });

    // Approved, but the imprenta has not assigned control numbers yet: not fiscal.
    const early = await target.status(receipt, invoices);
    expect(early.done).toBe(false);
    expect(early.results.map((r) => r.outcome)).toEqual(['pending', 'pending']);

    await assignControlNumbers();
    const done = await target.status(receipt, invoices);
    expect(done.done).toBe(true);
    expect(done.results).toEqual([
      { documentId: 'inv-1', outcome: 'issued', fiscalNumber: 'FA-1', uuid: '00-00000001' },
      { documentId: 'inv-2', outcome: 'issued', fiscalNumber: 'FA-2', uuid: '00-00000002' },
    ]);

    const credit = outgoing(target, 'credit_note', 'nc-1', 1, { affects: 1 });
    const debit = outgoing(target, 'debit_note', 'nd-1', 1, { affects: 1 });
    const creditBatch = batchOf('b-2', 'credit_note', target.numberingFor('credit_note')!.series, credit);
    const debitBatch = batchOf('b-3', 'debit_note', target.numberingFor('debit_note')!.series, debit);
    const [creditSubmission, debitSubmission] = await Promise.all([target.submit(creditBatch), target.submit(debitBatch)]);
    expect(creditSubmission.results[0]?.outcome).toBe('pending');
    expect(debitSubmission.results[0]?.outcome).toBe('pending');
    await assignControlNumbers();
    expect((await target.status(creditSubmission.receipt!, creditBatch)).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'NC-1' });
    expect((await target.status(debitSubmission.receipt!, debitBatch)).results[0]).toMatchObject({ outcome: 'issued', fiscalNumber: 'ND-1' });

    const documents = await sandboxDocuments();
    expect(documents.map((d) => [d.codeName, d.number, d.status, d.total, d.grandTotal, d.affectedDocumentNumber])).toEqual([
      ['FA', 1, 'Assigned', '2091.44', 2091.44, null],
      ['FA', 2, 'Assigned', '218.99', 225.56, null], // USD, IGTF 3 % on the dollars paid
      ['NC', 1, 'Assigned', '438.48', 438.48, 1],
      ['ND', 1, 'Assigned', '174.00', 174, 1],
    ]);
    expect(documents[1]).toMatchObject({ grandTotalVES: '10337.89', currency: 'USD' });
  });

  it('continues numbering from the imprenta’s counters and refuses to leave a gap', async () => {
    const other = targetFor();
    // Another system issued FA 1 and 2 in the same series.
    const first = await other.submit(batchOf('x', 'invoice', 'A-FA', outgoing(other, 'invoice', 'erp-1', 1), outgoing(other, 'invoice', 'erp-2', 2)));
    expect(first.results.every((r) => r.outcome === 'pending')).toBe(true);

    const target = targetFor();
    expect(target.numberingFor('invoice')).toEqual({ series: 'A-FA', firstNumber: 1 });
    expect(await target.readCounters()).toEqual({ invoice: 2, credit_note: 0, debit_note: 0 });
    expect(target.numberingFor('invoice')).toEqual({ series: 'A-FA', firstNumber: 3 });

    // 4 before 3 would leave a gap: it waits, and nothing is sent.
    const early = await target.submit(batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-4', 4)));
    expect(early.results[0]).toMatchObject({ outcome: 'failed', kind: 'retryable' });
    expect((early.results[0] as { reason: string }).reason).toMatch(/waiting for FA Number 3/);

    // 2 is taken by another document: rejected with what to do.
    const taken = await target.submit(batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-dup', 2)));
    expect(taken.results[0]).toMatchObject({ outcome: 'rejected', field: 'Number' });
    expect((taken.results[0] as { reason: string }).reason).toMatch(/already used at Unidigital.*firstNumber above 2/);
    expect((await sandboxDocuments()).length).toBe(2);
  });

  it('a rejected document stops the numbers after it; the ones before it are issued', async () => {
    const target = targetFor();
    await target.submit(batchOf('b0', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-1', 1)));
    const good = outgoing(target, 'credit_note', 'nc-1', 1, { affects: 1 });
    const badReference = outgoing(target, 'credit_note', 'nc-2', 2, { affects: 99 }); // no FA 99 at the imprenta
    const after = outgoing(target, 'credit_note', 'nc-3', 3, { affects: 1 });
    const result = await target.submit(batchOf('b1', 'credit_note', 'A-NC', good, badReference, after));
    expect(result.results.map((r) => [r.documentId, r.outcome])).toEqual([
      ['nc-1', 'pending'],
      ['nc-2', 'rejected'],
      ['nc-3', 'failed'],
    ]);
    expect((result.results[1] as { reason: string }).reason).toMatch(/El documento afectado FA 99 no existe/);
    expect((result.results[2] as { reason: string }).reason).toMatch(/waiting for Number 2/);
    expect((await sandboxDocuments()).filter((d) => d.codeName === 'NC').map((d) => d.number)).toEqual([1]);
  });

  it('a lost documents/create answer is settled by reading the batch, not by sending again', async () => {
    let dropped = false;
    const lossy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!dropped && String(input).endsWith('/documents/create')) {
        dropped = true;
        throw new TypeError('fetch failed'); // the imprenta created them; the answer never arrived
      }
      return response;
    };
    const target = targetFor({ fetch: lossy });
    const batch = batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-1', 1), outgoing(target, 'invoice', 'inv-2', 2));
    const result = await target.submit(batch);
    expect(dropped).toBe(true);
    expect(result.results.map((r) => r.outcome)).toEqual(['pending', 'pending']);
    await assignControlNumbers();
    expect((await target.status(result.receipt!, batch)).results.map((r) => r.outcome)).toEqual(['issued', 'issued']);
    expect((await sandboxDocuments()).map((d) => d.number)).toEqual([1, 2]);
  });

  it('after a crash, lookup finds the document by SystemReference and finishes the batch left open', async () => {
    const crashed = targetFor();
    const document = outgoing(crashed, 'invoice', 'inv-1', 1);
    // The crashed run got as far as documents/create.
    const batchId = await crashed.client.openBatch(UNIDIGITAL_SANDBOX_TARGET_DEFAULTS.series.strongId);
    await crashed.client.createDocuments(batchId, [{ ...(document.wire as object), SystemReference: crashed.systemReferenceFor(document.idempotencyKey) }]);

    const restarted = targetFor();
    expect(await restarted.lookup(outgoing(restarted, 'invoice', 'never-sent', 5))).toBeNull();
    expect(await restarted.lookup(document)).toEqual({ documentId: 'inv-1', outcome: 'pending' });
    const batches = (await (await fetch(`${sandbox.url}/_sandbox/batches`)).json()) as { batches: Array<{ currentStatus: number }> };
    expect(batches.batches.map((b) => b.currentStatus)).toEqual([3]);
    await assignControlNumbers();
    expect(await restarted.lookup(document)).toEqual({ documentId: 'inv-1', outcome: 'issued', fiscalNumber: 'FA-1', uuid: '00-00000001' });
    // A resend after the lookup says "issued" never happens; if it did, the reference key refuses it.
    const again = await restarted.submit(batchOf('again', 'invoice', 'A-FA', document));
    expect(again.results[0]).toMatchObject({ outcome: 'issued', uuid: '00-00000001' });
    expect((await sandboxDocuments()).length).toBe(1);
  });

  it('adopts an empty batch a crash left open (BATCH_EXISTS), but leaves another system’s batch alone', async () => {
    const target = targetFor();
    const serie = UNIDIGITAL_SANDBOX_TARGET_DEFAULTS.series.strongId;
    await target.client.openBatch(serie); // opened, then the process died
    const result = await target.submit(batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-1', 1)));
    expect(result.results[0]?.outcome).toBe('pending');
    const batches = (await (await fetch(`${sandbox.url}/_sandbox/batches`)).json()) as { batches: Array<{ currentStatus: number }> };
    expect(batches.batches.map((b) => b.currentStatus)).toEqual([5, 3]); // the stale one cancelled, ours approved

    // Another system's open batch, holding its own document.
    const foreign = await target.client.openBatch(serie);
    const theirs = outgoing(target, 'invoice', 'erp-2', 2);
    await target.client.createDocuments(foreign, [{ ...(theirs.wire as object), SystemReference: 'ERP-000002' }]);
    const blocked = await target.submit(batchOf('b2', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-3', 3)));
    expect(blocked.results[0]).toMatchObject({ outcome: 'failed', kind: 'retryable' });
    expect((blocked.results[0] as { reason: string }).reason).toMatch(/open batch .*did not send/);
  });

  it('serializes requests of one series, so the imprenta’s 429 "still processing" never surfaces', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 60 }) });
    const target = targetFor();
    const [a, b] = await Promise.all([
      target.submit(batchOf('a', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-1', 1))),
      target.submit(batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-2', 2))),
    ]);
    expect([a.results[0]?.outcome, b.results[0]?.outcome]).toEqual(['pending', 'pending']);
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });

  it('logs in again when the token has expired and keeps going', async () => {
    let clock = Date.parse('2026-11-20T12:00:00Z');
    const timed = await startUnidigitalSandbox({ port: 0, now: () => new Date(clock) });
    try {
      // Our renewal is set beyond the token's life, so only the imprenta's 401 can tell it expired.
      const target = createUnidigitalTarget({ ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS, baseUrl: timed.baseUrl }, { client: { tokenRenewAfterMs: 24 * 3_600_000 } });
      targets.push(target);
      await target.readCounters();
      expect(target.client.logins).toBe(1);
      clock += 8 * 3_600_000 + 1;
      expect(await target.readCounters()).toEqual({ invoice: 0, credit_note: 0, debit_note: 0 });
      expect(target.client.logins).toBe(2);
    } finally {
      await timed.close();
    }
  });

  it('annuls an issued document by its control number', async () => {
    const target = targetFor();
    const document = outgoing(target, 'invoice', 'inv-1', 1);
    await target.submit(batchOf('b', 'invoice', 'A-FA', document));
    await assignControlNumbers();
    const issued = await target.lookup(document);
    expect(issued).toMatchObject({ outcome: 'issued', uuid: '00-00000001' });
    await target.annul((issued as { uuid: string }).uuid);
    expect(await target.lookup(document)).toMatchObject({ outcome: 'issued', uuid: '00-00000001', messages: ['annulled at Unidigital (documents/anulled)'] });
    expect((await sandboxDocuments())[0]).toMatchObject({ annulled: true, controlNumber: 1 });
  });
});

describe('registration as target type "unidigital"', () => {
  it('starts its sandbox and creates a target from a config block, which reads the counters at start', async () => {
    const { targetTypes } = await import('../../connectors/index.js');
    const running = await targetTypes.unidigital!.startSandbox({ port: 0 });
    try {
      expect(running.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/digitalinvoice-core$/);
      expect(running.notes.join('\n')).toContain('demo@puente.example');
      const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silent } as never;
      const target = targetTypes.unidigital!.create({ ...UNIDIGITAL_SANDBOX_TARGET_DEFAULTS, baseUrl: running.baseUrl, numbering: { invoice: { firstNumber: 1 } } }, { logger: silent }) as UnidigitalTarget;
      targets.push(target);
      expect(target.name).toBe('unidigital');
      const result = await target.submit(batchOf('b', 'invoice', 'A-FA', outgoing(target, 'invoice', 'inv-1', 1)));
      expect(result.results[0]?.outcome).toBe('pending');
      const documents = (await (await fetch(`${running.origin}/_sandbox/documents`)).json()) as { documents: unknown[] };
      expect(documents.documents).toHaveLength(1);
    } finally {
      await running.close();
    }
  });
});
