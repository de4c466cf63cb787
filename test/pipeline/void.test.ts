/**
 * Voiding a parked document on the real pipeline parts: only a document that needs attention (and
 * whose last send had a known outcome) can be voided, every refusal changes nothing, a voided
 * document keeps its number for good and is never replayed, its number is closed at the target
 * through a durable queue where the target allows it, and notes of a voided invoice end parked with
 * the reason instead of waiting for it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND } from '../../connectors/shopify/samples/index.js';
import type { NumberClosureRequest, OutgoingBatch } from '../../src/connector.js';
import { TargetError } from '../../src/errors.js';
import { decide } from '../../src/pipeline/ledger.js';
import { NumberClosures, numberClosureKey, type NumberClosureEntry } from '../../src/pipeline/number-closures.js';
import { seriesKey } from '../../src/pipeline/preparer.js';
import { ReplayRefusedError, Replayer } from '../../src/pipeline/replay.js';
import { VoidInputError, VoidNotFoundError, VoidRefusedError, Voider } from '../../src/pipeline/void.js';
import type { DocumentRecord } from '../../src/store/store.js';
import { SOURCE, paidEvent, pipeline, refundEvent, silentLog, type Pipeline } from './harness.js';

type CloseAnswer = { reference?: string; alreadyClosed?: boolean };

let p: Pipeline;
let closures: NumberClosures;
let voider: Voider;
let pokes: number;
/** What the target was asked to close, and how it answers (one script per call; default: closed as ref-N). */
let closeCalls: NumberClosureRequest[];
let closeScripts: ((request: NumberClosureRequest) => CloseAnswer)[];

beforeEach(async () => {
  p = await pipeline();
  closeCalls = [];
  closeScripts = [];
  // The scripted target (APIDIAN-shaped) gains SIFEN's power to close numbers for these tests.
  Object.assign(p.target, {
    closeNumbers: async (request: NumberClosureRequest): Promise<CloseAnswer> => {
      closeCalls.push(request);
      const script = closeScripts.shift();
      return script ? script(request) : { reference: `ref-${closeCalls.length}` };
    },
  });
  closures = new NumberClosures(p.store, p.connections, silentLog, p.clock.now);
  pokes = 0;
  voider = new Voider(p.store, closures, silentLog, () => pokes++, p.clock.now);
});

afterEach(() => p.close());

const rejectAll = (batch: OutgoingBatch) => ({
  results: batch.documents.map((d) => ({ documentId: d.documentId, outcome: 'rejected' as const, reason: 'Número de documento duplicado', field: 'numero' })),
});

/** A paid order whose invoice is numbered, sent, and permanently rejected by the target. */
async function rejectedInvoice(order = SAMPLE_PAID_ORDER): Promise<DocumentRecord> {
  await p.receive(paidEvent(order));
  p.target.submitScripts.push(rejectAll);
  await p.dispatcher.dispatchReady();
  const invoice = (await p.store.listDocuments({ orderId: String(order.id), kind: 'invoice' }))[0]!;
  expect(invoice).toMatchObject({ status: 'needs_attention', number: '990000000', attention: { kind: 'rejected' } });
  return invoice;
}

const REASON = 'Facturado a mano en la DIAN como SETP990000000';

