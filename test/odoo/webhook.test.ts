/**
 * The receiver for Odoo's "Send Webhook Notification": unsigned, so the body only names a record,
 * which is read again through JSON-RPC with the connection's own credentials and filters.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOdooSource } from '../../connectors/odoo/index.js';
import { MAX_ODOO_WEBHOOK_BYTES } from '../../connectors/odoo/webhook.js';
import type { WebhookVerdict } from '../../src/connector.js';
import { ALL_FIELDS, MOVE_INVOICE, MOVE_REFUND, rowsFor } from './recorded.js';
import { SETTINGS, kwArgs, onCall, onFieldsGet, onLogin, rpcError, rpcResult, seen } from './rpc-mock.js';

const SOURCE = 'odoo:erp.tostadores.example/prod';
const logged: object[] = [];
const logger = { info: (obj: object) => void logged.push(obj), debug() {}, warn: (obj: object) => void logged.push(obj) };
const source = () =>
  createOdooSource({ bindings: () => [{ connectionId: 'erp', source: SOURCE, settings: { ...SETTINGS, journals: ['INV'] } }], logger, client: { retry: { retries: 0 } } });

/** Odoo's payload: `_model`, `_id`, `_action` and the selected fields (read with load=None), keys sorted. */
const odooBody = (fields: Record<string, unknown>) => JSON.stringify({ _action: 'Puente: factura publicada(#31)', ...fields });

const deliver = (body: string, connection: string | null = 'erp'): Promise<WebhookVerdict> =>
  source().webhook!.receive({ rawBody: body, headers: { 'content-type': 'application/json' }, params: connection ? { connection } : {} });

function onReads() {
  for (const model of ['account.move.line', 'account.tax', 'product.product', 'res.partner', 'res.country', 'res.currency']) {
    onCall(model, 'read', (uri, body) => rpcResult(rowsFor(model, kwArgs(body).args[0] as number[]))(uri, body));
  }
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  seen.length = 0;
  logged.length = 0;
});
afterEach(() => {
  nock.cleanAll();
});

describe('Odoo webhook notifications', () => {
  it('reads the named move through JSON-RPC and answers the same event a poll would', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_read', rpcResult([MOVE_REFUND]));
    onReads();
    // The posted fields claim another amount and state: they are never read.
    const verdict = await deliver(odooBody({ _id: 102, _model: 'account.move', amount_total: 1, state: 'draft' }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(verdict.ok).toBe(true);
    const events = (verdict as { events: { kind: string; orderId: string; refundId?: string; deliveryId: string; payload: { amountTotal: string } }[] }).events;
    expect(events.map((e) => [e.kind, e.orderId, e.refundId, e.deliveryId, e.payload.amountTotal])).toEqual([
      ['order.refunded', '101', '102', 'move:102:posted', '55104.00'],
    ]);
    // Asked for that id, within what the connection polls: posted customer moves of its journals.
    const search = seen.find((b) => b.params.args[4] === 'search_read')!;
    expect(kwArgs(search).args[0]).toEqual([
      ['move_type', 'in', ['out_invoice', 'out_refund']],
      ['state', '=', 'posted'],
      ['journal_id.code', 'in', ['INV']],
      ['id', '=', 102],
    ]);
    expect(kwArgs(search).kwargs.limit).toBe(1);
  });

  it('a move that is not a posted customer move of the connection yields no events', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_read', rpcResult([]));
    expect(await deliver(odooBody({ _id: 55, _model: 'account.move' }))).toEqual({ ok: true, events: [] });
    expect(logged).toEqual([expect.objectContaining({ moveId: 55 })]);
  });

  it('when Odoo cannot be read, answers with no events (the sweep will list the move) and logs why', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_read', rpcError('odoo.exceptions.AccessDenied', 'Access Denied'));
    expect(await deliver(odooBody({ _id: 101, _model: 'account.move' }))).toEqual({ ok: true, events: [] });
    expect(logged).toEqual([expect.objectContaining({ moveId: 101, kind: 'auth' })]);
    expect(JSON.stringify(logged)).not.toContain(SETTINGS.apiKey);
  });

  it('accepts a hand-made body with `model` and `id`', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_read', rpcResult([MOVE_INVOICE]));
    onReads();
    const verdict = await deliver(JSON.stringify({ model: 'account.move', id: 101 }));
    expect(verdict.ok && verdict.events.map((e) => e.deliveryId)).toEqual(['move:101:posted']);
  });

  it.each([
    ['not JSON', 'id=101', 400, 'not JSON'],
    ['another model', odooBody({ _id: 3, _model: 'sale.order' }), 400, 'account.move'],
    ['no model', JSON.stringify({ _id: 3 }), 400, 'account.move'],
    ['an id that is text', odooBody({ _id: '101', _model: 'account.move' }), 400, 'positive integer'],
    ['a fractional id', odooBody({ _id: 10.5, _model: 'account.move' }), 400, 'positive integer'],
    ['a list', JSON.stringify([{ _id: 1, _model: 'account.move' }]), 400, 'account.move'],
  ])('refuses %s without calling Odoo', async (_what, body, status, words) => {
    const verdict = await deliver(body);
    expect(verdict).toEqual({ ok: false, status, error: expect.stringContaining(words) });
    expect(seen).toEqual([]);
  });

  it('refuses an unknown connection (404) and an oversize body (413) without calling Odoo', async () => {
    expect(await deliver(odooBody({ _id: 1, _model: 'account.move' }), 'nope')).toEqual({ ok: false, status: 404, error: 'no Odoo connection "nope"' });
    expect(await deliver(odooBody({ _id: 1, _model: 'account.move' }), null)).toMatchObject({ ok: false, status: 404 });
    const big = odooBody({ _id: 1, _model: 'account.move', narration: 'x'.repeat(MAX_ODOO_WEBHOOK_BYTES) });
    expect(await deliver(big)).toMatchObject({ ok: false, status: 413 });
    expect(seen).toEqual([]);
  });
});
