/**
 * EventProcessor + Preparer on the real store, the shipped mappings and real Shopify bodies: which
 * documents an event makes, how they become ready (fiscal totals, a number, a validated wire
 * document), and how they are parked or held back when they cannot be.
 */
import { Decimal } from 'decimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SAMPLE_CANCELLATION_REFUND,
  SAMPLE_CANCELLED_AT,
  SAMPLE_PAID_ORDER,
  SAMPLE_PARTIAL_REFUND,
  orderFigures,
  refundFigures,
  type SampleOrder,
} from '../../connectors/shopify/samples/index.js';
import type { FiscalDocument } from '../../src/domain/fiscal-document.js';
import { seriesKey } from '../../src/pipeline/preparer.js';
import { Connections } from '../../src/pipeline/connections.js';
import { Preparer } from '../../src/pipeline/preparer.js';
import { apidianWireSchemas } from '../../connectors/apidian/wire.js';
import {
  NUMBERING,
  cancelEvent,
  connectionFor,
  paidEvent,
  pipeline,
  refundEvent,
  shippedMappings,
  silentLog,
  type Pipeline,
} from './harness.js';

let p: Pipeline;
afterEach(async () => {
  await p?.close();
});

/** Sends every ready document and issues it, as the target would. */
async function issueReady(): Promise<void> {
  await p.dispatcher.dispatchReady();
}

function payable(fiscal: FiscalDocument | undefined): Decimal {
  return new Decimal(fiscal!.totals.payableAmount);
}

describe('a paid order', () => {
  it('becomes one pending invoice, then a ready one with totals, the first number of the range and a valid wire document', async () => {
    p = await pipeline();
    await p.inbox.accept([paidEvent(SAMPLE_PAID_ORDER)]);
    expect(await p.events.processPending()).toBe(1);

    const [pending, ...others] = await p.documents();
    expect(others).toEqual([]);
    expect(pending).toMatchObject({
      kind: 'invoice',
      status: 'pending',
      orderId: SAMPLE_PAID_ORDER.id.toString(),
      idempotencyKey: `shopify:${SAMPLE_PAID_ORDER.shop}|order:${SAMPLE_PAID_ORDER.id}|invoice`,
    });
    expect(pending!.number).toBeUndefined();
    const [event] = await p.store.listEvents();
    expect(event).toMatchObject({ status: 'processed', documentIds: [pending!.id] });

    expect(await p.preparer.prepare(pending!)).toBe('ready');
    const ready = await p.document(pending!.id);
    expect(ready.status).toBe('ready');
    // Totals are computed in decimal and match what Shopify charged, to the cent.
    expect(ready.fiscal!.totals.payableAmount).toBe(orderFigures(SAMPLE_PAID_ORDER).total.toFixed(2));
    expect(ready.fiscal!.lines).toHaveLength(4);
    expect(ready.number).toBe(String(NUMBERING.invoice!.firstNumber));
    expect(ready.fiscal).toMatchObject({ series: 'SETP', number: String(NUMBERING.invoice!.firstNumber) });
    expect(ready.series).toBe('SETP');
    expect(apidianWireSchemas.invoice.safeParse(ready.wire).success).toBe(true);
    expect(ready.wire).toMatchObject({ prefix: 'SETP', number: NUMBERING.invoice!.firstNumber });
    expect(ready.provenance!.mappings.map((m) => m.id)).toEqual(['shopify-order-invoice', 'apidian-invoice']);
    expect(await p.store.listAllocations(seriesKey(p.connections.get('shop')!, 'invoice', 'SETP'))).toEqual([
      expect.objectContaining({ number: NUMBERING.invoice!.firstNumber, documentId: ready.id }),
    ]);
  });

  it('processed twice (a redelivery, or the same order under another event id) still has one document', async () => {
    p = await pipeline();
    const first = paidEvent(SAMPLE_PAID_ORDER);
    await p.receive(first);
    const [stored] = await p.store.listEvents();
    // The same stored event processed again, as after a crash between creating the document and
    // marking the event processed.
    await p.events.process({ ...stored!, status: 'received' });
    // The same delivery again, and the same order under a second subscription's event id.
    await p.receive(first, paidEvent(SAMPLE_PAID_ORDER));

    const documents = await p.documents();
    expect(documents).toHaveLength(1);
    expect(documents[0]!.status).toBe('ready');
    const events = await p.store.listEvents();
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.id === stored!.id)!.deliveries).toBe(2);
    expect(events.find((e) => e.id !== stored!.id)).toMatchObject({ status: 'ignored' });
    // No second number was taken either.
    expect(await p.store.listAllocations(seriesKey(p.connections.get('shop')!, 'invoice', 'SETP'))).toHaveLength(1);
  });
});