describe('voiding a parked document', () => {
  it('skips it for good with the reason, keeps its number, closes the number at the target, and the next document numbers on', async () => {
    const invoice = await rejectedInvoice();
    const answer = await voider.voidDocument(invoice.id, `  ${REASON}  `);
    expect(answer).toMatchObject({ documentId: invoice.id, number: '990000000', series: 'SETP', status: 'skipped', voided: { reason: REASON, numberClosure: { state: 'pending' } } });
    expect(pokes).toBe(1);

    const voided = await p.document(invoice.id);
    expect(voided).toMatchObject({ status: 'skipped', number: '990000000', attention: { kind: 'voided' } });
    expect(voided.voided).toEqual({
      reason: REASON,
      at: p.clock.now().toISOString(),
      parkedFor: { kind: 'rejected', reason: 'Número de documento duplicado', path: 'numero' },
      numberClosure: { state: 'pending' },
    });
    expect(await closures.list()).toMatchObject([{ documentId: invoice.id, status: 'pending', request: { kind: 'invoice', series: 'SETP', from: 990000000, to: 990000000, reason: REASON } }]);

    expect(await closures.runDue()).toBe(1);
    expect(closeCalls).toEqual([{ kind: 'invoice', series: 'SETP', from: 990000000, to: 990000000, reason: REASON }]);
    expect((await p.document(invoice.id)).voided?.numberClosure).toMatchObject({ state: 'closed', reference: 'ref-1', at: p.clock.now().toISOString() });
    expect(await closures.list()).toEqual([]);
    // Worked once: nothing left to close.
    expect(await closures.runDue()).toBe(0);
    expect(closeCalls).toHaveLength(1);

    // The next order's invoice continues after the voided number: no reuse, no double use.
    const next = { ...SAMPLE_PAID_ORDER, id: SAMPLE_PAID_ORDER.id + 1n, orderNumber: SAMPLE_PAID_ORDER.orderNumber + 1 };
    await p.receive(paidEvent(next));
    await p.dispatcher.dispatchReady();
    const second = (await p.store.listDocuments({ orderId: String(next.id), kind: 'invoice' }))[0]!;
    expect(second).toMatchObject({ status: 'issued', number: '990000001' });
    const series = seriesKey(p.connections.get('shop')!, 'invoice', 'SETP');
    expect((await p.store.listAllocations(series)).map((a) => [a.number, a.documentId])).toEqual([
      [990000000, invoice.id],
      [990000001, second.id],
    ]);
    // The voided one was never sent again.
    expect(p.target.submitted().flatMap((b) => b.documents.map((d) => d.number))).toEqual(['990000000', '990000001']);
  });

  it('refuses, changing nothing: issued, still being worked, unknown outcome, already voided, bad reasons, unknown ids', async () => {
    const invoice = await rejectedInvoice();
    const unchanged = async (id: string, attempt: () => Promise<unknown>, error: unknown, message: RegExp) => {
      const before = await p.document(id);
      const thrown = await attempt().catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(error as never);
      expect((thrown as Error).message).toMatch(message);
      expect(await p.document(id)).toEqual(before);
      expect(await closures.list()).toEqual([]);
    };

    for (const reason of [undefined, 42, '', '  abc  ', 'x'.repeat(501)]) {
      await unchanged(invoice.id, () => voider.voidDocument(invoice.id, reason), VoidInputError, /^reason: /);
    }
    expect(await voider.voidDocument(invoice.id, 'x'.repeat(500)).then((v) => v.voided.reason.length)).toBe(500);
    expect(await p.store.deleteState(numberClosureKey(invoice.id))).toBe(true);
    await unchanged(invoice.id, () => voider.voidDocument(invoice.id, REASON), VoidRefusedError, /already voided at .*number closure is pending/);

    const order = { ...SAMPLE_PAID_ORDER, id: SAMPLE_PAID_ORDER.id + 5n, orderNumber: SAMPLE_PAID_ORDER.orderNumber + 5 };
    await p.receive(paidEvent(order));
    const other = (await p.store.listDocuments({ orderId: String(order.id), kind: 'invoice' }))[0]!;
    for (const status of ['pending', 'ready', 'in_flight'] as const) {
      await p.store.updateDocument(other.id, { status });
      await unchanged(other.id, () => voider.voidDocument(other.id, REASON), VoidRefusedError, new RegExp(`still being worked \\(${status}\\)`));
    }
    await p.store.updateDocument(other.id, { status: 'needs_attention', uncertain: true, attention: { kind: 'internal', reason: 'crashed while sending' } });
    await unchanged(other.id, () => voider.voidDocument(other.id, REASON), VoidRefusedError, /unknown outcome: it may exist at the invoicing API\. Replay it first/);
    await p.store.updateDocument(other.id, { status: 'issued', uncertain: false, result: { fiscalNumber: 'SETP990000001', issuedAt: p.clock.now().toISOString() } });
    await unchanged(other.id, () => voider.voidDocument(other.id, REASON), VoidRefusedError, /issued as SETP990000001: issued documents are annulled with a credit note, not voided/);
    await expect(voider.voidDocument('doc_nope', REASON)).rejects.toBeInstanceOf(VoidNotFoundError);
    expect(pokes).toBe(1);
  });

  it('a voided document is never replayed, alone or with its event', async () => {
    const invoice = await rejectedInvoice();
    await voider.voidDocument(invoice.id, REASON);
    const replayer = new Replayer(p.store, silentLog);
    await expect(replayer.replayDocument(invoice.id)).rejects.toThrow(ReplayRefusedError);
    await expect(replayer.replayDocument(invoice.id)).rejects.toThrow(/was voided at .*never sent, and its number 990000000 is never reused/);
    await expect(replayer.replayEvent(invoice.eventId)).rejects.toBeInstanceOf(ReplayRefusedError);
    expect(await replayer.replayParked()).toEqual([]);
    expect(await p.document(invoice.id)).toMatchObject({ status: 'skipped' });
  });

  it.each([
    ['the void', true],
    ['the replay', false],
  ])('a void and a replay of the same document at once, %s started first: one wins, the other is refused, and the document is one or the other', async (_first, voidFirst) => {
    const invoice = await rejectedInvoice();
    const replayer = new Replayer(p.store, silentLog);
    // Started together, both read the document as needing attention before either writes.
    let voiding: Promise<unknown>;
    let replaying: Promise<unknown>;
    if (voidFirst) {
      voiding = voider.voidDocument(invoice.id, REASON);
      replaying = replayer.replayDocument(invoice.id);
    } else {
      replaying = replayer.replayDocument(invoice.id);
      voiding = voider.voidDocument(invoice.id, REASON);
    }
    const [voided, replayed] = await Promise.allSettled([voiding, replaying]);
    const after = await p.document(invoice.id);
    expect([voided.status, replayed.status].sort()).toEqual(['fulfilled', 'rejected']);
    if (voided.status === 'fulfilled') {
      expect((replayed as PromiseRejectedResult).reason).toBeInstanceOf(ReplayRefusedError);
      expect(after).toMatchObject({ status: 'skipped', voided: { reason: REASON } });
    } else {
      expect(voided.reason).toBeInstanceOf(VoidRefusedError);
      expect((voided.reason as Error).message).toMatch(/still being worked \(pending\)/);
      expect(after!.status).toBe('pending');
      expect(after!.voided).toBeUndefined();
    }
  });
});

