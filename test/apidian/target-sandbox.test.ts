/**
 * The target against the APIDIAN sandbox on 127.0.0.1 (port 0): the whole batch flow, lost answers,
 * DIAN's rule 90, and the fork's error style — real HTTP, no mocks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { FiscalDocument } from '../../src/domain/fiscal-document.js';
import { createApidianTarget, type ApidianReceipt, type ApidianTarget } from '../../connectors/apidian/target.js';
import { nitCheckDigit } from '../../connectors/apidian/ids.js';
import { exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';
import { APIDIAN_SANDBOX_TARGET_DEFAULTS, startApidianSandbox, type RunningApidianSandbox } from '../../connectors/apidian/sandbox/index.js';

function outgoing(id: string, wire: ReturnType<typeof exampleInvoice>): OutgoingDocument {
  return {
    documentId: id,
    idempotencyKey: `idem-${id}`,
    kind: 'invoice',
    series: 'SETP',
    number: String(wire.number),
    wire,
    fiscal: {} as FiscalDocument,
  };
}

const batchOf = (id: string, ...documents: OutgoingDocument[]): OutgoingBatch => ({ batchId: id, kind: 'invoice', series: 'SETP', documents });

function targetFor(sandbox: RunningApidianSandbox, overrides: { token?: string; fetch?: typeof fetch } = {}): ApidianTarget {
  return createApidianTarget(
    {
      ...APIDIAN_SANDBOX_TARGET_DEFAULTS,
      resolutions: structuredClone(APIDIAN_SANDBOX_TARGET_DEFAULTS.resolutions) as never,
      baseUrl: `${sandbox.url}/api`,
      requestsPerMinute: 6000,
      ...(overrides.token ? { token: overrides.token } : {}),
    },
    { ...(overrides.fetch ? { fetch: overrides.fetch } : {}), client: { retry: { retries: 2, minTimeout: 1, maxTimeout: 5 } } },
  );
}

const targets: ApidianTarget[] = [];
const track = (t: ApidianTarget) => (targets.push(t), t);
afterEach(async () => {
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('APIDIAN target against the sandbox (Laravel error style)', () => {
  let sandbox: RunningApidianSandbox;
  beforeAll(async () => {
    sandbox = await startApidianSandbox({ port: 0, seed: true, requestsPerMinute: 6000, statusPendingPolls: 1 });
  });
  afterAll(() => sandbox.close());

  it('submits a batch, polls it to done, and looks documents up by their CUFE', async () => {
    const target = track(targetFor(sandbox));
    const good = outgoing('good', exampleInvoice(990000101));
    const wrongDv = (nitCheckDigit('900428042') + 1) % 10;
    const badDv = outgoing(
      'bad-dv',
      exampleInvoice(990000102, { customer: { identification_number: '900428042', dv: wrongDv, type_document_identification_id: 6, name: 'TAMPAC SAS' } }),
    );
    const badTotal = exampleInvoice(990000103);
    badTotal.legal_monetary_totals = { ...badTotal.legal_monetary_totals, payable_amount: '2400.00' };
    const wrongTotal = outgoing('wrong-total', badTotal);
    const batch = batchOf('conn-1/SETP/invoice/7', good, badDv, wrongTotal);

    const submission = await target.submit(batch);
    expect(submission.results.map((r) => [r.documentId, r.outcome])).toEqual([
      ['good', 'pending'],
      ['bad-dv', 'rejected'],
      ['wrong-total', 'pending'],
    ]);
    expect(submission.results[1]).toMatchObject({ field: 'customer.dv' });
    const receipt = submission.receipt as ApidianReceipt;
    // Our CUFE and the sandbox's agree, which is what makes lookup after a crash possible.
    expect(receipt.documents.good?.key).toBe(target.documentKey('invoice', good.wire));

    const first = await target.status(receipt, batch);
    expect(first.done).toBe(false);
    expect(first.results.every((r) => r.outcome === 'pending')).toBe(true);

    const second = await target.status(receipt, batch);
    expect(second.done).toBe(true);
    expect(second.results).toEqual([
      expect.objectContaining({ documentId: 'good', outcome: 'issued', fiscalNumber: 'SETP990000101', uuid: receipt.documents.good?.key }),
      expect.objectContaining({ documentId: 'wrong-total', outcome: 'rejected', reason: expect.stringMatching(/^Regla: FAU14, Rechazo:/) }),
    ]);

    expect(await target.lookup(good)).toMatchObject({ outcome: 'issued', fiscalNumber: 'SETP990000101' });
    expect(await target.lookup(badDv)).toBeNull();
  });
});

describe('APIDIAN target against the sandbox: lost answers and resends', () => {
  let sandbox: RunningApidianSandbox;
  beforeAll(async () => {
    sandbox = await startApidianSandbox({ port: 0, seed: true, requestsPerMinute: 6000 });
  });
  afterAll(() => sandbox.close());

  /** Arms the sandbox to drop its next accepted answer right before send-batch goes out. */
  const dropSendBatchAnswer: typeof fetch = async (input, init) => {
    if (String(input).includes('/send-batch/')) {
      await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropAfterAccept: 1 }) });
    }
    return fetch(input, init);
  };

  it('a lost send-batch answer is unknown_outcome; lookup finds the document issued; a resend resolves rule 90 to issued', async () => {
    const target = track(targetFor(sandbox, { fetch: dropSendBatchAnswer }));
    const doc = outgoing('lost', exampleInvoice(990000201));

    const submission = await target.submit(batchOf('b-lost', doc));
    expect(submission.results).toEqual([expect.objectContaining({ documentId: 'lost', outcome: 'failed', kind: 'unknown_outcome' })]);
    expect(submission.receipt).toBeUndefined();

    expect(await target.lookup(doc)).toMatchObject({ outcome: 'issued', fiscalNumber: 'SETP990000201' });

    // Had the dispatcher resent anyway, DIAN answers rule 90 and the target still reports issued.
    const plain = track(targetFor(sandbox));
    const resend = await plain.submit(batchOf('b-lost', doc));
    const status = await plain.status(resend.receipt as ApidianReceipt, batchOf('b-lost', doc));
    expect(status).toEqual({ done: true, results: [expect.objectContaining({ documentId: 'lost', outcome: 'issued' })] });
  });

  it('a dropped add-to-batch answer is retried transparently (re-adding replaces the zip entry)', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropAfterAccept: 1 }) });
    const target = track(targetFor(sandbox));
    const doc = outgoing('blip', exampleInvoice(990000202));
    const submission = await target.submit(batchOf('b-blip', doc));
    expect(submission.results).toEqual([expect.objectContaining({ documentId: 'blip', outcome: 'pending' })]);
    const status = await target.status(submission.receipt as ApidianReceipt, batchOf('b-blip', doc));
    expect(status.results).toEqual([expect.objectContaining({ outcome: 'issued', fiscalNumber: 'SETP990000202' })]);
  });

  it('a forced 429 fails the batch as rate_limited with the sandbox’s Retry-After', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ force429: 1, retryAfterSeconds: 7 }) });
    const target = track(targetFor(sandbox));
    const submission = await target.submit(batchOf('b-429', outgoing('x', exampleInvoice(990000203))));
    expect(submission.results).toEqual([expect.objectContaining({ outcome: 'failed', kind: 'rate_limited', retryAfterMs: 7_000 })]);
  });
});

