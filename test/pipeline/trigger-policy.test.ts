/**
 * The connection's policy on which events issue an invoice (paid / created / fulfilled, a delay,
 * test, draft and free orders), documents an ERP already decided, deliveries a source must complete
 * first, and the chain the buyer's tax id is read by.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_PAID_ORDER } from '../../connectors/shopify/samples/index.js';
import { shopifyBuyerTaxId } from '../../connectors/shopify/tax-id.js';
import type { SourceConnector, SourceEvent } from '../../src/connector.js';
import { TargetError } from '../../src/errors.js';
import { decide, type LedgerPolicy } from '../../src/pipeline/ledger.js';
import type { DocumentRecord } from '../../src/store/store.js';
import { asReceived, connectionFor, paidEvent, pipeline, type Pipeline } from './harness.js';
import { buildOrder } from '../../connectors/shopify/samples/index.js';

const source = 'shopify:acme.myshopify.com';
const invoiceRecord = { id: 'doc_inv', kind: 'invoice', source, orderId: '1', status: 'issued' } as DocumentRecord;

describe('ledger: trigger policy', () => {
  const on = (trigger: LedgerPolicy['trigger']): LedgerPolicy => ({ trigger });

  it('invoices on the event the policy names and on no other', () => {
    for (const [trigger, kind] of [
      ['paid', 'order.paid'],
      ['created', 'order.created'],
      ['fulfilled', 'order.fulfilled'],
    ] as const) {
      expect(decide({ source, kind, orderId: '1' }, [], on(trigger))).toMatchObject({ action: 'create', documents: [{ subject: { kind: 'invoice' } }] });
      for (const other of ['order.paid', 'order.created', 'order.fulfilled'] as const) {
        if (other === kind) continue;
        const decision = decide({ source, kind: other, orderId: '1' }, [], on(trigger));
        expect(decision).toEqual({ action: 'ignore', note: `the trigger policy is "${trigger}": ${other} issues nothing` });
      }
    }
  });

  it('test, draft and zero-total orders issue nothing unless the connection enables them', () => {
    const paid = (extra: Partial<SourceEvent>) => ({ source, kind: 'order.paid' as const, orderId: '1', ...extra });
    expect(decide(paid({ test: true }), [], on('paid'))).toMatchObject({ action: 'ignore', note: expect.stringContaining('test order') });
    expect(decide(paid({ draft: true }), [], on('paid'))).toMatchObject({ action: 'ignore', note: expect.stringContaining('draft') });
    expect(decide(paid({ orderTotal: '0.00' }), [], on('paid'))).toMatchObject({ action: 'ignore', note: expect.stringContaining('zero') });
    const everything = { trigger: 'paid' as const, issueFor: { testOrders: true, drafts: true, zeroTotal: true } };
    expect(decide(paid({ test: true, draft: true, orderTotal: '0' }), [], everything).action).toBe('create');
    expect(decide(paid({ orderTotal: '0.01' }), [], on('paid')).action).toBe('create');
  });

  it('a refund that returned no money (a restock, a failed payment) issues no credit note', () => {
    const refund = { source, kind: 'order.refunded' as const, orderId: '1', refundId: '9' };
    expect(decide({ ...refund, refundAmount: '0' }, [invoiceRecord], on('paid'))).toMatchObject({ action: 'ignore', note: expect.stringContaining('no money was refunded') });
    expect(decide({ ...refund, refundAmount: '0.01' }, [invoiceRecord], on('paid')).action).toBe('create');
    expect(decide(refund, [invoiceRecord], on('paid')).action).toBe('create');
  });

  it('a refund of a test order that was never invoiced is ignored instead of waiting forever', () => {
    const refund = { source, kind: 'order.refunded' as const, orderId: '1', refundId: '9', test: true };
    expect(decide(refund, [], on('paid')).action).toBe('ignore');
    expect(decide({ ...refund, test: false }, [], on('paid')).action).toBe('wait');
  });
});

describe('ledger: documents an ERP already decided', () => {
  const policy: LedgerPolicy = { trigger: 'paid' };

  it('a posted invoice is invoiced once, whatever the trigger policy', () => {
    const event = { source, kind: 'order.paid' as const, orderId: '41', decidedDocument: 'invoice' as const };
    expect(decide(event, [], { trigger: 'fulfilled' })).toMatchObject({ action: 'create', documents: [{ idempotencyKey: `${source}|order:41|invoice` }] });
    expect(decide(event, [{ ...invoiceRecord, orderId: '41' }], policy).action).toBe('ignore');
  });

  it('a credit or debit move waits for the invoice it corrects, then references it, keyed by its own id', () => {
    const credit = { source, kind: 'order.refunded' as const, orderId: '1', refundId: '77', decidedDocument: 'credit_note' as const };
    expect(decide(credit, [], policy).action).toBe('wait');
    expect(decide(credit, [invoiceRecord], policy)).toEqual({
      action: 'create',
      documents: [{ subject: { kind: 'credit_note', refundId: '77' }, idempotencyKey: `${source}|order:1|credit_note|refund:77`, referenceDocumentId: 'doc_inv' }],
    });
    const debit = { source, kind: 'order.edited' as const, orderId: '1', editId: '78', decidedDocument: 'debit_note' as const };
    expect(decide(debit, [invoiceRecord], policy)).toMatchObject({
      action: 'create',
      documents: [{ subject: { kind: 'debit_note', editId: '78' }, referenceDocumentId: 'doc_inv' }],
    });
    // No total comparison: the ERP decided there is something to charge.
    expect(decide({ ...debit, orderTotal: undefined }, [invoiceRecord], policy).action).toBe('create');
    expect(decide({ ...debit, editId: undefined }, [invoiceRecord], policy).action).toBe('ignore');
  });
});

describe('the buyer tax id chain (Shopify)', () => {
  const order = {
    puente_localized_fields: { TAX_CREDENTIAL_CO: ' 900373115 ' },
    note_attributes: [
      { name: 'NIT', value: '800197268' },
      { name: 'RUT', value: '860001022' },
    ],
    billing_address: { company: 'Tostadores Andinos S.A.S.' },
  };
  const all = ['localized', 'noteAttribute', 'company'] as const;

  it('takes the first source of the chain that has a value, in the configured order', () => {
    expect(shopifyBuyerTaxId(order, 'CO', { sources: all, noteAttribute: 'NIT' })).toBe('900373115');
    expect(shopifyBuyerTaxId(order, 'CO', { sources: ['noteAttribute', 'localized'], noteAttribute: 'RUT' })).toBe('860001022');
    expect(shopifyBuyerTaxId(order, 'CO', { sources: ['company'], noteAttribute: 'NIT' })).toBe('Tostadores Andinos S.A.S.');
    // Only the field of the connection's country counts.
    expect(shopifyBuyerTaxId(order, 'PY', { sources: ['localized'], noteAttribute: 'NIT' })).toBe('44444401');
  });

  it('falls back to the country\'s final consumer when no configured source has a value', () => {
    const bare = { note_attributes: [{ name: 'NIT', value: '  ' }], billing_address: null };
    expect(shopifyBuyerTaxId(bare, 'CO', { sources: all, noteAttribute: 'NIT' })).toBe('222222222222');
    expect(shopifyBuyerTaxId(bare, 'VE', { sources: all, noteAttribute: 'NIT' })).toBe('00000000');
    expect(shopifyBuyerTaxId(undefined, 'PY', { sources: all, noteAttribute: 'NIT' })).toBe('44444401');
  });
});

describe('through the pipeline', () => {
  let p: Pipeline;
  afterEach(async () => {
    await p?.close();
  });

  it('a connection that leaves the company field out of its chain invoices the final consumer, not a company name', async () => {
    p = await pipeline({
      connections: (target) => [connectionFor(target, { settings: { taxId: { sources: ['localized'] } } })],
    });
    await p.receive(paidEvent(SAMPLE_PAID_ORDER));
    const [invoice] = await p.documents();
    expect(invoice!.status).toBe('ready');
    expect(invoice!.fiscal!.buyer.identification).toMatchObject({ type: 'FINAL_CONSUMER', number: '222222222222' });
  });

  it('reads the cart attribute the connection names', async () => {
    p = await pipeline({
      connections: (target) => [connectionFor(target, { settings: { taxId: { sources: ['noteAttribute'], noteAttribute: 'Cédula o NIT' } } })],
    });
    const payload = asReceived(buildOrder(SAMPLE_PAID_ORDER));
    payload.note_attributes = [{ name: 'Cédula o NIT', value: '860001022' }];
    await p.receive({ ...paidEvent(SAMPLE_PAID_ORDER), payload });
    const [invoice] = await p.documents();
    expect(invoice!.fiscal!.buyer.identification).toMatchObject({ type: 'NIT', number: '860001022', checkDigit: '7' });
  });

  it('with a trigger delay the invoice waits it out and then carries the order as last updated', async () => {
    p = await pipeline({ connections: (target) => [connectionFor(target, { settings: { triggerDelayMinutes: 15 } })] });
    const paid = paidEvent(SAMPLE_PAID_ORDER);
    const paidAt = p.clock.now().toISOString();
    await p.receive({ ...paid, occurredAt: paidAt });
    const [waiting] = await p.documents();
    expect(waiting).toMatchObject({ kind: 'invoice', status: 'pending', notBefore: new Date(Date.parse(paidAt) + 15 * 60_000).toISOString() });

    // Another app edits the order during the delay: its name on the invoice changes.
    p.clock.advance(5 * 60_000);
    const edited = asReceived(buildOrder(SAMPLE_PAID_ORDER));
    edited.note_attributes = [...(edited.note_attributes as object[]), { name: 'Razón social', value: 'Tostadores Andinos (editado)' }];
    (edited.note_attributes as { name: string }[]).splice(1, 1);
    await p.receive({ ...paid, kind: 'order.updated', topic: 'orders/updated', deliveryId: 'upd-1', editId: 'e1', occurredAt: p.clock.now().toISOString(), payload: edited });
    expect((await p.document(waiting!.id)).status).toBe('pending');

    p.clock.advance(10 * 60_000 + 1);
    expect(await p.prepareAll()).toEqual({ [waiting!.id]: 'ready' });
    expect((await p.document(waiting!.id)).fiscal!.buyer.name).toBe('Tostadores Andinos (editado)');
  });

  it('an event the source must complete waits while the source is unreachable, then is processed with what it returned', async () => {
    let reachable = false;
    const completed: string[] = [];
    const shopify: SourceConnector = {
      name: 'shopify',
      async complete(event) {
        if (!reachable) throw new Error('connect ECONNREFUSED');
        completed.push(event.orderId);
        return { ...(event.payload as object), puente_localized_fields: { TAX_CREDENTIAL_CO: '860001022' } };
      },
    };
    p = await pipeline({ sources: { shopify } });
    await p.receive({ ...paidEvent(SAMPLE_PAID_ORDER), needsCompletion: true });
    const [event] = await p.store.listEvents();
    expect(event).toMatchObject({ status: 'received', needsCompletion: true, note: 'waiting for shopify: connect ECONNREFUSED' });
    expect(await p.documents()).toEqual([]);

    reachable = true;
    // Not asked again before the retry interval…
    await p.events.processPending();
    expect(completed).toEqual([]);
    // …and after it, once.
    p.clock.advance(30_001);
    await p.events.processPending();
    await p.prepareAll();
    expect(completed).toEqual([SAMPLE_PAID_ORDER.id.toString()]);
    const [after] = await p.store.listEvents();
    expect(after).toMatchObject({ status: 'processed', needsCompletion: false });
    const [invoice] = await p.documents();
    expect(invoice!.fiscal!.buyer.identification).toMatchObject({ number: '860001022' });
  });

  it('an event the source refuses to complete (a deleted refund) is parked with the reason instead of retried forever', async () => {
    let asked = 0;
    const shopify: SourceConnector = {
      name: 'shopify',
      async complete() {
        asked++;
        throw new TargetError('rejected', 'HTTP 404: the refund does not exist', { status: 404 });
      },
    };
    p = await pipeline({ sources: { shopify } });
    await p.receive({ ...paidEvent(SAMPLE_PAID_ORDER), needsCompletion: true });
    p.clock.advance(60_000);
    await p.events.processPending();
    const [event] = await p.store.listEvents();
    expect(event).toMatchObject({
      status: 'needs_attention',
      attention: { kind: 'source', reason: 'shopify could not complete this delivery: HTTP 404: the refund does not exist' },
    });
    expect(asked).toBe(1);
    expect(await p.documents()).toEqual([]);
  });

  it('a raise of an order that is never invoiced waits, but not past seven days', async () => {
    p = await pipeline();
    const update = { ...paidEvent(SAMPLE_PAID_ORDER), kind: 'order.updated' as const, topic: 'orders/updated', editId: 'e1', orderTotal: '999999.00' };
    await p.receive(update);
    expect((await p.store.listEvents())[0]).toMatchObject({ status: 'waiting' });
    p.clock.advance(7 * 24 * 60 * 60_000 + 1);
    await p.events.processPending();
    expect((await p.store.listEvents())[0]).toMatchObject({ status: 'ignored', note: 'the order was not invoiced within 7 days of this change' });
  });
});
