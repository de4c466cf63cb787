/**
 * Events that arrive after an order's invoice was voided: a refund makes a credit note that is parked
 * naming the voided invoice (not an event that waits for ever); a redelivered paid order makes nothing.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND } from '../../connectors/shopify/samples/index.js';
import type { OutgoingBatch } from '../../src/connector.js';
import { NumberClosures } from '../../src/pipeline/number-closures.js';
import { Voider } from '../../src/pipeline/void.js';
import { paidEvent, pipeline, refundEvent, silentLog, type Pipeline } from './harness.js';

let p: Pipeline;
beforeEach(async () => {
  p = await pipeline();
});
afterEach(() => p.close());

it('a refund after the invoice was voided ends needs_attention naming it; a redelivered paid order adds nothing', async () => {
  await p.receive(paidEvent(SAMPLE_PAID_ORDER));
  p.target.submitScripts.push((batch: OutgoingBatch) => ({ results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'rejected' as const, reason: 'rechazado' })) }));
  await p.dispatcher.dispatchReady();
  const [invoice] = await p.documents();
  await new Voider(p.store, new NumberClosures(p.store, p.connections, silentLog, p.clock.now), silentLog).voidDocument(invoice!.id, 'Facturado a mano');

  await p.receive(refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND), paidEvent(SAMPLE_PAID_ORDER));
  const events = await p.store.listEvents({ orderId: String(SAMPLE_PAID_ORDER.id), limit: 10 });
  expect(events.map((e) => e.status).sort()).toEqual(['ignored', 'processed', 'processed']);
  const notes = await p.store.listDocuments({ orderId: String(SAMPLE_PAID_ORDER.id), kind: 'credit_note' });
  expect(notes).toMatchObject([{ status: 'needs_attention', referenceDocumentId: invoice!.id, attention: { kind: 'voided_invoice' } }]);
  expect(await p.store.listDocuments({ orderId: String(SAMPLE_PAID_ORDER.id), kind: 'invoice' })).toHaveLength(1);
});
