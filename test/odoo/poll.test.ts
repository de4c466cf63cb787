/**
 * Polling Odoo through the source connector, against recorded-shape JSON-RPC answers: which calls it
 * makes, the events it makes of each posted move (kind, decided document, order/refund/edit ids,
 * delivery ids), the payload it stores (decimal strings, resolved taxes, the buyer), and the cursor
 * that lets the next poll continue without skipping or repeating a move.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PollPage, SourceEvent } from '../../src/connector.js';
import { createOdooSource } from '../../connectors/odoo/index.js';
import { OdooError } from '../../connectors/odoo/errors.js';
import type { OdooMovePayload } from '../../connectors/odoo/payload.js';
import { ALL_FIELDS, MOVE_DEBIT, MOVE_INVOICE, MOVE_LOOSE_REFUND, MOVE_REFUND, MOVE_USD, rowsFor } from './recorded.js';
import { SETTINGS, kwArgs, onCall, onFieldsGet, onLogin, rpcError, rpcResult, seen, type RpcBody } from './rpc-mock.js';

const SOURCE = 'odoo:erp.tostadores.example/prod';
const warnings: object[] = [];
const logger = { info() {}, debug() {}, warn: (obj: object) => void warnings.push(obj) };

function source(settings: Record<string, unknown> = {}) {
  return createOdooSource({
    bindings: () => [
      { connectionId: 'shop', source: 'shopify:x.myshopify.com', settings: { type: 'shopify', shop: 'x.myshopify.com' } },
      { connectionId: 'erp', source: SOURCE, settings: { ...SETTINGS, ...settings } },
    ],
    logger,
    client: { retry: { retries: 0 } },
  });
}

async function collect(iterable: AsyncIterable<PollPage>): Promise<PollPage[]> {
  const pages: PollPage[] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

/** Answers `read` of a model with the recorded rows for the ids asked. */
function onRead(model: string) {
  return onCall(model, 'read', (uri, body) => rpcResult(rowsFor(model, kwArgs(body).args[0] as number[]))(uri, body));
}

function onReads() {
  for (const model of ['account.move.line', 'account.tax', 'product.product', 'res.partner', 'res.country', 'res.currency']) onRead(model);
}

const searchReads = () => seen.filter((b) => b.params.args[3] === 'account.move' && b.params.args[4] === 'search_read');
const domainOf = (body: RpcBody) => kwArgs(body).args[0] as unknown[];
const brief = (e: SourceEvent) => [e.kind, e.decidedDocument, e.orderId, e.refundId ?? null, e.editId ?? null, e.deliveryId];

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  seen.length = 0;
  warnings.length = 0;
});
afterEach(() => {
  nock.cleanAll();
});

