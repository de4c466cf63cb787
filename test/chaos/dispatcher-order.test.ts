/**
 * What the chaos run taught the dispatcher: documents of a client-numbered series go out in number
 * order (never past one that is backing off), documents that failed together back off together, and
 * one connection's slow API does not hold up another's documents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { demoOrder } from '../../connectors/shopify/samples/index.js';
import { parseShopifyJson } from '../../connectors/shopify/payload-json.js';
import type { BatchSubmission, OutgoingBatch } from '../../src/connector.js';
import { ScriptedTarget, connectionFor, paidEventFor, pipeline, type Pipeline } from '../pipeline/harness.js';

let p: Pipeline;
afterEach(async () => {
  await p?.close();
});

async function readyInvoices(count: number, source?: string): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => paidEventFor(parseShopifyJson(demoOrder(i).body) as Record<string, unknown>, source ? { source } : {}));
  const before = new Set((await p.documents()).map((d) => d.id));
  await p.receive(...events);
  const made = (await p.documents()).filter((d) => !before.has(d.id));
  expect(made.map((d) => d.status)).toEqual(events.map(() => 'ready'));
  return made.sort((a, b) => Number(a.number) - Number(b.number)).map((d) => d.id);
}

const failAll = (batch: OutgoingBatch): BatchSubmission => ({
  results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'failed', kind: 'retryable', reason: 'HTTP 500' })),
});

describe('number order and shared backoff', () => {
  it('documents that failed in one batch come due at the same instant, whatever their own attempt counts', async () => {
    p = await pipeline({ random: () => 0.5 });
    const ids = await readyInvoices(3);
    // The first document has failed before on its own: a higher attempt count.
    await p.store.updateDocument(ids[0]!, { attempts: 4 });
    p.target.submitScripts.push(failAll);
    await p.dispatcher.dispatchReady();
    const notBefore = await Promise.all(ids.map(async (id) => (await p.document(id)).notBefore));
    expect(new Set(notBefore).size).toBe(1);
    expect(Date.parse(notBefore[0]!)).toBeGreaterThan(p.clock.time);
  });

  it('a document the target did not even try (it waited behind a failed number) keeps its attempt count and adds no backoff of its own', async () => {
    p = await pipeline({ random: () => 0.5 });
    const ids = await readyInvoices(2);
    // The second has waited behind others many times before, but was never tried by the target.
    await p.store.updateDocument(ids[1]!, { attempts: 9 });
    p.target.submitScripts.push((batch) => ({
      results: [
        { documentId: batch.documents[0]!.documentId, outcome: 'failed', kind: 'retryable', reason: 'HTTP 500' },
        { documentId: batch.documents[1]!.documentId, outcome: 'failed', kind: 'retryable', reason: 'waiting for the number before it', notSent: true },
      ],
    }));
    await p.dispatcher.dispatchReady();
    const [first, second] = await Promise.all(ids.map((id) => p.document(id)));
    expect([first!.attempts, second!.attempts]).toEqual([1, 9]);
    // The backoff is the first document's (one attempt: 2^1 × 1 s, at the jitter's midpoint 1.5 s),
    // not one stretched by the second's nine waits.
    expect(Date.parse(second!.notBefore!) - p.clock.time).toBe(1500);
    expect(second!.notBefore).toBe(first!.notBefore);
  });

  it('where the API takes numbers only in order, nothing numbered after a document that is backing off goes out before it; then all go, in number order', async () => {
    p = await pipeline();
    p.target.sendsInNumberOrder = true;
    const ids = await readyInvoices(3);
    await p.store.updateDocument(ids[0]!, { notBefore: new Date(p.clock.time + 10_000).toISOString() });
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted()).toEqual([]);
    p.clock.advance(10_001);
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted().map((b) => b.documents.map((d) => d.documentId))).toEqual([ids]);
    expect((await p.documents()).every((d) => d.status === 'issued')).toBe(true);
  });

  it('where the API takes any number in any order (DIAN, SIFEN), one document backing off holds up nothing', async () => {
    p = await pipeline();
    const ids = await readyInvoices(3);
    await p.store.updateDocument(ids[0]!, { notBefore: new Date(p.clock.time + 10_000).toISOString() });
    await p.dispatcher.dispatchReady();
    expect(p.target.submitted().map((b) => b.documents.map((d) => d.documentId))).toEqual([ids.slice(1)]);
    expect((await p.document(ids[0]!)).status).toBe('ready');
  });

  it('a document failing alone (its lookup failed) backs off a little longer as its attempts grow, never past the series cap', async () => {
    p = await pipeline({ random: () => 0.5 });
    const [id] = await readyInvoices(1);
    for (const [attempts, expectedMs] of [
      [1, 1_500],
      [3, 3_000],
      [7, 6_000],
      [40, 24_000],
    ] as const) {
      await p.store.updateDocument(id!, { status: 'ready', uncertain: true, attempts, notBefore: undefined });
      p.target.lookupScripts.push(() => Promise.reject(new Error('status/document: HTTP 500')));
      await p.dispatcher.dispatchReady();
      expect(Date.parse((await p.document(id!)).notBefore!) - p.clock.time).toBe(expectedMs);
    }
    expect(p.target.submitted()).toEqual([]);
  });

  it('a connection whose API has not answered yet does not hold up another connection', async () => {
    const slow = new ScriptedTarget();
    let release!: () => void;
    const answered = new Promise<void>((resolve) => (release = resolve));
    slow.submitScripts.push(async (batch) => {
      await answered;
      return { results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'issued', fiscalNumber: `S${d.number}` })) };
    });
    p = await pipeline({
      connections: (fast) => [connectionFor(fast), connectionFor(slow, { id: 'slow', shop: 'lenta.myshopify.com' })],
    });
    await readyInvoices(1, 'shopify:lenta.myshopify.com');
    const [fastId] = await readyInvoices(1);
    const pass = p.dispatcher.dispatchReady();
    // The fast connection's document is issued while the slow API still holds its request.
    for (let i = 0; i < 50 && (await p.document(fastId!)).status !== 'issued'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await p.document(fastId!)).status).toBe('issued');
    release();
    await pass;
  });
});
