/**
 * The dispatcher against a scripted target: how ready documents are grouped and held for the
 * linger time, and what each per-document outcome does to the document and its batch. Documents are
 * made ready by the real pipeline from real Shopify bodies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND, demoOrder } from '../../connectors/shopify/samples/index.js';
import { parseShopifyJson } from '../../connectors/shopify/payload-json.js';
import type { BatchSubmission, OutgoingBatch } from '../../src/connector.js';
import { Dispatcher } from '../../src/pipeline/dispatcher.js';
import {
  connectionFor,
  cufeOf,
  issued,
  paidEvent,
  paidEventFor,
  pipeline,
  refundEvent,
  silentLog,
  type Pipeline,
} from './harness.js';

let p: Pipeline;
afterEach(async () => {
  await p?.close();
});

const OTHER_SHOP = 'otra-tienda.myshopify.com';

/** Receives demo orders n = from … from+count−1 and prepares them; returns their document ids. */
async function readyInvoices(count: number, options: { from?: number; source?: string } = {}): Promise<string[]> {
  const from = options.from ?? 0;
  const events = Array.from({ length: count }, (_, i) =>
    paidEventFor(parseShopifyJson(demoOrder(from + i).body) as Record<string, unknown>, options.source ? { source: options.source } : {}),
  );
  const before = new Set((await p.documents()).map((d) => d.id));
  await p.receive(...events);
  const made = (await p.documents()).filter((d) => !before.has(d.id));
  expect(made.map((d) => d.status)).toEqual(events.map(() => 'ready'));
  return made.map((d) => d.id);
}

async function oneReadyInvoice(): Promise<string> {
  const [id] = await readyInvoices(1);
  return id!;
}

function answer(make: (batch: OutgoingBatch) => BatchSubmission) {
  return make;
}

describe('batching', () => {
  it('groups ready documents by connection, kind and series', async () => {
    p = await pipeline({
      connections: (target) => [connectionFor(target), connectionFor(target, { id: 'other', shop: OTHER_SHOP })],
    });
    const shopInvoices = await readyInvoices(2);
    const otherInvoices = await readyInvoices(1, { from: 2, source: `shopify:${OTHER_SHOP}` });
    await p.dispatcher.dispatchReady();

    const sent = p.target.submitted();
    expect(sent).toHaveLength(2);
    const byIds = sent.map((b) => ({ kind: b.kind, series: b.series, ids: b.documents.map((d) => d.documentId).sort() }));
    expect(byIds).toEqual(
      expect.arrayContaining([
        { kind: 'invoice', series: 'SETP', ids: [...shopInvoices].sort() },
        { kind: 'invoice', series: 'SETP', ids: otherInvoices },
      ]),
    );
    const batches = await p.store.listBatches();
    expect(batches.map((b) => [b.connectionId, b.documentIds.length, b.status]).sort()).toEqual([
      ['other', 1, 'completed'],
      ['shop', 2, 'completed'],
    ]);

    // A credit note and an invoice ready at the same time go in separate batches (kind and series).
    await p.receive(refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    await p.dispatcher.dispatchReady(); // issues the sample order's invoice
    await p.events.processPending(); // the refund, now that its invoice exists
    await p.prepareAll();
    await readyInvoices(1, { from: 3 });
    const already = p.target.submitted().length;
    await p.dispatcher.dispatchReady();
    const latest = p.target.submitted().slice(already);
    expect(latest.map((b) => [b.kind, b.series, b.documents.length]).sort()).toEqual([
      ['credit_note', 'NC', 1],
      ['invoice', 'SETP', 1],
    ]);
  });

  it('holds a partial batch for lingerMs, then sends it', async () => {
    p = await pipeline();
    p.target.batchLimits = { maxDocuments: 3, maxBytes: 5_000_000, lingerMs: 1000 };
    const ids = await readyInvoices(2);
    const readyAt = p.clock.time;

    expect(await p.dispatcher.dispatchReady()).toBe(readyAt + 1000);
    p.clock.advance(999);
    expect(await p.dispatcher.dispatchReady()).toBe(readyAt + 1000);
    expect(p.target.calls).toEqual([]);

    p.clock.advance(1);
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted().map((b) => b.documents.map((d) => d.documentId).sort())).toEqual([[...ids].sort()]);
  });

  it('sends at once when maxDocuments are ready, without waiting for the linger time', async () => {
    p = await pipeline();
    p.target.batchLimits = { maxDocuments: 3, maxBytes: 5_000_000, lingerMs: 60_000 };
    const ids = await readyInvoices(3);
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted()).toHaveLength(1);
    expect(p.target.submitted()[0]!.documents.map((d) => d.documentId).sort()).toEqual([...ids].sort());
  });
});