describe('polling posted Odoo moves', () => {
  it('makes one event per posted customer move, decided by Odoo, oldest first, and a cursor after the last', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(5));
    onCall('account.move', 'search_read', rpcResult([MOVE_INVOICE, MOVE_REFUND, MOVE_DEBIT, MOVE_LOOSE_REFUND, MOVE_USD]));
    onReads();

    const pages = await collect(source().poll!({ source: SOURCE }));
    expect(nock.pendingMocks()).toEqual([]);
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page!.events.map(brief)).toEqual([
      ['order.paid', 'invoice', '101', null, null, 'move:101:posted'],
      ['order.refunded', 'credit_note', '101', '102', null, 'move:102:posted'],
      ['order.edited', 'debit_note', '101', null, '103', 'move:103:posted'],
      ['order.paid', 'invoice', '105', null, null, 'move:105:posted'],
    ]);
    expect(page!.events.every((e) => e.source === SOURCE)).toBe(true);
    expect(page!.events[0]!.occurredAt).toBe('2026-11-20T15:04:05Z');
    expect(page!.events[0]!.orderTotal).toBe('445420.50');
    // Asks again from 10 minutes (the overlap) before the newest move, skipping the moves it listed.
    expect(page!.cursor).toBe('v2|2026-11-20 14:58:30|2026-11-20 15:08:30|101@1795187045,102@1795187045,103@1795187170,104@1795187220,105@1795187310');
    expect([page!.scanned, page!.total]).toEqual([5, 5]);
    // The credit note typed by hand reverses no invoice: left out, and said so (by id only).
    expect(warnings).toEqual([expect.objectContaining({ moveId: '104', reason: expect.stringContaining('reverses no invoice') })]);

    // What was asked: posted customer invoices and credit notes, from the beginning, write_date then id.
    const [search] = searchReads();
    expect(domainOf(search!)).toEqual([
      ['move_type', 'in', ['out_invoice', 'out_refund']],
      ['state', '=', 'posted'],
      ['write_date', '>=', '1970-01-01 00:00:00'],
    ]);
    expect(kwArgs(search!).kwargs).toMatchObject({ order: 'write_date asc, id asc', limit: 100 });
    expect(kwArgs(search!).kwargs.fields).toEqual(expect.arrayContaining(['reversed_entry_id', 'debit_origin_id', 'invoice_line_ids', 'write_date']));
    // One read per model for the whole page, never one per move.
    const reads = seen.filter((b) => b.params.args[4] === 'read').map((b) => b.params.args[3]);
    expect(reads.sort()).toEqual(['account.move.line', 'account.tax', 'product.product', 'res.country', 'res.currency', 'res.partner']);
  });

  it('stores a self-contained payload: decimal strings, lines with their taxes, the buyer as Odoo knows it', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(2));
    onCall('account.move', 'search_read', rpcResult([MOVE_INVOICE, MOVE_USD]));
    onReads();
    const [page] = await collect(source().poll!({ source: SOURCE }));
    const invoice = page!.events[0]!.payload as OdooMovePayload;
    const usd = page!.events[1]!.payload as OdooMovePayload;

    expect(invoice).toMatchObject({
      id: '101',
      name: 'INV/2026/00101',
      moveType: 'out_invoice',
      documentKind: 'invoice',
      writeDate: '2026-11-20T15:04:05Z',
      invoiceDate: '2026-11-20',
      invoiceOrigin: 'S00042',
      invoiceDateDue: '2026-12-20',
      onCredit: true,
      ref: null,
      reversedEntry: null,
      currency: { id: '8', name: 'COP', decimalPlaces: 2 },
      amountUntaxed: '394050.00',
      amountTax: '51370.50',
      amountTotal: '445420.50',
    });
    // The tax identity is the company's; where to write and whom to mail is the contact's.
    expect(invoice.partner).toEqual({
      id: '44',
      name: 'Tostadora Andina SAS',
      vat: '900123456-8',
      identificationType: { id: '1', name: 'NIT' },
      isCompany: true,
      email: 'laura.gomez@tostadoraandina.example',
      phone: '+57 601 7456321',
      address: { street: 'Carrera 7 # 71-21', street2: null, city: 'Bogotá', state: 'Bogotá D.C.', zip: '110231', countryCode: 'CO' },
    });
    expect(invoice.lines.map((l) => [l.id, l.displayType, l.product?.code ?? null, l.quantity, l.priceUnit, l.discountPercent, l.netAmount])).toEqual([
      ['900', 'line_section', null, '0', '0', '0', '0.00'],
      ['901', 'product', 'CAF-HUI-500', '3', '42000', '10', '113400.00'],
      ['902', 'product', 'MOL-CER-01', '1', '189900', '0', '189900.00'],
      ['903', 'product', 'CAF-VER-1K', '2.5', '31500', '0', '78750.00'],
      ['904', 'product', 'ENVIO', '1', '12000', '0', '12000.00'],
    ]);
    expect(invoice.lines[1]!.taxes).toEqual([{ id: '3', name: 'INC 8%', amount: '8', amountType: 'percent', priceInclude: false }]);
    expect(invoice.lines[3]!.uom).toBe('kg');

    // Odoo's float noise is gone at the door; a group tax is its children.
    expect([usd.amountUntaxed, usd.amountTotal]).toEqual(['153.60', '195.07']);
    expect(usd.lines[0]).toMatchObject({ quantity: '12', priceUnit: '12.8', priceSubtotal: '153.60', priceTotal: '195.07', product: { id: '6', code: null, name: 'Filtros de papel x100' } });
    expect(usd.lines[0]!.taxes.map((t) => [t.name, t.amount])).toEqual([['IVA 19%', '19'], ['INC 8%', '8']]);
    expect(usd.partner).toMatchObject({ vat: 'AB1234567', identificationType: { name: 'Pasaporte' }, address: { countryCode: 'US', state: null } });
    // Ids are text everywhere; no JS number reaches the payload's amounts.
    expect(JSON.stringify(usd)).not.toMatch(/"(amount\w*|price\w*|quantity|netAmount)":\d/);
  });

  it('pages through moves sharing one write_date without losing or repeating one', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(5));
    onCall('account.move', 'search_read', rpcResult([MOVE_INVOICE, MOVE_REFUND]));
    onCall('account.move', 'search_read', rpcResult([MOVE_DEBIT, MOVE_LOOSE_REFUND]));
    onCall('account.move', 'search_read', rpcResult([MOVE_USD]));
    for (let i = 0; i < 3; i++) onReads();
    // The USD move's group tax: its children (IVA 19 %, INC 8 %) are read after it.
    onRead('account.tax');

    const pages = await collect(source({ pageSize: 2 }).poll!({ source: SOURCE }));
    expect(pages.map((p) => [p.cursor, p.events.map((e) => e.deliveryId)])).toEqual([
      ['v2|2026-11-20 14:54:05|2026-11-20 15:04:05|101@1795187045,102@1795187045', ['move:101:posted', 'move:102:posted']],
      ['v2|2026-11-20 14:57:00|2026-11-20 15:07:00|101@1795187045,102@1795187045,103@1795187170,104@1795187220', ['move:103:posted']],
      [
        'v2|2026-11-20 14:58:30|2026-11-20 15:08:30|101@1795187045,102@1795187045,103@1795187170,104@1795187220,105@1795187310',
        ['move:105:posted'],
      ],
    ]);
    const domains = searchReads().map((b) => domainOf(b).slice(2));
    expect(domains).toEqual([
      [['write_date', '>=', '1970-01-01 00:00:00']],
      [['write_date', '>=', '2026-11-20 14:54:05'], ['id', 'not in', [101, 102]]],
      [['write_date', '>=', '2026-11-20 14:57:00'], ['id', 'not in', [101, 102, 103, 104]]],
    ]);
    expect(searchReads().every((b) => kwArgs(b).kwargs.limit === 2)).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
    expect((pages[2]!.events[0]!.payload as OdooMovePayload).lines[0]!.taxes.map((t) => t.id)).toEqual(['1', '3']);
  });

  it('continues from a stored cursor: the moves of that second it has not seen, then later ones', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(1));
    onCall('account.move', 'search_read', rpcResult([MOVE_REFUND]));
    onReads();
    const pages = await collect(source().poll!({ source: SOURCE, cursor: 'v2|2026-11-20 14:54:05|2026-11-20 15:04:05|101@1795187045' }));
    expect(domainOf(searchReads()[0]!).slice(2)).toEqual([['write_date', '>=', '2026-11-20 14:54:05'], ['id', 'not in', [101]]]);
    expect(pages.map((p) => [p.cursor, p.events.map(brief)])).toEqual([
      ['v2|2026-11-20 14:54:05|2026-11-20 15:04:05|101@1795187045,102@1795187045', [['order.refunded', 'credit_note', '101', '102', null, 'move:102:posted']]],
    ]);
  });

  it('yields no page when nothing changed, so the stored cursor stays', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(0));
    onCall('account.move', 'search_read', rpcResult([]));
    expect(await collect(source().poll!({ source: SOURCE, cursor: 'v2|2026-11-20 14:58:30|2026-11-20 15:08:30|105@1795187310' }))).toEqual([]);
  });

  it('a backfill starts at `since` (converted to Odoo\'s UTC), within the configured journals and company', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(0));
    onCall('account.move', 'search_read', rpcResult([]));
    await collect(source({ journals: ['INV', 'FEV'], company: 1 }).poll!({ source: SOURCE, since: '2026-11-01T00:00:00-05:00' }));
    expect(domainOf(searchReads()[0]!)).toEqual([
      ['move_type', 'in', ['out_invoice', 'out_refund']],
      ['state', '=', 'posted'],
      ['journal_id.code', 'in', ['INV', 'FEV']],
      ['company_id', '=', 1],
      ['write_date', '>=', '2026-11-01 05:00:00'],
    ]);
    const count = seen.find((b) => b.params.args[4] === 'search_count')!;
    expect(domainOf(count)).toEqual(domainOf(searchReads()[0]!));
    // Odoo's company rules let the user see the configured company's moves.
    expect(kwArgs(searchReads()[0]!).kwargs.context).toEqual({ allowed_company_ids: [1], active_test: false });
  });

  it('works with an Odoo without debit notes or identification types (modules not installed)', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS, ['account.move.debit_origin_id', 'res.partner.l10n_latam_identification_type_id']);
    onCall('account.move', 'search_count', rpcResult(1));
    const { debit_origin_id: _d, ...invoice } = MOVE_INVOICE;
    onCall('account.move', 'search_read', rpcResult([invoice]));
    onReads();
    const [page] = await collect(source().poll!({ source: SOURCE }));
    expect(page!.events.map(brief)).toEqual([['order.paid', 'invoice', '101', null, null, 'move:101:posted']]);
    expect(kwArgs(searchReads()[0]!).kwargs.fields).not.toContain('debit_origin_id');
    const partnerRead = seen.find((b) => b.params.args[3] === 'res.partner' && b.params.args[4] === 'read')!;
    expect(kwArgs(partnerRead).args[1]).not.toContain('l10n_latam_identification_type_id');
  });

  it('an Odoo that lacks a field Puente needs fails the poll with a config error naming it, before reading moves', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS, ['account.move.reversed_entry_id']);
    onCall('account.move', 'search_count', rpcResult(1));
    const error = await collect(source().poll!({ source: SOURCE })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OdooError);
    expect((error as OdooError).kind).toBe('config');
    expect((error as OdooError).message).toContain("account.move has no field reversed_entry_id");
    expect(searchReads()).toEqual([]);
  });

  it('a revoked key fails the poll with an auth error; a cursor Puente did not write, with a config error', async () => {
    onLogin();
    onCall('account.move', 'search_count', rpcError('odoo.exceptions.AccessDenied', 'Access Denied'));
    const denied = await collect(source().poll!({ source: SOURCE })).catch((e: unknown) => e);
    expect((denied as OdooError).kind).toBe('auth');
    const bad = await collect(source().poll!({ source: SOURCE, cursor: '2026-11-20T15:04:05Z' })).catch((e: unknown) => e);
    expect((bad as OdooError).kind).toBe('config');
    expect((bad as OdooError).message).toContain('poll cursor');
  });

  it('a source no Odoo connection has fails when iterated, naming it', async () => {
    const error = await collect(source().poll!({ source: 'odoo:other.example/prod' })).catch((e: unknown) => e);
    expect((error as OdooError).message).toContain('no Odoo connection has the source odoo:other.example/prod');
  });

  it('stops between pages when the caller aborts', async () => {
    onLogin();
    onFieldsGet(ALL_FIELDS);
    onCall('account.move', 'search_count', rpcResult(5));
    onCall('account.move', 'search_read', rpcResult([MOVE_INVOICE, MOVE_REFUND]));
    onReads();
    const controller = new AbortController();
    const pages: PollPage[] = [];
    const run = (async () => {
      for await (const page of source({ pageSize: 2 }).poll!({ source: SOURCE, signal: controller.signal })) {
        pages.push(page);
        controller.abort();
      }
    })();
    await expect(run).rejects.toThrow();
    expect(pages).toHaveLength(1);
    expect(searchReads()).toHaveLength(1);
  });
});
