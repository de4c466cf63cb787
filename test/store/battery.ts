/**
 * The Store conformance battery. Every Store implementation runs it from its own test file:
 *
 *   storeConformanceBattery('LowdbStore', async () => ({ store, reopen, cleanup }));
 *
 * Factory contract (see StoreUnderTest): `store` is already open over fresh, empty data; `reopen()`
 * returns a NEW, opened instance over the same data (the battery closes the previous instance first,
 * as a restarted process would); `cleanup()` closes whatever is still open — closing twice must be
 * harmless — and deletes the data. A PostgreSQL store would create a schema in the factory, connect a
 * new pool in `reopen`, and drop the schema in `cleanup`.
 *
 * A store that moves finished records out of its working set (the lowdb store's archive) also gives
 * `archiveFinished()`; the archive tests then check that archived records are still found by id, key and
 * order, that updates bring them back, and that dedupe holds. A store without an archive leaves it out,
 * and the same tests check the same lookups on its one set of records.
 *
 * Nothing here depends on timing, on an injected clock, or on how an implementation writes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DocumentStatusChangedError,
  RecordNotFoundError,
  type BatchRecord,
  type DocumentRecord,
  type EventRecord,
  type NewBatch,
  type NewDocument,
  type NewEvent,
  type Store,
} from '../../src/store/store.js';

export interface StoreUnderTest {
  /** Open, over fresh and empty data. */
  store: Store;
  /** A new, opened instance over the same data; the battery closes the previous one first. */
  reopen: () => Promise<Store>;
  /** Closes every instance still open (closing twice is harmless) and deletes the data. */
  cleanup: () => Promise<void>;
  /**
   * Moves every finished record of the current instance to the archive now, as if its retention had
   * passed (the redelivery window of dedupe keys has not). Only for stores that have an archive.
   */
  archiveFinished?: () => Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

const SOURCE = 'shopify:acme.myshopify.com';
let sequence = 0;

/** Each call gives a distinct delivery whose receivedAt is later than the previous one's. */
export function sampleEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  sequence += 1;
  return {
    dedupeKey: `${SOURCE}:delivery-${sequence}`,
    source: SOURCE,
    connectionId: 'conn_co',
    kind: 'order.paid',
    topic: 'orders/paid',
    orderId: String(5_900_000_000_000_000n + BigInt(sequence)),
    receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, sequence)).toISOString(),
    payload: { id: 5_900_000_000_000, total_price: '119000.00', customer: { first_name: 'María', last_name: 'Pérez' } },
    ...overrides,
  };
}

export function sampleDocument(overrides: Partial<NewDocument> = {}): NewDocument {
  sequence += 1;
  const orderId = String(5_900_000_000_000_000n + BigInt(sequence));
  return {
    idempotencyKey: `${SOURCE}:order:${orderId}:invoice`,
    connectionId: 'conn_co',
    target: 'apidian:900123456',
    kind: 'invoice',
    source: SOURCE,
    orderId,
    eventId: `evt_for_${sequence}`,
    series: 'SETP',
    ...overrides,
  };
}

export function sampleBatch(overrides: Partial<NewBatch> = {}): NewBatch {
  return {
    connectionId: 'conn_co',
    target: 'apidian:900123456',
    kind: 'invoice',
    series: 'SETP',
    documentIds: [],
    ...overrides,
  };
}

/**
 * An order taken all the way: its event processed, its invoice numbered and issued in a completed batch.
 * Everything it creates is finished, so it may be archived.
 */
export async function issueOrder(
  store: Store,
  seriesKey: string,
  overrides: { orderId?: string; kind?: DocumentRecord['kind']; subjectId?: string; referenceDocumentId?: string } = {},
): Promise<{ event: EventRecord; document: DocumentRecord; batch: BatchRecord; number: number }> {
  const base = sampleEvent();
  const orderId = overrides.orderId ?? base.orderId;
  const kind = overrides.kind ?? 'invoice';
  const { event } = await store.recordEvent({ ...base, orderId, receivedAt: new Date().toISOString() });
  const { document: created } = await store.createDocument(
    sampleDocument({
      orderId,
      kind,
      eventId: event.id,
      idempotencyKey: `${SOURCE}:order:${orderId}:${kind}${overrides.subjectId ? `:${overrides.subjectId}` : ''}`,
      ...(overrides.subjectId ? { subjectId: overrides.subjectId } : {}),
      ...(overrides.referenceDocumentId ? { referenceDocumentId: overrides.referenceDocumentId } : {}),
    }),
  );
  const number = await store.allocateNumber(seriesKey, created.id, 1);
  const batch = await store.createBatch(sampleBatch({ documentIds: [created.id], kind }));
  await store.updateBatch(batch.id, { status: 'completed' });
  const document = await store.updateDocument(created.id, {
    status: 'issued',
    batchId: batch.id,
    result: { fiscalNumber: `SETP${number}`, issuedAt: new Date().toISOString() },
  });
  const processed = await store.updateEvent(event.id, { status: 'processed', documentIds: [created.id] });
  return { event: processed, document, batch: (await store.getBatch(batch.id))!, number };
}

