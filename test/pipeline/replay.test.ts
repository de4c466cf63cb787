/**
 * Replay on the real pipeline parts: a parked document goes back to pending keeping its id, legal key
 * and number, so however often it is replayed, one legal event gives one document with one number;
 * issued, queued and in-flight documents are refused.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND } from '../../connectors/shopify/samples/index.js';
import { compileMappingText } from '../../src/mapping/index.js';
import type { MappingCatalog } from '../../src/pipeline/mapping-port.js';
import { Preparer, seriesKey } from '../../src/pipeline/preparer.js';
import { ReplayNotFoundError, ReplayRefusedError, Replayer } from '../../src/pipeline/replay.js';
import { paidEvent, pipeline, refundEvent, shippedMappings, silentLog, type Pipeline } from './harness.js';

/** A stage-2 mapping an admin broke: it requires a field the FiscalDocument does not have. */
const BROKEN_WIRE = compileMappingText(
  [
    'apiVersion: puente.mapping/v1',
    'kind: DocumentMapping',
    'metadata: { id: apidian-invoice, revision: 2 }',
    'source: { system: fiscal-document }',
    'target: { system: apidian, document: invoice }',
    'fields:',
    '  number: { path: document.numero, required: true }',
    '',
  ].join('\n'),
  'mappings/apidian/invoice.yaml',
);

let p: Pipeline;
let wireBroken: boolean;
let preparer: Preparer;
let replayer: Replayer;
let pokes: number;

beforeEach(async () => {
  p = await pipeline();
  const shipped = await shippedMappings();
  wireBroken = true;
  const catalog: MappingCatalog = {
    forSource: (system, event, kind) => shipped.forSource(system, event, kind),
    forTarget: (system, kind) => (wireBroken && kind === 'invoice' ? BROKEN_WIRE : shipped.forTarget(system, kind)),
    byId: (id) => shipped.byId(id),
  };
  preparer = new Preparer(p.store, p.connections, () => catalog, silentLog, p.clock.now);
  pokes = 0;
  replayer = new Replayer(p.store, silentLog, () => pokes++);
});

afterEach(() => p.close());

async function prepareAll(): Promise<void> {
  for (const document of (await p.store.listDocuments({ status: 'pending', limit: 1000 })).reverse()) await preparer.prepare(document);
}

/** A paid order whose invoice gets its number, then fails stage 2 and is parked. */
async function parkedInvoice() {
  await p.inbox.accept([paidEvent(SAMPLE_PAID_ORDER)]);
  await p.events.processPending();
  await prepareAll();
  const [document] = await p.documents();
  expect(document).toMatchObject({ status: 'needs_attention', kind: 'invoice', number: '990000000' });
  expect(document!.attention).toMatchObject({ kind: 'mapping', path: 'number' });
  return document!;
}

const invoiceSeries = () => seriesKey(p.connections.get('shop')!, 'invoice', 'SETP');