describe('what closing the number takes', () => {
  it('a target with no way to close numbers (DIAN): not_supported, with the number left unused; nothing is queued', async () => {
    delete (p.target as { closeNumbers?: unknown }).closeNumbers;
    const invoice = await rejectedInvoice();
    const { voided } = await voider.voidDocument(invoice.id, REASON);
    expect(voided.numberClosure).toEqual({
      state: 'not_supported',
      note: 'apidian offers no way to close a number: number 990000000 of series SETP stays unused within its authorized range',
    });
    expect(await closures.list()).toEqual([]);
  });

  it('no number to close: never numbered, or a server-numbered target', async () => {
    // A document parked before it was numbered (stage 1 failed), made by hand.
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    const invoice = (await p.documents())[0]!;
    const { document: unnumbered } = await p.store.createDocument({
      idempotencyKey: `${SOURCE}|order:77|invoice`,
      connectionId: 'shop',
      target: 'apidian',
      kind: 'invoice',
      source: SOURCE,
      orderId: '77',
      eventId: invoice.eventId,
      series: 'SETP',
      status: 'needs_attention',
    });
    expect((await voider.voidDocument(unnumbered.id, REASON)).voided.numberClosure).toEqual({ state: 'not_needed', note: 'no number was allocated to it' });

    await p.store.updateDocument(invoice.id, { status: 'needs_attention' });
    Object.assign(p.target, { numbering: 'server' });
    expect((await voider.voidDocument(invoice.id, REASON)).voided.numberClosure).toMatchObject({ state: 'not_needed', note: 'apidian numbers documents itself: no number was taken' });
    expect(await closures.list()).toEqual([]);
  });
});