export function storeConformanceBattery(name: string, makeStore: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    /** Closes the current instance and continues on a fresh one over the same data. */
    async function restart(): Promise<Store> {
      await store.close();
      store = await subject.reopen();
      return store;
    }

    describe('inbox', () => {
      it('records a new event with its defaults', async () => {
        const input = sampleEvent();
        const { event, duplicate } = await store.recordEvent(input);
        expect(duplicate).toBe(false);
        expect(event).toMatchObject({ ...input, status: 'received', documentIds: [], deliveries: 1 });
        expect(event.id).toEqual(expect.any(String));
        expect(Number.isNaN(Date.parse(event.updatedAt))).toBe(false);
        expect(await store.getEvent(event.id)).toEqual(event);
      });

      it('keeps a status given at recording', async () => {
        const { event } = await store.recordEvent(sampleEvent({ status: 'ignored' }));
        expect(event.status).toBe('ignored');
      });

      it('treats a second delivery with the same dedupeKey as a duplicate that only bumps deliveries', async () => {
        const first = sampleEvent();
        const { event: original } = await store.recordEvent(first);
        const again = await store.recordEvent({ ...first, payload: { changed: true }, topic: 'orders/updated' });
        expect(again.duplicate).toBe(true);
        expect(again.event.id).toBe(original.id);
        expect(again.event.deliveries).toBe(2);
        expect(again.event.payload).toEqual(first.payload);
        expect(again.event.topic).toBe('orders/paid');
        expect(await store.listEvents()).toHaveLength(1);
      });

      it('gives 20 concurrent identical deliveries exactly one event with deliveries 20', async () => {
        const delivery = sampleEvent();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.recordEvent({ ...delivery })));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.event.id)).size).toBe(1);
        const stored = await store.listEvents();
        expect(stored).toHaveLength(1);
        expect(stored[0]!.deliveries).toBe(20);
      });

      it('returns undefined for an unknown event id', async () => {
        expect(await store.getEvent('evt_unknown')).toBeUndefined();
      });

      it('patches an event shallowly and sets updatedAt', async () => {
        const { event } = await store.recordEvent(sampleEvent());
        const updated = await store.updateEvent(event.id, {
          status: 'needs_attention',
          attention: { kind: 'mapping', reason: 'The tax code is missing.', path: 'lines[0].taxes[0].code' },
          documentIds: ['doc_1'],
        });
        expect(updated).toMatchObject({
          id: event.id,
          dedupeKey: event.dedupeKey,
          payload: event.payload,
          deliveries: 1,
          status: 'needs_attention',
          documentIds: ['doc_1'],
          attention: { kind: 'mapping', path: 'lines[0].taxes[0].code' },
        });
        expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(event.updatedAt));
        expect(await store.getEvent(event.id)).toEqual(updated);
      });

      it('clears a field patched to undefined', async () => {
        const { event } = await store.recordEvent(sampleEvent());
        await store.updateEvent(event.id, { attention: { kind: 'mapping', reason: 'x' } });
        const cleared = await store.updateEvent(event.id, { attention: undefined, status: 'processed' });
        expect(cleared.attention).toBeUndefined();
        expect(await store.getEvent(event.id)).not.toHaveProperty('attention');
      });

      it('rejects an update of an unknown event with RecordNotFoundError', async () => {
        const error = await store.updateEvent('evt_missing', { status: 'processed' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RecordNotFoundError);
        expect(error).toMatchObject({ collection: 'event', id: 'evt_missing' });
      });

      it('answers the id, the status and whether it was a duplicate beside the copy of the event', async () => {
        const input = sampleEvent();
        const first = await store.recordEvent(input);
        expect(first).toMatchObject({ id: first.event.id, status: 'received', duplicate: false });
        const again = await store.recordEvent({ ...input, status: 'unroutable' });
        expect(again).toMatchObject({ id: first.id, status: 'received', duplicate: true });
        expect(again.event.deliveries).toBe(2);
        const unroutable = await store.recordEvent(sampleEvent({ status: 'unroutable' }));
        expect([unroutable.status, unroutable.event.status]).toEqual(['unroutable', 'unroutable']);
      });

      it('an event handed over is stored as it is, and reads back the same after a restart', async () => {
        const payload = { id: '5678901234567890123', line_items: [{ id: '1', price: '10.00', quantity: 2, taxable: true, tax_lines: [] }], note: null };
        const { id } = await store.recordEvent(sampleEvent({ payload }), { handOver: true });
        const stored = await store.getEvent(id);
        expect(stored!.payload).toEqual(payload);
        // What is read is a copy, never the object handed over.
        expect(stored!.payload).not.toBe(payload);
        expect((await restart().then((s) => s.getEvent(id)))!.payload).toEqual(payload);
      });

      it('an event whose payload is given as JSON text stores that text\'s value, reads back the same after a restart, whatever the layout of that text', async () => {
        const texts = ['{"id":"5678901234567890123","line_items":[{"id":"1","price":"10.00"}],"note":null}', '{\n  "id": "7",\r\n  "tags": ["a", "b"]\n}'];
        for (const payloadText of texts) {
          // The text is the payload: `payload` itself is not read.
          const input = sampleEvent({ payload: undefined });
          const { id } = await store.recordEvent(input, { handOver: payloadText === texts[0], payloadText });
          const expected = JSON.parse(payloadText) as unknown;
          expect((await store.getEvent(id))!.payload).toStrictEqual(expected);
          expect((await store.listEvents({ orderId: input.orderId })).find((e) => e.id === id)!.payload).toStrictEqual(expected);
          const again = await store.recordEvent({ ...input, payload: { other: true } });
          expect([again.duplicate, again.event.payload]).toStrictEqual([true, expected]);
          const updated = await store.updateEvent(id, { status: 'processed' });
          expect(updated.payload).toStrictEqual(expected);
          // Whatever is read is the reader's own copy.
          (updated.payload as Record<string, unknown>).id = 'changed';
          expect((await store.getEvent(id))!.payload).toStrictEqual(expected);
          await restart();
          expect(await store.getEvent(id)).toMatchObject({ status: 'processed', deliveries: 2, payload: expected });
        }
      });

      it('an event handed over that is not plain JSON data is stored as its JSON text says, as without handing over', async () => {
        const at = new Date('2026-03-01T12:00:00.000Z');
        // Each payload is wrong in one way only, so each is caught on its own.
        const cases: [unknown, unknown][] = [
          [{ at, dropped: undefined, list: [1, 2] }, { at: '2026-03-01T12:00:00.000Z', list: [1, 2] }],
          [{ weight: Infinity }, { weight: null }],
          [{ delta: -0 }, { delta: 0 }],
        ];
        for (const [payload, expected] of cases) {
          const { id } = await store.recordEvent(sampleEvent({ payload }), { handOver: true });
          const before = (await store.getEvent(id))!.payload;
          const after = (await restart().then((s) => s.getEvent(id)))!.payload;
          expect([before, after]).toStrictEqual([expected, expected]);
          // The matcher takes -0 for 0; JSON writes 0, so 0 is what must be read, before and after.
          if ('delta' in (expected as object)) expect([before, after].map((p) => Object.is((p as { delta: number }).delta, 0))).toEqual([true, true]);
        }
      });

      it('hands out copies: mutating inputs or results does not change the store', async () => {
        const input = sampleEvent({ payload: { note: 'original' } });
        const { event } = await store.recordEvent(input);
        (input.payload as { note: string }).note = 'mutated input';
        event.status = 'processed';
        event.documentIds.push('doc_x');
        const fetched = await store.getEvent(event.id);
        expect(fetched!.payload).toEqual({ note: 'original' });
        expect(fetched!.status).toBe('received');
        expect(fetched!.documentIds).toEqual([]);
        const listed = await store.listEvents();
        listed[0]!.status = 'ignored';
        expect((await store.getEvent(event.id))!.status).toBe('received');
      });

      it('filters events by status, source and orderId, newest first by receivedAt', async () => {
        const older = sampleEvent({ orderId: '1001' });
        const other = sampleEvent({ source: 'woocommerce:shop.example', dedupeKey: 'woocommerce:shop.example:9' });
        const newer = sampleEvent({ orderId: '1001' });
        // Recorded out of order: the list must order by receivedAt, not by insertion.
        const { event: newerRecord } = await store.recordEvent(newer);
        const { event: olderRecord } = await store.recordEvent(older);
        const { event: otherRecord } = await store.recordEvent(other);
        await store.updateEvent(olderRecord.id, { status: 'processed' });

        expect((await store.listEvents()).map((e) => e.id)).toEqual([newerRecord.id, otherRecord.id, olderRecord.id]);
        expect((await store.listEvents({ source: SOURCE })).map((e) => e.id)).toEqual([newerRecord.id, olderRecord.id]);
        expect((await store.listEvents({ orderId: '1001' })).map((e) => e.id)).toEqual([newerRecord.id, olderRecord.id]);
        expect((await store.listEvents({ status: 'processed' })).map((e) => e.id)).toEqual([olderRecord.id]);
        expect(await store.listEvents({ status: 'processed', source: 'woocommerce:shop.example' })).toEqual([]);
        expect((await store.listEvents({ orderId: '1001', status: 'received' })).map((e) => e.id)).toEqual([newerRecord.id]);
      });

      it('pages with limit: default 100, at most 1000, newest first', async () => {
        const inputs = Array.from({ length: 1001 }, () => sampleEvent());
        await Promise.all(inputs.map((e) => store.recordEvent(e)));
        expect(await store.listEvents()).toHaveLength(100);
        expect(await store.listEvents({ limit: 5000 })).toHaveLength(1000);
        const newest = await store.listEvents({ limit: 3 });
        expect(newest.map((e) => e.dedupeKey)).toEqual(inputs.slice(-3).reverse().map((e) => e.dedupeKey));
      });

      it('pages oldest first when asked, so a work queue reaches what waited longest however much came after', async () => {
        const inputs = Array.from({ length: 1005 }, () => sampleEvent());
        for (const input of inputs) await store.recordEvent(input);
        const oldest = await store.listEvents({ order: 'oldest', limit: 1000 });
        expect(oldest).toHaveLength(1000);
        expect(oldest.slice(0, 3).map((e) => e.dedupeKey)).toEqual(inputs.slice(0, 3).map((e) => e.dedupeKey));
        expect(oldest.at(-1)!.dedupeKey).toBe(inputs[999]!.dedupeKey);
        expect((await store.listEvents({ order: 'newest', limit: 1 }))[0]!.dedupeKey).toBe(inputs.at(-1)!.dedupeKey);
        await expect(store.listEvents({ order: 'sideways' as never })).rejects.toThrow(/order/);
      });

      it('rejects a limit that is not a positive integer', async () => {
        await expect(store.listEvents({ limit: 0 })).rejects.toThrow(/limit/);
        await expect(store.listDocuments({ limit: -5 })).rejects.toThrow(/limit/);
        await expect(store.listBatches({ limit: 2.5 })).rejects.toThrow(/limit/);
      });
    });

    describe('documents', () => {
      it('applies a conditional update only while the document has the status the caller saw, changing nothing otherwise', async () => {
        const { document } = await store.createDocument(sampleDocument());
        await store.updateDocument(document.id, { status: 'needs_attention', attention: { kind: 'mapping', reason: 'no tax code' } });
        // Someone else acts first.
        await store.updateDocument(document.id, { status: 'pending', attention: undefined }, { ifStatus: 'needs_attention' });
        const late = store.updateDocument(document.id, { status: 'skipped', attention: { kind: 'voided', reason: 'late' } }, { ifStatus: 'needs_attention' });
        await expect(late).rejects.toBeInstanceOf(DocumentStatusChangedError);
        await expect(late).rejects.toMatchObject({ id: document.id, expected: 'needs_attention', actual: 'pending' });
        expect(await store.getDocument(document.id)).toMatchObject({ status: 'pending' });
        expect((await restart().then((s) => s.getDocument(document.id)))!.attention).toBeUndefined();
      });

      it('creates a document with its defaults', async () => {
        const input = sampleDocument();
        const { document, duplicate } = await store.createDocument(input);
        expect(duplicate).toBe(false);
        expect(document).toMatchObject({ ...input, status: 'pending', attempts: 0 });
        expect(document.number).toBeUndefined();
        expect(Number.isNaN(Date.parse(document.createdAt))).toBe(false);
        expect(await store.getDocument(document.id)).toEqual(document);
        expect(await store.findDocumentByKey(input.idempotencyKey)).toEqual(document);
      });

      it('returns the existing document for a known idempotencyKey, unchanged', async () => {
        const input = sampleDocument();
        const { document } = await store.createDocument(input);
        const again = await store.createDocument({ ...input, series: 'OTHER', status: 'ready' });
        expect(again.duplicate).toBe(true);
        expect(again.document).toEqual(document);
        expect(await store.listDocuments()).toHaveLength(1);
      });

      it('creates one document under 20 concurrent creations with the same key', async () => {
        const input = sampleDocument();
        const results = await Promise.all(Array.from({ length: 20 }, () => store.createDocument({ ...input })));
        expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(results.map((r) => r.document.id)).size).toBe(1);
        expect(await store.listDocuments()).toHaveLength(1);
      });

      it('returns undefined for unknown ids and keys', async () => {
        expect(await store.getDocument('doc_unknown')).toBeUndefined();
        expect(await store.findDocumentByKey('shopify:nowhere:order:1:invoice')).toBeUndefined();
      });

      it('patches a document shallowly and sets updatedAt', async () => {
        const { document } = await store.createDocument(sampleDocument());
        const updated = await store.updateDocument(document.id, {
          status: 'issued',
          attempts: 2,
          result: { fiscalNumber: 'SETP990000001', uuid: 'cufe-123', issuedAt: '2026-01-01T00:00:05.000Z' },
        });
        expect(updated).toMatchObject({
          id: document.id,
          idempotencyKey: document.idempotencyKey,
          orderId: document.orderId,
          status: 'issued',
          attempts: 2,
          result: { fiscalNumber: 'SETP990000001' },
        });
        expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(document.updatedAt));
        expect(await store.getDocument(document.id)).toEqual(updated);
        const copy = await store.getDocument(document.id);
        copy!.status = 'skipped';
        expect((await store.getDocument(document.id))!.status).toBe('issued');
      });

      it('rejects an update of an unknown document with RecordNotFoundError', async () => {
        const error = await store.updateDocument('doc_missing', { status: 'ready' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RecordNotFoundError);
        expect(error).toMatchObject({ collection: 'document', id: 'doc_missing' });
      });

      it('refuses to change a number through updateDocument', async () => {
        const { document } = await store.createDocument(sampleDocument());
        await store.allocateNumber('apidian:900123456:SETP', document.id, 1);
        const sneaky = { number: '999' } as Partial<DocumentRecord> as Parameters<Store['updateDocument']>[1];
        await expect(store.updateDocument(document.id, sneaky)).rejects.toThrow(/number/);
        expect((await store.getDocument(document.id))!.number).toBe('1');
      });

      it('filters documents by status, connectionId, orderId and kind, newest first', async () => {
        const a = (await store.createDocument(sampleDocument({ orderId: '2001' }))).document;
        const b = (await store.createDocument(sampleDocument({ orderId: '2001', kind: 'credit_note', idempotencyKey: 'k:2001:cn:1' })))
          .document;
        const c = (await store.createDocument(sampleDocument({ connectionId: 'conn_ve', target: 'tuimprenta:acct_1' }))).document;
        await store.updateDocument(a.id, { status: 'ready' });

        expect((await store.listDocuments()).map((d) => d.id)).toEqual([c.id, b.id, a.id]);
        expect((await store.listDocuments({ orderId: '2001' })).map((d) => d.id)).toEqual([b.id, a.id]);
        expect((await store.listDocuments({ kind: 'credit_note' })).map((d) => d.id)).toEqual([b.id]);
        expect((await store.listDocuments({ status: 'ready' })).map((d) => d.id)).toEqual([a.id]);
        expect((await store.listDocuments({ connectionId: 'conn_ve' })).map((d) => d.id)).toEqual([c.id]);
        expect((await store.listDocuments({ connectionId: 'conn_co', status: 'pending' })).map((d) => d.id)).toEqual([b.id]);
        expect((await store.listDocuments({ limit: 2 })).map((d) => d.id)).toEqual([c.id, b.id]);
        expect((await store.listDocuments({ limit: 2, order: 'oldest' })).map((d) => d.id)).toEqual([a.id, b.id]);
        expect((await store.listDocuments({ connectionId: 'conn_co', order: 'oldest' })).map((d) => d.id)).toEqual([a.id, b.id]);
      });
    });

    describe('numbering', () => {
      const SERIES_A = 'apidian:900123456:SETP';
      const SERIES_B = 'tuimprenta:acct_1:A';

      it('starts a series at firstNumber and sets the document number in the same call', async () => {
        const { document } = await store.createDocument(sampleDocument());
        expect(await store.allocateNumber(SERIES_A, document.id, 990000001)).toBe(990000001);
        expect((await store.getDocument(document.id))!.number).toBe('990000001');
        expect(await store.listAllocations(SERIES_A)).toEqual([
          { seriesKey: SERIES_A, number: 990000001, documentId: document.id, allocatedAt: expect.any(String) },
        ]);
      });

      it('allocates gapless consecutive numbers under 100 concurrent calls across two series', async () => {
        const docsA = await Promise.all(Array.from({ length: 50 }, () => store.createDocument(sampleDocument())));
        const docsB = await Promise.all(Array.from({ length: 50 }, () => store.createDocument(sampleDocument())));
        const calls = docsA.flatMap((a, i) => [
          { series: SERIES_A, id: a.document.id, first: 1 },
          { series: SERIES_B, id: docsB[i]!.document.id, first: 5001 },
        ]);
        const numbers = await Promise.all(calls.map((c) => store.allocateNumber(c.series, c.id, c.first)));

        const numbersOf = (series: string) => numbers.filter((_, i) => calls[i]!.series === series).sort((x, y) => x - y);
        expect(numbersOf(SERIES_A)).toEqual(Array.from({ length: 50 }, (_, i) => 1 + i));
        expect(numbersOf(SERIES_B)).toEqual(Array.from({ length: 50 }, (_, i) => 5001 + i));

        for (const [i, call] of calls.entries()) {
          expect((await store.getDocument(call.id))!.number).toBe(String(numbers[i]));
        }
        const allocationsA = await store.listAllocations(SERIES_A);
        expect(allocationsA.map((a) => a.number)).toEqual(Array.from({ length: 50 }, (_, i) => 1 + i));
        expect(new Set(allocationsA.map((a) => a.documentId))).toEqual(new Set(docsA.map((d) => d.document.id)));
        expect(await store.listAllocations(SERIES_B)).toHaveLength(50);
      });

      it('gives a document the same number when asked again, even concurrently', async () => {
        const first = (await store.createDocument(sampleDocument())).document;
        const second = (await store.createDocument(sampleDocument())).document;
        const repeated = await Promise.all(Array.from({ length: 10 }, () => store.allocateNumber(SERIES_A, first.id, 1)));
        expect(repeated).toEqual(Array.from({ length: 10 }, () => 1));
        expect(await store.allocateNumber(SERIES_A, first.id, 1)).toBe(1);
        expect(await store.allocateNumber(SERIES_A, second.id, 1)).toBe(2);
        expect(await store.listAllocations(SERIES_A)).toHaveLength(2);
      });

      it('rejects allocation for an unknown document without consuming a number', async () => {
        const error = await store.allocateNumber(SERIES_A, 'doc_missing', 1).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RecordNotFoundError);
        expect(await store.listAllocations(SERIES_A)).toEqual([]);
        const { document } = await store.createDocument(sampleDocument());
        expect(await store.allocateNumber(SERIES_A, document.id, 1)).toBe(1);
      });

      it('continues from the counter, or jumps to a higher firstNumber (a new authorised range)', async () => {
        const docs = await Promise.all(Array.from({ length: 4 }, () => store.createDocument(sampleDocument())));
        expect(await store.allocateNumber(SERIES_A, docs[0]!.document.id, 1)).toBe(1);
        expect(await store.allocateNumber(SERIES_A, docs[1]!.document.id, 1)).toBe(2);
        expect(await store.allocateNumber(SERIES_A, docs[2]!.document.id, 100)).toBe(100);
        expect(await store.allocateNumber(SERIES_A, docs[3]!.document.id, 1)).toBe(101);
      });

      it('refuses to number a document a second time in another series', async () => {
        const { document } = await store.createDocument(sampleDocument());
        expect(await store.allocateNumber(SERIES_A, document.id, 7)).toBe(7);
        await expect(store.allocateNumber(SERIES_B, document.id, 1)).rejects.toThrow(/already has number 7/);
        expect((await store.getDocument(document.id))!.number).toBe('7');
        expect(await store.listAllocations(SERIES_B)).toEqual([]);
      });
    });

    describe('batches', () => {
      it('creates, reads, patches and lists batches', async () => {
        const first = await store.createBatch(sampleBatch({ documentIds: ['doc_1', 'doc_2'] }));
        expect(first).toMatchObject({ status: 'sending', documentIds: ['doc_1', 'doc_2'], series: 'SETP' });
        expect(await store.getBatch(first.id)).toEqual(first);
        const second = await store.createBatch(sampleBatch({ connectionId: 'conn_ve', target: 'tuimprenta:acct_1' }));

        const updated = await store.updateBatch(first.id, { status: 'awaiting_result', receipt: { zipKey: 'abc-123' } });
        expect(updated).toMatchObject({ id: first.id, status: 'awaiting_result', receipt: { zipKey: 'abc-123' } });
        expect(updated.documentIds).toEqual(['doc_1', 'doc_2']);

        expect((await store.listBatches()).map((b) => b.id)).toEqual([second.id, first.id]);
        expect((await store.listBatches({ status: 'awaiting_result' })).map((b) => b.id)).toEqual([first.id]);
        expect((await store.listBatches({ connectionId: 'conn_ve' })).map((b) => b.id)).toEqual([second.id]);
        expect((await store.listBatches({ limit: 1 })).map((b) => b.id)).toEqual([second.id]);
        expect((await store.listBatches({ limit: 1, order: 'oldest' })).map((b) => b.id)).toEqual([first.id]);
      });

      it('returns undefined for an unknown batch and rejects its update with RecordNotFoundError', async () => {
        expect(await store.getBatch('bat_unknown')).toBeUndefined();
        const error = await store.updateBatch('bat_unknown', { status: 'failed' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RecordNotFoundError);
        expect(error).toMatchObject({ collection: 'batch', id: 'bat_unknown' });
      });
    });

    describe('keyed state', () => {
      it('puts, reads, replaces, lists by prefix and deletes entries, and keeps them across a restart', async () => {
        expect(await store.getState('cursor:shopify:acme.myshopify.com')).toBeUndefined();
        await store.putState('cursor:shopify:acme.myshopify.com', { updatedAtMin: '2026-01-01T00:00:00-05:00' });
        await store.putState('cursor:woocommerce:shop.example', '2026-01-02T00:00:00Z');
        await store.putState('session:acme.myshopify.com', { token: { iv: 'a', data: 'b' } });
        const replaced = await store.putState('cursor:shopify:acme.myshopify.com', { updatedAtMin: '2026-02-01T00:00:00-05:00' });
        expect(replaced).toMatchObject({ key: 'cursor:shopify:acme.myshopify.com', value: { updatedAtMin: '2026-02-01T00:00:00-05:00' } });
        expect(Date.parse(replaced.updatedAt)).not.toBeNaN();

        const cursors = await store.listState('cursor:');
        expect(cursors.map((entry) => entry.key)).toEqual(['cursor:shopify:acme.myshopify.com', 'cursor:woocommerce:shop.example']);
        expect(await store.deleteState('session:acme.myshopify.com')).toBe(true);
        expect(await store.deleteState('session:acme.myshopify.com')).toBe(false);

        const reopened = await restart();
        expect((await reopened.getState('cursor:shopify:acme.myshopify.com'))?.value).toEqual({ updatedAtMin: '2026-02-01T00:00:00-05:00' });
        expect(await reopened.getState('session:acme.myshopify.com')).toBeUndefined();
        expect((await reopened.listState('')).length).toBe(2);
      });

      it('returns copies: changing what was read changes nothing stored', async () => {
        await store.putState('settings:conn_co', { trigger: 'paid' });
        const read = await store.getState<{ trigger: string }>('settings:conn_co');
        read!.value.trigger = 'fulfilled';
        expect((await store.getState('settings:conn_co'))?.value).toEqual({ trigger: 'paid' });
      });
    });

    describe('archive (finished records leave the working set)', () => {
      const SERIES = 'apidian:900123456:SETP';
      const archiveFinished = () => subject.archiveFinished?.() ?? Promise.resolve();

      it('still finds an archived order by id, key and order, also after a restart', async () => {
        const order = await issueOrder(store, SERIES);
        await archiveFinished();

        const check = async (current: Store) => {
          expect(await current.getDocument(order.document.id)).toEqual(order.document);
          expect(await current.findDocumentByKey(order.document.idempotencyKey)).toEqual(order.document);
          expect(await current.getEvent(order.event.id)).toEqual(order.event);
          expect(await current.getBatch(order.batch.id)).toEqual(order.batch);
          expect(await current.listDocuments({ orderId: order.document.orderId })).toEqual([order.document]);
          expect(await current.listEvents({ orderId: order.event.orderId })).toEqual([order.event]);
          expect((await current.listDocuments({ archived: 'include' })).map((d) => d.id)).toContain(order.document.id);
          expect((await current.listBatches({ archived: 'include' })).map((b) => b.id)).toContain(order.batch.id);
          // Creating it again returns the archived one: idempotency outlives the working set.
          const again = await current.createDocument(sampleDocument({ idempotencyKey: order.document.idempotencyKey, orderId: order.document.orderId }));
          expect(again).toEqual({ document: order.document, duplicate: true });
          expect(await current.allocateNumber(SERIES, order.document.id, 1)).toBe(order.number);
        };
        await check(store);
        await check(await restart());
      });

      it('lets a refund months later find the archived invoice and number on without a gap', async () => {
        const first = await issueOrder(store, SERIES);
        const second = await issueOrder(store, SERIES);
        await archiveFinished();
        await restart();

        const orderDocuments = await store.listDocuments({ orderId: first.document.orderId });
        const invoice = orderDocuments.find((d) => d.kind === 'invoice');
        expect(invoice?.id).toBe(first.document.id);
        const { document: note } = await store.createDocument(
          sampleDocument({
            orderId: first.document.orderId,
            kind: 'credit_note',
            idempotencyKey: `${first.document.idempotencyKey}:refund:r1`,
            subjectId: 'r1',
            referenceDocumentId: invoice!.id,
          }),
        );
        expect(await store.allocateNumber(SERIES, note.id, 1)).toBe(second.number + 1);
        expect((await store.listAllocations(SERIES)).map((a) => [a.number, a.documentId])).toEqual([
          [first.number, first.document.id],
          [second.number, second.document.id],
          [second.number + 1, note.id],
        ]);
        // Newest first, the archived invoice included.
        expect((await store.listDocuments({ orderId: first.document.orderId })).map((d) => d.id)).toEqual([note.id, first.document.id]);
      });

      it('brings an archived record back on update; the newer version wins, archived again and after a restart', async () => {
        const order = await issueOrder(store, SERIES);
        await archiveFinished();

        // Privacy redaction rewrites an archived event's payload.
        const redacted = await store.updateEvent(order.event.id, { payload: { redacted: true } });
        expect(redacted).toMatchObject({ id: order.event.id, status: 'processed', payload: { redacted: true } });
        // A replay re-opens an issued document.
        const reopenedDoc = await store.updateDocument(order.document.id, { status: 'ready', attempts: 1 });
        expect(reopenedDoc).toMatchObject({ id: order.document.id, status: 'ready', number: String(order.number) });
        expect((await store.listDocuments({ status: 'ready' })).map((d) => d.id)).toEqual([order.document.id]);
        const failed = await store.updateBatch(order.batch.id, { status: 'failed', error: 'resent' });
        expect(failed).toMatchObject({ id: order.batch.id, status: 'failed', error: 'resent', documentIds: [order.document.id] });

        await archiveFinished();
        expect(await store.getDocument(order.document.id)).toEqual(reopenedDoc);
        const issuedAgain = await store.updateDocument(order.document.id, { status: 'issued' });
        await archiveFinished();

        const check = async (current: Store) => {
          expect(await current.getEvent(order.event.id)).toEqual(redacted);
          expect(await current.getDocument(order.document.id)).toEqual(issuedAgain);
          expect(await current.findDocumentByKey(order.document.idempotencyKey)).toEqual(issuedAgain);
          expect(await current.getBatch(order.batch.id)).toEqual(failed);
          expect(await current.listDocuments({ orderId: order.document.orderId })).toEqual([issuedAgain]);
          expect(await current.listEvents({ orderId: order.event.orderId })).toEqual([redacted]);
          expect((await current.listDocuments({ archived: 'include' })).filter((d) => d.id === order.document.id)).toHaveLength(1);
        };
        await check(store);
        await check(await restart());
        // Two concurrent updates of an archived record both apply.
        await archiveFinished();
        await Promise.all([
          store.updateDocument(order.document.id, { notBefore: '2026-03-01T00:00:00.000Z' }),
          store.updateDocument(order.document.id, { uncertain: true }),
        ]);
        expect(await store.getDocument(order.document.id)).toMatchObject({ notBefore: '2026-03-01T00:00:00.000Z', uncertain: true });
      });

      it('treats a redelivery of an archived event as a duplicate within the redelivery window', async () => {
        const delivery = sampleEvent({ receivedAt: new Date().toISOString() });
        const { event } = await store.recordEvent(delivery);
        await store.updateEvent(event.id, { status: 'ignored', note: 'test order' });
        await archiveFinished();

        const again = await store.recordEvent(delivery);
        expect(again).toMatchObject({ duplicate: true, event: { id: event.id, deliveries: 2, status: 'ignored' } });
        await archiveFinished();
        const afterRestart = await (await restart()).recordEvent(delivery);
        expect(afterRestart).toMatchObject({ duplicate: true, event: { id: event.id, deliveries: 3 } });
        expect(await store.listEvents({ orderId: delivery.orderId })).toHaveLength(1);
      });

      it('keeps work in progress where it is and lists it as before', async () => {
        const done = await issueOrder(store, SERIES);
        const { event: received } = await store.recordEvent(sampleEvent());
        const { document: pending } = await store.createDocument(sampleDocument());
        const { document: ready } = await store.createDocument(sampleDocument({ status: 'ready' }));
        const sending = await store.createBatch(sampleBatch({ documentIds: [ready.id] }));
        await archiveFinished();

        expect((await store.listDocuments({ status: 'pending' })).map((d) => d.id)).toEqual([pending.id]);
        expect((await store.listDocuments({ status: 'ready' })).map((d) => d.id)).toEqual([ready.id]);
        expect((await store.listEvents({ status: 'received' })).map((e) => e.id)).toEqual([received.id]);
        expect((await store.listBatches({ status: 'sending' })).map((b) => b.id)).toEqual([sending.id]);
        // Everything, newest first, with the archive included.
        expect((await store.listDocuments({ archived: 'include' })).map((d) => d.id)).toEqual([ready.id, pending.id, done.document.id]);
        expect((await store.listDocuments({ archived: 'include', status: 'issued' })).map((d) => d.id)).toEqual([done.document.id]);
      });

      it('rejects an archive scope it does not know, naming the field', async () => {
        await expect(store.listDocuments({ archived: 'all' as never })).rejects.toThrow(/archived/);
      });
    });

    describe('durability', () => {
      it('keeps everything across close and reopen', async () => {
        const delivery = sampleEvent();
        const { event } = await store.recordEvent(delivery);
        await store.recordEvent(delivery);
        await store.updateEvent(event.id, { status: 'processed', documentIds: ['x'] });
        const { document } = await store.createDocument(sampleDocument({ eventId: event.id }));
        await store.updateDocument(document.id, { status: 'ready', attention: { kind: 'domain', reason: 'r' } });
        await store.updateDocument(document.id, { attention: undefined });
        const number = await store.allocateNumber('apidian:900123456:SETP', document.id, 990000001);
        const batch = await store.createBatch(sampleBatch({ documentIds: [document.id] }));

        const before = {
          event: await store.getEvent(event.id),
          document: await store.getDocument(document.id),
          batch: await store.getBatch(batch.id),
          allocations: await store.listAllocations('apidian:900123456:SETP'),
        };
        const reopened = await restart();

        expect(await reopened.getEvent(event.id)).toEqual(before.event);
        expect(before.event).toMatchObject({ deliveries: 2, status: 'processed' });
        expect(await reopened.getDocument(document.id)).toEqual(before.document);
        expect(before.document).toMatchObject({ number: String(number), status: 'ready' });
        expect(before.document).not.toHaveProperty('attention');
        expect(await reopened.getBatch(batch.id)).toEqual(before.batch);
        expect(await reopened.listAllocations('apidian:900123456:SETP')).toEqual(before.allocations);

        // Indexes and counters survive too: dedupe, idempotency and numbering carry on.
        const again = await reopened.recordEvent(delivery);
        expect(again).toMatchObject({ duplicate: true, event: { id: event.id, deliveries: 3 } });
        const dupDoc = await reopened.createDocument(sampleDocument({ idempotencyKey: document.idempotencyKey }));
        expect(dupDoc).toMatchObject({ duplicate: true, document: { id: document.id } });
        expect(await reopened.allocateNumber('apidian:900123456:SETP', document.id, 990000001)).toBe(number);
        const next = (await reopened.createDocument(sampleDocument())).document;
        expect(await reopened.allocateNumber('apidian:900123456:SETP', next.id, 990000001)).toBe(number + 1);
      });

      it('has made every concurrent change durable by the time the promises resolve', async () => {
        const docs = await Promise.all(Array.from({ length: 30 }, () => store.createDocument(sampleDocument())));
        await Promise.all(docs.map((d) => store.allocateNumber('S', d.document.id, 1)));
        const reopened = await restart();
        expect(await reopened.listDocuments()).toHaveLength(30);
        expect((await reopened.listAllocations('S')).map((a) => a.number)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      });

      it('refuses every method after close with a clear error', async () => {
        const { event } = await store.recordEvent(sampleEvent());
        await store.close();
        await expect(store.getEvent(event.id)).rejects.toThrow(/closed/i);
        await expect(store.recordEvent(sampleEvent())).rejects.toThrow(/closed/i);
        await expect(store.createDocument(sampleDocument())).rejects.toThrow(/closed/i);
        await expect(store.allocateNumber('S', 'doc_x', 1)).rejects.toThrow(/closed/i);
        await expect(store.listBatches()).rejects.toThrow(/closed/i);
      });
    });
  });
}