describe('replaying a parked document', () => {
  it('replayed twice, it is still one document with one number, issued once', async () => {
    const parked = await parkedInvoice();

    // First replay: the mapping is still broken, so it parks again — with the same number.
    const first = await replayer.replayDocument(parked.id);
    expect(first).toMatchObject({ documentId: parked.id, status: 'pending', number: '990000000', attention: { kind: 'mapping' } });
    const requeued = await p.document(parked.id);
    expect(requeued).toMatchObject({ status: 'pending', number: '990000000', id: parked.id, idempotencyKey: parked.idempotencyKey });
    expect(requeued.attention).toBeUndefined();
    await prepareAll();
    expect(await p.document(parked.id)).toMatchObject({ status: 'needs_attention', number: '990000000' });

    // The admin fixes the mapping; the second replay goes through.
    wireBroken = false;
    await replayer.replayDocument(parked.id);
    await prepareAll();
    const ready = await p.document(parked.id);
    expect(ready).toMatchObject({ status: 'ready', number: '990000000', idempotencyKey: parked.idempotencyKey });
    expect(ready.fiscal?.number).toBe('990000000');
    expect(pokes).toBe(2);

    await p.dispatcher.dispatchReady();
    expect(await p.document(parked.id)).toMatchObject({ status: 'issued', result: { fiscalNumber: 'SETP990000000' } });
    expect(await p.documents()).toHaveLength(1);
    expect((await p.store.listAllocations(invoiceSeries())).map((a) => [a.number, a.documentId])).toEqual([[990000000, parked.id]]);
    expect(p.target.submitted().flatMap((b) => b.documents.map((d) => `${d.series}${d.number}`))).toEqual(['SETP990000000']);
  });

  it('refuses an issued document with 409 and says why', async () => {
    const parked = await parkedInvoice();
    wireBroken = false;
    await replayer.replayDocument(parked.id);
    await prepareAll();
    await p.dispatcher.dispatchReady();
    const error = await replayer.replayDocument(parked.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayRefusedError);
    expect((error as ReplayRefusedError).status).toBe(409);
    expect((error as Error).message).toMatch(/already issued as SETP990000000; replaying it could issue a second document for the same legal key/);
    expect(await p.document(parked.id)).toMatchObject({ status: 'issued' });
  });

  it('refuses documents that are queued or on their way, and unknown ids', async () => {
    const parked = await parkedInvoice();
    await replayer.replayDocument(parked.id);
    await expect(replayer.replayDocument(parked.id)).rejects.toThrow(/already queued \(pending\)/);
    wireBroken = false;
    await prepareAll();
    await expect(replayer.replayDocument(parked.id)).rejects.toThrow(/already queued \(ready\)/);
    await p.store.updateDocument(parked.id, { status: 'in_flight' });
    await expect(replayer.replayDocument(parked.id)).rejects.toThrow(/being sent to the invoicing API/);
    await expect(replayer.replayDocument('doc_nope')).rejects.toBeInstanceOf(ReplayNotFoundError);
    await expect(replayer.replayEvent('evt_nope')).rejects.toBeInstanceOf(ReplayNotFoundError);
  });

  it('keeps `uncertain`, so a document whose last send is unknown is looked up before it is sent again', async () => {
    const parked = await parkedInvoice();
    wireBroken = false;
    await p.store.updateDocument(parked.id, { uncertain: true, attention: { kind: 'auth', reason: 'credentials refused; update them, then replay' } });
    await replayer.replayDocument(parked.id);
    expect(await p.document(parked.id)).toMatchObject({ status: 'pending', uncertain: true });
    await prepareAll();
    // The target already has it: reconciled from the lookup, never submitted a second time.
    p.target.lookupScripts.push((document) => ({ documentId: document.documentId, outcome: 'issued', fiscalNumber: 'SETP990000000' }));
    await p.dispatcher.dispatchReady();
    expect(p.target.trace()).toEqual([`lookup:${parked.id}`]);
    expect(await p.document(parked.id)).toMatchObject({ status: 'issued', number: '990000000' });
  });
});

describe('replaying by reason and by event', () => {
  it('replays only the documents parked for the given reason', async () => {
    const parked = await parkedInvoice();
    expect(await replayer.replayParked({ kind: 'domain' })).toEqual([]);
    expect(pokes).toBe(0);
    const replayed = await replayer.replayParked({ kind: 'mapping' });
    expect(replayed.map((d) => d.documentId)).toEqual([parked.id]);
    expect(pokes).toBe(1);
    expect(await p.document(parked.id)).toMatchObject({ status: 'pending' });
  });

  it('an event replay re-runs its parked documents', async () => {
    const parked = await parkedInvoice();
    const replay = await replayer.replayEvent(parked.eventId);
    expect(replay).toMatchObject({ eventId: parked.eventId, event: { before: 'processed', after: 'processed' } });
    expect(replay.documents.map((d) => d.documentId)).toEqual([parked.id]);
    // Processing the event again finds the same legal key: still one document.
    await p.store.updateEvent(parked.eventId, { status: 'received' });
    await p.events.processPending();
    expect((await p.documents()).map((d) => d.id)).toEqual([parked.id]);
  });

  it('a waiting event is looked at again by the ledger; an event with nothing to replay is refused', async () => {
    // The refund arrives before its invoice exists: it waits.
    await p.inbox.accept([refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND)]);
    await p.events.processPending();
    const [refund] = await p.store.listEvents({ status: 'waiting' });
    expect(refund).toBeDefined();
    const replay = await replayer.replayEvent(refund!.id);
    expect(replay).toMatchObject({ event: { before: 'waiting', after: 'received' }, documents: [] });
    expect(await p.store.getEvent(refund!.id)).toMatchObject({ status: 'received' });

    // The invoice's event, once its document is issued, has nothing to replay.
    const parked = await parkedInvoice();
    wireBroken = false;
    await replayer.replayDocument(parked.id);
    await prepareAll();
    await p.dispatcher.dispatchReady();
    await expect(replayer.replayEvent(parked.eventId)).rejects.toThrow(new RegExp(`no document that needs attention \\(${parked.id} issued\\)`));
  });
});