describe('APIDIAN target against the sandbox (fork error style: everything is a 500)', () => {
  let sandbox: RunningApidianSandbox;
  beforeAll(async () => {
    sandbox = await startApidianSandbox({ port: 0, seed: true, requestsPerMinute: 6000, errorStyle: 'fork500' });
  });
  afterAll(() => sandbox.close());

  it('a validation failure is still a per-document rejection with its field', async () => {
    const target = track(targetFor(sandbox));
    const wire = exampleInvoice(990000301);
    const noName = { ...wire, customer: { identification_number: '900428042' } } as unknown as ReturnType<typeof exampleInvoice>;
    const submission = await target.submit(batchOf('b-fork', outgoing('no-name', noName), outgoing('ok', exampleInvoice(990000302))));
    expect(submission.results).toEqual([
      expect.objectContaining({ documentId: 'no-name', outcome: 'rejected', field: 'customer.name' }),
      expect.objectContaining({ documentId: 'ok', outcome: 'pending' }),
    ]);
  });

  it('a bad token is auth for every document', async () => {
    const target = track(targetFor(sandbox, { token: 'f'.repeat(64) }));
    const submission = await target.submit(batchOf('b-auth', outgoing('a', exampleInvoice(990000303)), outgoing('b', exampleInvoice(990000304))));
    expect(submission.results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['auth', 'auth']);
  });
});