describe('the closure queue', () => {
  it('retries retryable, rate-limited and unknown outcomes with growing pauses, and counts "already closed" as closed', async () => {
    const invoice = await rejectedInvoice();
    await voider.voidDocument(invoice.id, REASON);
    closeScripts.push(
      () => {
        throw new TargetError('retryable', 'FacturApi evento/inutilizacion: 502');
      },
      () => {
        throw new TargetError('rate_limited', 'FacturApi: 429', { retryAfterMs: 600_000 });
      },
      () => {
        throw new TargetError('unknown_outcome', 'FacturApi evento/inutilizacion: 504; it may have been accepted');
      },
      () => ({ alreadyClosed: true }),
    );
    const entry = async () => (await closures.list())[0]!;
    const pauseOf = async () => Date.parse((await entry()).nextAttemptAt) - p.clock.time;

    expect(await closures.runDue()).toBe(0);
    expect(await entry()).toMatchObject({ status: 'pending', attempts: 1, lastError: 'FacturApi evento/inutilizacion: 502' });
    expect(await pauseOf()).toBe(60_000);
    expect((await p.document(invoice.id)).voided?.numberClosure.state).toBe('pending');

    // Not due yet: the target is not asked.
    p.clock.advance(59_000);
    await closures.runDue();
    expect(closeCalls).toHaveLength(1);

    p.clock.advance(1_000);
    await closures.runDue();
    // The target's Retry-After wins over the shorter growing pause.
    expect(await entry()).toMatchObject({ attempts: 2 });
    expect(await pauseOf()).toBe(600_000);

    p.clock.advance(600_000);
    await closures.runDue();
    expect(await entry()).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/may have been accepted/) });
    expect(await pauseOf()).toBe(240_000);

    p.clock.advance(240_000);
    expect(await closures.runDue()).toBe(1);
    expect(closeCalls).toHaveLength(4);
    expect(new Set(closeCalls.map((c) => `${c.series}:${c.from}-${c.to}`))).toEqual(new Set(['SETP:990000000-990000000']));
    expect(await closures.list()).toEqual([]);
    expect((await p.document(invoice.id)).voided?.numberClosure).toMatchObject({
      state: 'closed',
      note: expect.stringMatching(/already closed \(an earlier attempt went through\)/),
    });
  });

  it('a refusal ends the closure as failed with the target\'s reason, on the document and in the queue, and it is not retried', async () => {
    const invoice = await rejectedInvoice();
    await voider.voidDocument(invoice.id, REASON);
    closeScripts.push(() => {
      throw new TargetError('rejected', 'No se puede inutilizar: el número corresponde a un DE emitido o en proceso');
    });
    await closures.runDue();
    const [entry] = await closures.list();
    expect(entry).toMatchObject({ status: 'failed', attempts: 1, lastError: 'No se puede inutilizar: el número corresponde a un DE emitido o en proceso' });
    expect((await p.document(invoice.id)).voided?.numberClosure).toMatchObject({
      state: 'failed',
      note: 'the target refused to close number 990000000 of series SETP: No se puede inutilizar: el número corresponde a un DE emitido o en proceso',
    });
    p.clock.advance(24 * 60 * 60_000);
    await closures.runDue();
    expect(closeCalls).toHaveLength(1);
  });

  it('an operator asks again for a refused closure: queued at once, then closed; a pending one or an unknown document is refused', async () => {
    const invoice = await rejectedInvoice();
    await voider.voidDocument(invoice.id, REASON);
    await expect(closures.retry(invoice.id)).rejects.toThrow(/still being worked \(pending\)/);
    closeScripts.push(() => {
      throw new TargetError('rejected', 'El timbrado no está vigente');
    });
    await closures.runDue();
    expect((await closures.list())[0]).toMatchObject({ status: 'failed' });

    expect(await closures.retry('doc_unknown')).toBeUndefined();
    await expect(closures.retry(invoice.id)).resolves.toMatchObject({ status: 'pending', nextAttemptAt: p.clock.now().toISOString() });
    expect((await p.document(invoice.id)).voided?.numberClosure).toMatchObject({ state: 'pending', note: 'asked again by an operator after: El timbrado no está vigente' });
    await closures.runDue();
    expect(closeCalls).toHaveLength(2);
    expect(await closures.list()).toEqual([]);
    expect((await p.document(invoice.id)).voided?.numberClosure).toMatchObject({ state: 'closed', reference: 'ref-2' });
  });

  it('a void interrupted before its closure was queued is queued again by recover()', async () => {
    const invoice = await rejectedInvoice();
    await voider.voidDocument(invoice.id, REASON);
    await p.store.deleteState(numberClosureKey(invoice.id));
    expect(await closures.recover()).toBe(1);
    expect(await closures.recover()).toBe(0);
    const [entry] = await closures.list();
    expect(entry).toMatchObject<Partial<NumberClosureEntry>>({ documentId: invoice.id, status: 'pending', request: { kind: 'invoice', series: 'SETP', from: 990000000, to: 990000000, reason: REASON } });
    await closures.runDue();
    expect((await p.document(invoice.id)).voided?.numberClosure.state).toBe('closed');
  });
});