describe('outcomes', () => {
  it('issued: the document is issued with the fiscal number, CUFE and links; the batch completes', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    await p.dispatcher.dispatchReady();

    const [batch] = p.target.submitted();
    const outgoing = batch!.documents[0]!;
    const before = await p.document(id);
    expect(outgoing).toMatchObject({ documentId: id, idempotencyKey: before.idempotencyKey, number: before.number, series: 'SETP' });
    expect(outgoing.wire).toEqual(before.wire);

    const document = await p.document(id);
    expect(document.status).toBe('issued');
    expect(document.result).toEqual({
      fiscalNumber: `SETP${before.number}`,
      uuid: cufeOf(`SETP${before.number}`),
      links: { pdf: `https://target.example/SETP${before.number}.pdf` },
      issuedAt: p.clock.now().toISOString(),
    });
    expect(document.attempts).toBe(1);
    expect(await p.store.getBatch(batch!.batchId)).toMatchObject({ status: 'completed', documentIds: [id] });
  });

  it('rejected: the document needs attention with the target\'s reason and field, and is not sent again', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(
      answer((batch) => ({
        results: [{ documentId: batch.documents[0]!.documentId, outcome: 'rejected', reason: 'FAK24: el DV del adquiriente no es válido', field: 'customer.dv' }],
      })),
    );
    await p.dispatcher.dispatchReady();
    const document = await p.document(id);
    expect(document.status).toBe('needs_attention');
    expect(document.attention).toEqual({ kind: 'rejected', reason: 'FAK24: el DV del adquiriente no es válido', path: 'customer.dv' });

    p.clock.advance(3_600_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted()).toHaveLength(1);
  });

  it('pending with a receipt: the batch awaits the result; polling applies it and completes the batch', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'pending' }], receipt: { zipKey: 'zip-1' } })));
    await p.dispatcher.dispatchReady();

    const [batch] = await p.store.listBatches();
    expect(batch).toMatchObject({ status: 'awaiting_result', receipt: { zipKey: 'zip-1' } });
    expect((await p.document(id)).status).toBe('in_flight');

    // Not asked before statusPollMs has passed.
    expect(await p.dispatcher.pollAwaiting()).toBe(p.clock.time + 5000);
    expect(p.target.trace()).toEqual([`submit:${id}`]);

    // The first answer says "not yet"; the second brings the verdict.
    p.target.statusScripts.push(() => ({ done: false, results: [] }));
    p.target.statusScripts.push((_receipt, outgoing) => ({ done: true, results: [issued(outgoing.documents[0]!)] }));
    p.clock.advance(5000);
    await p.dispatcher.pollAwaiting();
    expect((await p.store.getBatch(batch!.id))!.status).toBe('awaiting_result');
    expect((await p.document(id)).status).toBe('in_flight');
    p.clock.advance(5000);
    await p.dispatcher.pollAwaiting();

    const statusCalls = p.target.calls.filter((c) => c.call === 'status');
    expect(statusCalls).toHaveLength(2);
    expect(statusCalls[1]).toMatchObject({ receipt: { zipKey: 'zip-1' }, batch: { batchId: batch!.id } });
    expect((await p.document(id)).status).toBe('issued');
    expect((await p.store.getBatch(batch!.id))!.status).toBe('completed');
  });

  it('a batch with no verdict past the deadline releases its documents for a look-up, never a blind resend', async () => {
    p = await pipeline({ dispatcher: { verdictDeadlineMs: 60_000 } });
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'pending' }], receipt: { zipKey: 'lost' } })));
    await p.dispatcher.dispatchReady();
    const [batch] = await p.store.listBatches();

    p.clock.advance(60_001);
    await p.dispatcher.pollAwaiting();
    expect(p.target.calls.filter((c) => c.call === 'status')).toHaveLength(0);
    expect((await p.store.getBatch(batch!.id))!.status).toBe('failed');
    const released = await p.document(id);
    expect(released).toMatchObject({ status: 'ready', uncertain: true });

    // The next send first asks the target; it has the document, so nothing is sent again.
    p.target.lookupScripts.push((document) => issued(document));
    p.clock.advance(10 * 60_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    expect((await p.document(id)).status).toBe('issued');
  });

  it('failed retryable: back to ready, not before a backoff in the future, attempts counted', async () => {
    p = await pipeline({ dispatcher: { retryBaseMs: 1000 }, random: () => 0.5 });
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'retryable', reason: 'HTTP 502' }] })));
    const sentAt = p.clock.time;
    await p.dispatcher.dispatchReady();

    const document = await p.document(id);
    expect(document.status).toBe('ready');
    expect(document.attempts).toBe(1);
    expect(document.uncertain).toBeFalsy();
    expect(document.batchId).toBeUndefined();
    // base × 2^attempts = 2000 ms, half of it fixed and half jittered (random 0.5): 1500 ms.
    expect(Date.parse(document.notBefore!)).toBe(sentAt + 1500);

    expect(await p.dispatcher.dispatchReady()).toBe(sentAt + 1500);
    expect(p.target.submitted()).toHaveLength(1);
    p.clock.advance(1500);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `submit:${id}`]);
    expect(await p.document(id)).toMatchObject({ status: 'issued', attempts: 2 });
  });

  it('failed rate_limited with retryAfterMs: not before exactly now + retryAfterMs', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(
      answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'rate_limited', reason: 'HTTP 429', retryAfterMs: 7000 }] })),
    );
    await p.dispatcher.dispatchReady();
    const document = await p.document(id);
    expect(document.status).toBe('ready');
    expect(document.notBefore).toBe(new Date(p.clock.time + 7000).toISOString());
  });

  it('rate_limited pauses the whole connection until Retry-After, not only the document that hit it', async () => {
    p = await pipeline({ dispatcher: { retryBaseMs: 10 } });
    const first = await oneReadyInvoice();
    p.target.submitScripts.push(
      answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'rate_limited', reason: 'HTTP 429', retryAfterMs: 7000 }] })),
    );
    await p.dispatcher.dispatchReady();
    // Another document becomes ready (and due) while the account is limited: it must wait too.
    const [second] = await readyInvoices(1, { from: 50 });
    p.clock.advance(6000);
    expect(await p.dispatcher.dispatchReady()).toBe(p.clock.time + 1000);
    expect(p.target.submitted()).toHaveLength(1);
    p.clock.advance(1000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${first}`, `submit:${first},${second}`]);
  });

  it('failed unknown_outcome: uncertain; the next dispatch looks it up first and, found issued, does not resend', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(
      answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'unknown_outcome', reason: 'socket hang up' }] })),
    );
    await p.dispatcher.dispatchReady();
    const uncertain = await p.document(id);
    expect(uncertain).toMatchObject({ status: 'ready', uncertain: true });

    p.target.lookupScripts.push((document) => issued(document));
    p.clock.advance(60_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    expect(p.target.calls[1]).toMatchObject({ document: { documentId: id, idempotencyKey: uncertain.idempotencyKey, number: uncertain.number } });
    const document = await p.document(id);
    expect(document.status).toBe('issued');
    expect(document.uncertain).toBe(false);
    expect(document.result!.fiscalNumber).toBe(`SETP${uncertain.number}`);
  });

  it('a submit that throws makes the batch uncertain; the lookup finds nothing, so the document is sent again', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(() => {
      throw new Error('read ECONNRESET');
    });
    await p.dispatcher.dispatchReady();
    expect(await p.document(id)).toMatchObject({ status: 'ready', uncertain: true });

    p.target.lookupScripts.push(() => null);
    p.clock.advance(60_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`, `submit:${id}`]);
    expect(await p.document(id)).toMatchObject({ status: 'issued', uncertain: false, attempts: 2 });
  });

  it('failed auth: the document needs attention as an auth problem', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'auth', reason: 'HTTP 401' }] })));
    await p.dispatcher.dispatchReady();
    const document = await p.document(id);
    expect(document.status).toBe('needs_attention');
    expect(document.attention!.kind).toBe('auth');
    expect(document.attention!.reason).toContain('HTTP 401');
    p.clock.advance(3_600_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted()).toHaveLength(1);
  });
});