describe('a refund', () => {
  it('that arrives before the invoice exists waits, then is processed once the invoice exists', async () => {
    p = await pipeline();
    await p.receive(refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    const [waiting] = await p.store.listEvents();
    expect(waiting).toMatchObject({ status: 'waiting', documentIds: [] });
    expect(waiting!.note).toMatch(/invoice/);
    expect(await p.documents()).toEqual([]);
    // Looking again changes nothing while the invoice is still missing.
    expect(await p.events.processPending()).toBe(0);

    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    // Events are looked at in arrival order, so the refund saw no invoice in that pass; the next
    // pass (the engine runs one whenever a pass changed something) credits it.
    expect((await p.store.getEvent(waiting!.id))!.status).toBe('waiting');
    expect(await p.events.processPending()).toBe(1);
    const refundEventRecord = await p.store.getEvent(waiting!.id);
    expect(refundEventRecord!.status).toBe('processed');
    const documents = await p.documents();
    expect(documents.map((d) => d.kind)).toEqual(['invoice', 'credit_note']);
    const [invoice, note] = documents;
    expect(note).toMatchObject({
      subjectId: SAMPLE_PARTIAL_REFUND.id.toString(),
      referenceDocumentId: invoice!.id,
      idempotencyKey: `shopify:${SAMPLE_PAID_ORDER.shop}|order:${SAMPLE_PAID_ORDER.id}|credit_note|refund:${SAMPLE_PARTIAL_REFUND.id}`,
    });
    expect(refundEventRecord!.documentIds).toEqual([note!.id]);
  });

  it('makes a credit note that stays pending until its invoice is issued, then cites its number and CUFE', async () => {
    p = await pipeline();
    await p.receive(paidEvent(SAMPLE_PAID_ORDER), refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    const [invoice, note] = await p.documents();
    expect(invoice!.status).toBe('ready');
    expect(note!.status).toBe('pending');
    // A ready invoice is not enough: its number and CUFE are final only once the target accepted it.
    expect(await p.preparer.prepare(note!)).toBe('waiting');
    expect((await p.document(note!.id)).status).toBe('pending');
    expect((await p.document(note!.id)).number).toBeUndefined();

    await issueReady();
    const issuedInvoice = await p.document(invoice!.id);
    expect(issuedInvoice.status).toBe('issued');

    expect(await p.preparer.prepare(await p.document(note!.id))).toBe('ready');
    const ready = await p.document(note!.id);
    expect(ready.fiscal!.reference).toEqual({
      documentId: invoice!.id,
      kind: 'invoice',
      series: 'SETP',
      number: issuedInvoice.number,
      issueDate: issuedInvoice.fiscal!.issuedAt.slice(0, 10),
      uuid: issuedInvoice.result!.uuid,
    });
    expect(ready.wire).toMatchObject({
      billing_reference: { number: `SETP${issuedInvoice.number}`, uuid: issuedInvoice.result!.uuid },
    });
    expect(ready.number).toBe(String(NUMBERING.credit_note!.firstNumber));
    // The note credits exactly what the refund gave back.
    expect(ready.fiscal!.totals.payableAmount).toBe(refundFigures(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND, []).total.toFixed(2));
  });
});

describe('a document that cannot be mapped', () => {
  it('with a tax rate the lookup does not know is parked as a mapping problem naming the line', async () => {
    p = await pipeline();
    const order: SampleOrder = {
      ...SAMPLE_PAID_ORDER,
      id: 6123456789999n,
      lines: [SAMPLE_PAID_ORDER.lines[0]!, { ...SAMPLE_PAID_ORDER.lines[1]!, taxRate: '0.07' }],
    };
    await p.receive(paidEvent(order));
    const [document] = await p.documents();
    expect(document!.status).toBe('needs_attention');
    expect(document!.attention!.kind).toBe('mapping');
    expect(document!.attention!.path).toMatch(/^lines\[1\]\.taxes\[0\]/);
    expect(document!.attention!.reason).toContain('0.07');
    expect(document!.fiscal).toBeUndefined();
    // Nothing was numbered for a document that never became valid.
    expect(document!.number).toBeUndefined();
  });

  it('with a NIT whose check digit is wrong is parked as a domain problem, without the full NIT in the message', async () => {
    p = await pipeline();
    const order: SampleOrder = {
      ...SAMPLE_PAID_ORDER,
      id: 6123456789998n,
      noteAttributes: [{ name: 'NIT', value: '900373115-4' }],
    };
    await p.receive(paidEvent(order));
    const [document] = await p.documents();
    expect(document!.status).toBe('needs_attention');
    expect(document!.attention).toMatchObject({ kind: 'domain' });
    expect(document!.attention!.path).toMatch(/^buyer\.identification/);
    expect(document!.attention!.reason).toMatch(/check digit/);
    expect(document!.attention!.reason).not.toContain('900373115');
  });
});

describe('a replay', () => {
  it('of a document parked after it was numbered keeps its number and allocates no other', async () => {
    // Stage 2 names a mapping that does not exist: the document is numbered, then parked.
    p = await pipeline({
      connections: (target) => [connectionFor(target, { settings: { mappings: { wire_invoice: 'apidian-invoice-v9' } } })],
    });
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    const [parked] = await p.documents();
    expect(parked!.status).toBe('needs_attention');
    expect(parked!.attention).toMatchObject({ kind: 'mapping' });
    expect(parked!.attention!.reason).toContain('apidian-invoice-v9');
    const numbered = parked!.number;
    expect(numbered).toBe(String(NUMBERING.invoice!.firstNumber));

    // The admin fixes the configuration; the document is prepared again.
    const fixed = new Connections([connectionFor(p.target)]);
    const mappings = await shippedMappings();
    const preparer = new Preparer(p.store, fixed, () => mappings, silentLog, p.clock.now);
    expect(await preparer.prepare(await p.document(parked!.id))).toBe('ready');
    const ready = await p.document(parked!.id);
    expect(ready.number).toBe(numbered);
    expect(ready.fiscal!.number).toBe(numbered);
    expect(ready.wire).toMatchObject({ number: Number(numbered) });
    expect(ready.attention).toBeUndefined();
    const key = seriesKey(fixed.get('shop')!, 'invoice', 'SETP');
    expect(await p.store.listAllocations(key)).toHaveLength(1);

    // The next invoice gets the next number: the replay did not burn one.
    await p.inbox.accept([paidEvent({ ...SAMPLE_PAID_ORDER, id: 6123456780001n })]);
    await p.events.processPending();
    const next = (await p.store.listDocuments({ status: 'pending' }))[0]!;
    expect(await preparer.prepare(next)).toBe('ready');
    expect((await p.document(next.id)).number).toBe(String(NUMBERING.invoice!.firstNumber + 1));
  });
});

describe('an annulment (order cancelled after its invoice)', () => {
  it('after a partial refund credits only what the refund left', async () => {
    p = await pipeline();
    await p.receive(paidEvent(SAMPLE_PAID_ORDER), refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    await issueReady();
    await p.prepareAll();
    await p.receive(cancelEvent(SAMPLE_PAID_ORDER, { cancelledAt: SAMPLE_CANCELLED_AT, reason: 'customer', refunds: [SAMPLE_PARTIAL_REFUND] }));

    // While the refund's credit note is still on its way, the annulment waits: what remains to
    // credit is only known once that note is issued.
    expect((await p.documents()).map((d) => [d.subjectId ?? null, d.status])).toEqual([
      [null, 'issued'],
      [SAMPLE_PARTIAL_REFUND.id.toString(), 'ready'],
      ['annulment', 'pending'],
    ]);
    await issueReady();
    await p.prepareAll();

    const documents = await p.documents();
    expect(documents.map((d) => [d.kind, d.subjectId ?? null, d.status])).toEqual([
      ['invoice', null, 'issued'],
      ['credit_note', SAMPLE_PARTIAL_REFUND.id.toString(), 'issued'],
      ['credit_note', 'annulment', 'ready'],
    ]);
    const [invoice, refundNote, annulment] = documents;
    expect(annulment!.fiscal!.correction).toMatchObject({ code: 'annulment' });
    expect(annulment!.referenceDocumentId).toBe(invoice!.id);
    // The refund and the annulment together credit the invoice exactly, never more.
    expect(payable(refundNote!.fiscal).plus(payable(annulment!.fiscal)).toFixed(2)).toBe(payable(invoice!.fiscal).toFixed(2));
    // The refunded shipping line is not credited again.
    expect(annulment!.fiscal!.lines.map((l) => l.kind)).toEqual(['item', 'item', 'item']);
    const headphones = annulment!.fiscal!.lines.find((l) => l.sourceLineId === SAMPLE_PAID_ORDER.lines[0]!.id.toString())!;
    expect(headphones.quantity).toBe('1');
    expect(new Decimal(refundNote!.number!).toNumber()).toBe(NUMBERING.credit_note!.firstNumber);
    expect(annulment!.number).toBe(String(NUMBERING.credit_note!.firstNumber + 1));
  });

  it('when refunds already credited everything is skipped, with no number taken', async () => {
    p = await pipeline();
    await p.receive(
      paidEvent(SAMPLE_PAID_ORDER),
      refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND),
      refundEvent(SAMPLE_PAID_ORDER, SAMPLE_CANCELLATION_REFUND, [SAMPLE_PARTIAL_REFUND]),
    );
    await issueReady();
    await p.prepareAll();
    await p.receive(
      cancelEvent(SAMPLE_PAID_ORDER, { cancelledAt: SAMPLE_CANCELLED_AT, reason: 'customer', refunds: [SAMPLE_PARTIAL_REFUND, SAMPLE_CANCELLATION_REFUND] }),
    );
    await issueReady();
    await p.prepareAll();

    const documents = await p.documents();
    const annulment = documents.find((d) => d.subjectId === 'annulment')!;
    expect(annulment.status).toBe('skipped');
    expect(annulment.attention).toMatchObject({ kind: 'skipped' });
    expect(annulment.number).toBeUndefined();
    expect(annulment.fiscal).toBeUndefined();
    const notes = documents.filter((d) => d.kind === 'credit_note' && d.status === 'issued');
    expect(notes).toHaveLength(2);
    const invoice = documents.find((d) => d.kind === 'invoice')!;
    expect(notes.reduce((sum, n) => sum.plus(payable(n.fiscal)), new Decimal(0)).toFixed(2)).toBe(payable(invoice.fiscal).toFixed(2));
    const key = seriesKey(p.connections.get('shop')!, 'credit_note', 'NC');
    expect((await p.store.listAllocations(key)).map((a) => a.number)).toEqual([1, 2]);
  });
});