describe('notes of a voided invoice', () => {
  it('a credit note waiting for the invoice ends needs_attention naming the voided invoice, instead of waiting forever', async () => {
    const invoice = await rejectedInvoice();
    await p.receive(refundEvent(SAMPLE_PAID_ORDER, SAMPLE_PARTIAL_REFUND));
    const note = (await p.store.listDocuments({ orderId: String(SAMPLE_PAID_ORDER.id), kind: 'credit_note' }))[0]!;
    // It waits while the invoice is parked: a replay could still issue it.
    expect(note).toMatchObject({ status: 'pending', referenceDocumentId: invoice.id });
    expect(await p.prepareAll()).toEqual({ [note.id]: 'waiting' });

    await voider.voidDocument(invoice.id, REASON);
    expect(await p.prepareAll()).toEqual({ [note.id]: 'needs_attention' });
    const parked = await p.document(note.id);
    expect(parked).toMatchObject({ status: 'needs_attention', attention: { kind: 'voided_invoice' } });
    expect(parked.attention!.reason).toContain(`the invoice it corrects, ${invoice.id}, was voided`);
    expect(parked.number).toBeUndefined();
    // The operator may void the note too: it had no number, so nothing to close.
    expect((await voider.voidDocument(note.id, 'Nota emitida a mano con la factura')).voided.numberClosure.state).toBe('not_needed');
  });

  it('the ledger still sees a voided invoice as the order\'s invoice, so a later refund makes a note that is parked, not an event that waits', () => {
    const invoice = { id: 'doc_inv', kind: 'invoice', subjectId: undefined, status: 'skipped', sourceTotal: '100.00', voided: { reason: REASON, at: 'x', numberClosure: { state: 'closed' } } } as unknown as DocumentRecord;
    const refund = { source: SOURCE, kind: 'order.refunded' as const, orderId: '1', refundId: 'r1', refundAmount: '10.00' };
    expect(decide(refund, [invoice], { trigger: 'paid' })).toMatchObject({ action: 'create', documents: [{ referenceDocumentId: 'doc_inv', subject: { kind: 'credit_note', refundId: 'r1' } }] });
    // A voided annulment annulled nothing: a refund after it is still credited.
    const voidedAnnulment = { id: 'doc_ann', kind: 'credit_note', subjectId: 'annulment', status: 'skipped', voided: invoice.voided } as unknown as DocumentRecord;
    expect(decide(refund, [invoice, voidedAnnulment], { trigger: 'paid' })).toMatchObject({ action: 'create' });
    // A voided debit note charged nothing: a raise is compared with what was really billed.
    const voidedDebit = { id: 'doc_deb', kind: 'debit_note', subjectId: 'e1', status: 'skipped', sourceTotal: '150.00', voided: invoice.voided } as unknown as DocumentRecord;
    const raise = { source: SOURCE, kind: 'order.edited' as const, orderId: '1', editId: 'e2', orderTotal: '120.00' };
    expect(decide(raise, [invoice, voidedDebit], { trigger: 'paid' })).toMatchObject({ action: 'create', documents: [{ subject: { kind: 'debit_note', editId: 'e2' } }] });
    expect(decide({ ...SAMPLE_ORDER_PAID_EVENT }, [invoice], { trigger: 'paid' })).toMatchObject({ action: 'ignore', note: 'order already has invoice doc_inv' });
  });
});

const SAMPLE_ORDER_PAID_EVENT = { source: SOURCE, kind: 'order.paid' as const, orderId: '1', orderTotal: '100.00' };
