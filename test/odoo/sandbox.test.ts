/**
 * The Odoo connector against the Odoo sandbox over real HTTP on 127.0.0.1: every posted move is
 * listed exactly once across pages and polls, a move written again is listed again under the same
 * delivery id, a move written later in an already-polled second is not lost, and the sandbox's
 * errors have the shapes the connector classifies.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOdooSource, testOdooConnection } from '../../connectors/odoo/index.js';
import type { OdooMovePayload } from '../../connectors/odoo/payload.js';
import {
  ODOO_SANDBOX_API_KEY,
  ODOO_SANDBOX_DATABASE,
  ODOO_SANDBOX_LOGIN,
  lineAmounts,
  startOdooSandbox,
  type RunningOdooSandbox,
} from '../../connectors/odoo/sandbox/index.js';
import type { PollPage, SourceEvent } from '../../src/connector.js';

const SOURCE = 'odoo:sandbox/puente-demo';
let sandbox: RunningOdooSandbox;
let clock = 0;

const settings = () => ({ type: 'odoo', url: sandbox.url, database: ODOO_SANDBOX_DATABASE, username: ODOO_SANDBOX_LOGIN, apiKey: ODOO_SANDBOX_API_KEY, pageSize: 2 });
const source = () => createOdooSource({ bindings: () => [{ connectionId: 'erp', source: SOURCE, settings: settings() }], logger: { info() {}, warn() {}, debug() {} } });

async function poll(cursor?: string): Promise<{ events: SourceEvent[]; cursor: string | undefined; pages: PollPage[] }> {
  const pages: PollPage[] = [];
  for await (const page of source().poll!({ source: SOURCE, ...(cursor ? { cursor } : {}) })) pages.push(page);
  return { events: pages.flatMap((p) => p.events), cursor: pages.at(-1)?.cursor ?? cursor, pages };
}

const coffee = (quantity: string) => ({ product: 'CAF-HUI-500', quantity, priceUnit: '42000', discount: '10', taxes: [5] });

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  sandbox = await startOdooSandbox({ now: () => clock });
});
afterAll(async () => {
  await sandbox.close();
  nock.enableNetConnect();
});
beforeEach(() => {
  sandbox.state.reset();
  sandbox.state.missing.clear();
  clock = Date.parse('2026-11-20T15:04:05.100Z');
});
afterEach(() => nock.cleanAll());

describe('the Odoo connector against the Odoo sandbox', () => {
  it('lists each posted move exactly once across pages and polls, however many share a second', async () => {
    const a = sandbox.state.postInvoice({ partner: 11, lines: [coffee('3'), { product: 'ENVIO', quantity: '1', priceUnit: '12000', taxes: [1] }] });
    clock += 200;
    const b = sandbox.state.postInvoice({ partner: 8, lines: [{ product: 'MOL-CER-01', quantity: '1', priceUnit: '225981', taxes: [4] }] });
    clock += 200;
    const refund = sandbox.state.postCreditNote(a.id, { lines: [coffee('1')] });
    clock += 1000;
    const debit = sandbox.state.postDebitNote(a.id, { lines: [{ product: 'SRV-BAR', quantity: '1', priceUnit: '80000', taxes: [1] }] });
    const full = sandbox.state.postCreditNote(b.id);

    const first = await poll();
    expect(first.pages.length).toBeGreaterThan(1);
    expect(first.events.map((e) => [e.decidedDocument, e.orderId, e.refundId ?? e.editId ?? null])).toEqual([
      ['invoice', String(a.id), null],
      ['invoice', String(b.id), null],
      ['credit_note', String(a.id), String(refund.id)],
      ['debit_note', String(a.id), String(debit.id)],
      ['credit_note', String(b.id), String(full.id)],
    ]);
    expect(new Set(first.events.map((e) => e.deliveryId)).size).toBe(5);
    // Odoo's own totals, as decimal text.
    expect(first.events.map((e) => (e.payload as OdooMovePayload).amountTotal)).toEqual(['136752.00', '225981.00', '40824.00', '95200.00', '225981.00']);

    const again = await poll(first.cursor);
    expect(again.events).toEqual([]);
    expect(again.cursor).toBe(first.cursor);
    expect(first.cursor).toMatch(/^v2\|2026-11-20 14:54:06\|2026-11-20 15:04:06\|/);
  });

  it('a move written again (a payment registered) brings no new delivery: skipped in the window, the same delivery id after', async () => {
    const a = sandbox.state.postInvoice({ partner: 9, lines: [coffee('1')] });
    const first = await poll();
    clock += 60_000;
    sandbox.state.touch(a.id);
    const inWindow = await poll(first.cursor);
    expect(inWindow.events).toEqual([]);
    // An hour later it is paid again, and another invoice is posted: the cursor moves on, and the
    // written-again move comes back under the delivery id the inbox already has.
    clock += 60 * 60_000;
    sandbox.state.touch(a.id);
    const b = sandbox.state.postInvoice({ partner: 9, lines: [coffee('2')] });
    const later = await poll(inWindow.cursor);
    expect(later.events.map((e) => e.orderId)).toEqual([String(b.id)]);
    const after = await poll(later.cursor);
    expect(after.events.map((e) => e.deliveryId)).toEqual([first.events[0]!.deliveryId]);
    expect((await poll(after.cursor)).events).toEqual([]);
  });

  it('finds moves committed late with an earlier write_date, and a second\'s moves it had not seen', async () => {
    const first = sandbox.state.postInvoice({ partner: 9, lines: [coffee('1')] });
    const polled = await poll();
    // Same second, written after the poll: told apart by id.
    clock += 400;
    const sameSecond = sandbox.state.postInvoice({ partner: 9, lines: [coffee('2')] });
    // A batch whose transaction began three minutes ago commits now: Odoo stamps its start.
    clock -= 3 * 60_000;
    const late = sandbox.state.postInvoice({ partner: 8, lines: [coffee('3')] });
    clock += 3 * 60_000;
    const next = await poll(polled.cursor);
    expect(next.events.map((e) => e.orderId)).toEqual([String(late.id), String(sameSecond.id)]);
    expect((await poll(next.cursor)).events).toEqual([]);
    expect(polled.events.map((e) => e.orderId)).toEqual([String(first.id)]);
  });

  it('answers with Odoo\'s error shapes, which the connection test reports precisely', async () => {
    const base = settings();
    expect(await testOdooConnection(base)).toMatchObject({ ok: true, serverVersion: '17.0', features: { debitNotes: true, identificationTypes: true } });
    expect(await testOdooConnection({ ...base, database: 'produccion' })).toMatchObject({ ok: false, step: 'login', kind: 'config', error: expect.stringContaining('database "produccion" does not exist') });
    expect(await testOdooConnection({ ...base, apiKey: 'revoked' })).toMatchObject({ ok: false, step: 'login', kind: 'auth' });
    sandbox.state.missing.add('account.move.invoice_line_ids');
    expect(await testOdooConnection(base)).toMatchObject({ ok: false, step: 'fields', kind: 'config', error: expect.stringContaining('account.move has no field invoice_line_ids') });
    sandbox.state.missing.clear();
    sandbox.state.missing.add('account.move.debit_origin_id');
    expect(await testOdooConnection(base)).toMatchObject({ ok: true, features: { debitNotes: false } });
  });

  it('computes lines as Odoo does: per line, half-up, taxes included or not', () => {
    const vat19 = { id: 1, amount: 19, price_include: false };
    const vat19included = { id: 4, amount: 19, price_include: true };
    expect(lineAmounts({ product: 1, quantity: '3', priceUnit: '42000', discount: '10' }, [{ id: 5, amount: 8, price_include: false }], 2)).toEqual({ subtotal: '113400.00', total: '122472.00' });
    expect(lineAmounts({ product: 1, quantity: '1', priceUnit: '9900' }, [vat19included], 2)).toEqual({ subtotal: '8319.33', total: '9900.00' });
    expect(lineAmounts({ product: 1, quantity: '12', priceUnit: '12.8' }, [vat19], 2)).toEqual({ subtotal: '153.60', total: '182.78' });
  });
});