describe('recovery after a crash', () => {
  it('a batch left sending with documents in flight: documents become ready and uncertain, the batch failed, and they are looked up before any resend', async () => {
    p = await pipeline();
    const ids = await readyInvoices(2);
    // The process dies while the target call is under way: the call never returns.
    let reachedTarget!: () => void;
    const atTarget = new Promise<void>((resolve) => (reachedTarget = resolve));
    p.target.submitScripts.push(() => {
      reachedTarget();
      return new Promise<BatchSubmission>(() => undefined);
    });
    void p.dispatcher.dispatchReady();
    await atTarget;
    const [interrupted] = await p.store.listBatches();
    expect(interrupted!.status).toBe('sending');
    for (const id of ids) expect(await p.document(id)).toMatchObject({ status: 'in_flight', batchId: interrupted!.id });

    // The next start, on the same store.
    const restarted = new Dispatcher(p.store, p.connections, silentLog, { statusPollMs: 5000 }, p.clock.now, () => 0.5);
    await restarted.recoverInterrupted();
    expect(await p.store.getBatch(interrupted!.id)).toMatchObject({ status: 'failed' });
    for (const id of ids) {
      const document = await p.document(id);
      expect(document).toMatchObject({ status: 'ready', uncertain: true });
      expect(document.batchId).toBeUndefined();
    }

    // One reached the target before the crash, the other did not.
    p.target.lookupScripts.push((document) => (document.documentId === ids[0] ? issued(document) : null));
    p.target.lookupScripts.push((document) => (document.documentId === ids[0] ? issued(document) : null));
    await restarted.dispatchReady();
    const trace = p.target.trace().slice(1);
    expect(trace.slice(0, 2).sort()).toEqual(ids.map((id) => `lookup:${id}`).sort());
    expect(trace.slice(2)).toEqual([`submit:${ids[1]}`]);
    for (const id of ids) expect((await p.document(id)).status).toBe('issued');
  });
});

describe('no document is left in flight with nobody to ask about it', () => {
  it('pending without a receipt: the document is looked up later instead of staying in flight', async () => {
    p = await pipeline();
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'pending' }] })));
    await p.dispatcher.dispatchReady();
    expect(await p.document(id)).toMatchObject({ status: 'ready', uncertain: true });

    p.target.lookupScripts.push((document) => issued(document));
    p.clock.advance(60_000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    expect((await p.document(id)).status).toBe('issued');
  });

  it('a status that says done but leaves a document out: that document is looked up, not stranded', async () => {
    p = await pipeline();
    const [first, second] = await readyInvoices(2);
    p.target.submitScripts.push(answer((batch) => ({ results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'pending' as const })), receipt: { zipKey: 'z' } })));
    await p.dispatcher.dispatchReady();
    p.target.statusScripts.push((_receipt, outgoing) => ({
      done: true,
      results: [issued(outgoing.documents.find((d) => d.documentId === first)!)],
    }));
    p.clock.advance(5000);
    await p.dispatcher.pollAwaiting();
    expect((await p.document(first!)).status).toBe('issued');
    expect(await p.document(second!)).toMatchObject({ status: 'ready', uncertain: true });
    expect((await p.store.listBatches())[0]!.status).toBe('completed');
  });

  it('a submit that throws leaves its batch failed, with the reason', async () => {
    p = await pipeline();
    await oneReadyInvoice();
    p.target.submitScripts.push(() => {
      throw new Error('read ECONNRESET');
    });
    await p.dispatcher.dispatchReady();
    const [batch] = await p.store.listBatches();
    expect(batch!.status).toBe('failed');
    expect(batch!.error).toContain('ECONNRESET');
  });
});

describe('lookup answers other than found / not found', () => {
  async function uncertainInvoice(): Promise<string> {
    const id = await oneReadyInvoice();
    p.target.submitScripts.push(
      answer((batch) => ({ results: [{ documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'unknown_outcome', reason: 'timeout' }] })),
    );
    await p.dispatcher.dispatchReady();
    p.clock.advance(60_000);
    return id;
  }

  it('a lookup that itself failed does not count as "not there": no resend, still uncertain, asked again later', async () => {
    p = await pipeline();
    const id = await uncertainInvoice();
    p.target.lookupScripts.push((document) => ({ documentId: document.documentId, outcome: 'failed', kind: 'retryable', reason: 'HTTP 503' }));
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    const document = await p.document(id);
    expect(document).toMatchObject({ status: 'ready', uncertain: true });
    expect(Date.parse(document.notBefore!)).toBeGreaterThan(p.clock.time);
  });

  it('a lookup that throws: no resend, still uncertain', async () => {
    p = await pipeline();
    const id = await uncertainInvoice();
    p.target.lookupScripts.push(() => {
      throw new Error('getaddrinfo ENOTFOUND');
    });
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    expect(await p.document(id)).toMatchObject({ status: 'ready', uncertain: true });
  });

  it('a lookup that says the target is still deciding: no resend, and not asked again before statusPollMs', async () => {
    p = await pipeline();
    const id = await uncertainInvoice();
    p.target.lookupScripts.push((document) => ({ documentId: document.documentId, outcome: 'pending' }));
    await p.dispatcher.dispatchReady();
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`]);
    expect(await p.document(id)).toMatchObject({ status: 'ready', uncertain: true });

    p.target.lookupScripts.push((document) => issued(document));
    p.clock.advance(5000);
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`submit:${id}`, `lookup:${id}`, `lookup:${id}`]);
    expect((await p.document(id)).status).toBe('issued');
  });
});
