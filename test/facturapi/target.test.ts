/**
 * The FacturApi target against nock: numbering, CDC and security code, multi-status submit, lote
 * status (0361/0362/0364), the 48-hour switch to consultation by CDC, lookup, events and config.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { computeCdc, securityCodeFor } from '../../connectors/facturapi/cdc.js';
import { parseFacturapiTargetConfig } from '../../connectors/facturapi/config.js';
import { exampleFactura, exampleNota } from '../../connectors/facturapi/sandbox/examples.js';
import { createFacturapiTarget, type FacturapiReceipt, type FacturapiTarget } from '../../connectors/facturapi/target.js';
import type { FacturapiDe } from '../../connectors/facturapi/wire.js';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';

const ORIGIN = 'http://facturapi.test';
const TENANT = 'acme-py';
const KEY = 'api_key_0123456789abcdef0123456789abcdef';
const CONFIG = { type: 'facturapi', baseUrl: ORIGIN, tenantId: TENANT, apiKey: KEY, ruc: '80123456-5', tipoContribuyente: 2, requestsPerMinute: 6000 } as const;
const SENT_AT = Date.parse('2026-11-22T13:20:00Z');

let clock = SENT_AT;
const targets: FacturapiTarget[] = [];
function target(overrides: Record<string, unknown> = {}): FacturapiTarget {
  const t = createFacturapiTarget({ ...CONFIG, ...overrides } as never, { now: () => new Date(clock), client: { retry: { retries: 1, minTimeout: 1, maxTimeout: 2 } } });
  targets.push(t);
  return t;
}

function outgoing(id: string, wire: FacturapiDe, kind: DocumentKind = 'invoice'): OutgoingDocument {
  return { documentId: id, idempotencyKey: `shopify:acme|${id}|${kind}`, kind, series: '001-001', number: String(wire.numero), wire, fiscal: {} as FiscalDocument };
}
const batchOf = (kind: DocumentKind, ...documents: OutgoingDocument[]): OutgoingBatch => ({ batchId: `b-${documents[0]?.documentId}`, kind, series: '001-001', documents });
const cdcFor = (doc: OutgoingDocument) =>
  computeCdc({ tipoDocumento: (doc.wire as FacturapiDe).tipoDocumento, ruc: '80123456', dv: '5', establecimiento: '001', punto: '001', numero: String((doc.wire as FacturapiDe).numero), tipoContribuyente: 2, fecha: '2026-11-22', tipoEmision: 1, codigoSeguridad: securityCodeFor(KEY, doc.idempotencyKey) });

const accepted = (...cdcs: string[]) => ({
  success: true,
  result: { dFecProc: 'x', dCodRes: '0300', dMsgRes: 'Lote recibido con éxito', dProtConsLote: '1000000007', deList: cdcs.map((cdc) => ({ cdc, tipoDocumento: 1, numero: '', estado: '0-Generado' })) },
});
const lote = (code: string, results?: unknown[]) => ({ success: true, result: { dFecProc: 'x', dCodResLot: code, dMsgResLot: 'm', ...(results ? { gResProcLote: results } : {}) } });
const estados = (...entries: unknown[]) => ({ success: true, result: { deList: entries } });

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  clock = SENT_AT;
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('numbering, CDC and the wire sent', () => {
  it('numbers each kind in establecimiento-punto with the configured first number', () => {
    const t = target({ establecimiento: '2', numbering: { invoice: { firstNumber: 1500 }, credit_note: { punto: '003' } } });
    expect(t.numbering).toBe('client');
    expect(t.numberingFor?.('invoice')).toEqual({ series: '002-001', firstNumber: 1500, lastNumber: 9_999_999 });
    expect(t.numberingFor?.('credit_note')).toEqual({ series: '002-003', firstNumber: 1, lastNumber: 9_999_999 });
    expect(t.numberingFor?.('export_invoice')).toBeUndefined();
    expect(t.batchLimits).toEqual({ maxDocuments: 50, maxBytes: 1000 * 1024, lingerMs: 2000 });
  });

  it('sends fecha in local time with a security code derived from the idempotency key, so the CDC is known in advance', () => {
    const t = target();
    const doc = outgoing('d1', exampleFactura(137, { fecha: '2026-11-22T10:15:04-03:00' }));
    const sent = t.wireToSend(doc);
    expect(sent.fecha).toBe('2026-11-22T10:15:04');
    expect(sent.codigoSeguridadAleatorio).toBe(securityCodeFor(KEY, doc.idempotencyKey));
    expect(t.cdcOf(doc)).toBe(cdcFor(doc));
    // A configured secret takes over from the API key.
    expect(target({ securityCodeSecret: 'a-stable-secret-of-32-characters' }).wireToSend(doc).codigoSeguridadAleatorio).toBe(securityCodeFor('a-stable-secret-of-32-characters', doc.idempotencyKey));
    // A CDC in the wire wins.
    expect(t.cdcOf(outgoing('d2', exampleFactura(137, { cdc: '01800695631001001000000612021112917595714694' })))).toBe('01800695631001001000000612021112917595714694');
  });
});

describe('submit', () => {
  it('sends one lote and reports every document pending under its CDC, with a receipt', async () => {
    const t = target();
    const a = outgoing('a', exampleFactura(1));
    const b = outgoing('b', exampleFactura(2));
    let body: FacturapiDe[] = [];
    nock(ORIGIN)
      .post(`/${TENANT}/lote/create`, (sent) => ((body = sent), true))
      .reply(200, accepted(cdcFor(a), cdcFor(b)));
    const submission = await t.submit(batchOf('invoice', a, b));
    expect(submission.results).toEqual([
      { documentId: 'a', outcome: 'pending', uuid: cdcFor(a) },
      { documentId: 'b', outcome: 'pending', uuid: cdcFor(b) },
    ]);
    expect(submission.receipt).toEqual({ loteId: '1000000007', sentAt: new Date(SENT_AT).toISOString(), tipoDocumento: 1, documents: { a: { cdc: cdcFor(a) }, b: { cdc: cdcFor(b) } } });
    expect(body.map((d) => d.codigoSeguridadAleatorio)).toEqual([securityCodeFor(KEY, a.idempotencyKey), securityCodeFor(KEY, b.idempotencyKey)]);
  });

  it('refuses, without a request, a document outside its numbering series or of another kind', async () => {
    const t = target();
    const wrongPunto = outgoing('p', exampleFactura(3, { punto: '002' }));
    const credit = outgoing('c', exampleNota(5, 1, '01800695631001001000000612021112917595714694'), 'credit_note');
    const submission = await t.submit(batchOf('invoice', wrongPunto, credit));
    expect(submission.results).toEqual([
      expect.objectContaining({ documentId: 'p', outcome: 'rejected', field: 'establecimiento' }),
      expect.objectContaining({ documentId: 'c', outcome: 'rejected', field: 'tipoDocumento' }),
    ]);
    expect(submission.receipt).toBeUndefined();
  });

  it('a refused lote rejects the documents FacturApi named and sends the others again later', async () => {
    const t = target();
    nock(ORIGIN)
      .post(`/${TENANT}/lote/create`)
      .reply(400, { success: false, error: 'Documento 2: x', errores: [{ indice: 1, error: 'Valor invalido "iva"=7 proporcionado en data.items[0].iva: 0, 5 o 10' }] });
    const submission = await t.submit(batchOf('invoice', outgoing('ok', exampleFactura(4)), outgoing('bad', exampleFactura(5))));
    expect(submission.results).toEqual([
      { documentId: 'ok', outcome: 'failed', kind: 'retryable', reason: expect.stringMatching(/another document/) },
      { documentId: 'bad', outcome: 'rejected', reason: expect.stringMatching(/data\.items\[0\]\.iva/), field: 'items[0].iva', messages: [expect.any(String)] },
    ]);
  });

  it('0301 (not queued) is retryable; a lost answer is unknown_outcome; 429 and 401 reach every document', async () => {
    const t = target();
    const doc = outgoing('x', exampleFactura(6));
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(200, { success: true, result: { dFecProc: 'x', dCodRes: '0301', dMsgRes: 'Lote no encolado para procesamiento', deList: [] } });
    expect((await t.submit(batchOf('invoice', doc))).results).toEqual([{ documentId: 'x', outcome: 'failed', kind: 'retryable', reason: 'SIFEN 0301: Lote no encolado para procesamiento' }]);
    nock(ORIGIN).post(`/${TENANT}/lote/create`).replyWithError('socket hang up');
    expect((await t.submit(batchOf('invoice', doc))).results).toEqual([expect.objectContaining({ outcome: 'failed', kind: 'unknown_outcome' })]);
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(401, { success: false, error: 'API key inválida' });
    expect((await target().submit(batchOf('invoice', doc))).results).toEqual([expect.objectContaining({ outcome: 'failed', kind: 'auth' })]);
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(429, { success: false, error: 'Demasiadas' }, { 'Retry-After': '9' });
    const limited = await target().submit(batchOf('invoice', doc, outgoing('y', exampleFactura(7))));
    expect(limited.results.map((r) => (r.outcome === 'failed' ? [r.kind, r.retryAfterMs] : r.outcome))).toEqual([['rate_limited', 9000], ['rate_limited', 9000]]);
  });

  it('0270 (too large for SIFEN) rejects the documents with advice to lower batch.maxBytes', async () => {
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(200, { success: true, result: { dFecProc: 'x', dCodRes: '0270', dMsgRes: 'Mensaje excede tamaño máximo permitido', deList: [] } });
    expect((await target().submit(batchOf('invoice', outgoing('x', exampleFactura(8))))).results).toEqual([expect.objectContaining({ outcome: 'rejected', reason: expect.stringMatching(/batch\.maxBytes/) })]);
  });
});

describe('status and lookup', () => {
  const a = outgoing('a', exampleFactura(1));
  const b = outgoing('b', exampleFactura(2));
  const receipt = (): FacturapiReceipt => ({ loteId: '1000000007', sentAt: new Date(SENT_AT).toISOString(), tipoDocumento: 1, documents: { a: { cdc: cdcFor(a) }, b: { cdc: cdcFor(b) } } });

  it('0361 keeps every document pending', async () => {
    nock(ORIGIN).get(`/${TENANT}/lote/1000000007`).reply(200, lote('0361'));
    const status = await target().status(receipt() as never, batchOf('invoice', a, b));
    expect(status).toEqual({ done: false, results: [expect.objectContaining({ documentId: 'a', outcome: 'pending' }), expect.objectContaining({ documentId: 'b', outcome: 'pending' })] });
  });

  it('0362 gives each document its verdict: Aprobado con observación is issued with the observation, Rechazado carries SIFEN’s reasons', async () => {
    nock(ORIGIN)
      .get(`/${TENANT}/lote/1000000007`)
      .reply(200, lote('0362', [
        { id: cdcFor(a), dEstRes: 'Aprobado con observación', dProtAut: '99', gResProc: [{ dCodRes: '1006', dMsgRes: 'DE transmitido fuera del plazo' }] },
        { id: cdcFor(b), dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1005', dMsgRes: 'Dígito verificador del RUC del receptor inválido' }] },
      ]));
    const status = await target().status(receipt() as never, batchOf('invoice', a, b));
    expect(status).toEqual({
      done: true,
      results: [
        { documentId: 'a', outcome: 'issued', fiscalNumber: '001-001-0000001', uuid: cdcFor(a), messages: ['1006: DE transmitido fuera del plazo'] },
        { documentId: 'b', outcome: 'rejected', reason: '1005: Dígito verificador del RUC del receptor inválido', messages: ['1005: Dígito verificador del RUC del receptor inválido'] },
      ],
    });
  });

  it('a CDC SIFEN calls duplicated (1001) is issued when its approved copy is found', async () => {
    nock(ORIGIN)
      .get(`/${TENANT}/lote/1000000007`)
      .reply(200, lote('0362', [{ id: cdcFor(a), dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1001', dMsgRes: 'CDC duplicado' }] }]))
      .post(`/${TENANT}/de/estado`, { cdcList: [{ cdc: cdcFor(a) }] })
      .reply(200, estados({ cdc: cdcFor(a), estado: '1-Aprobado', dCodRes: '0422', dMsgRes: 'CDC encontrado' }));
    const status = await target().status({ ...receipt(), documents: { a: { cdc: cdcFor(a) } } } as never, batchOf('invoice', a));
    expect(status.results).toEqual([{ documentId: 'a', outcome: 'issued', fiscalNumber: '001-001-0000001', uuid: cdcFor(a) }]);
  });

  it('0364 (past 48 h), or a receipt older than 48 h, is answered by CDC', async () => {
    nock(ORIGIN)
      .get(`/${TENANT}/lote/1000000007`)
      .reply(200, lote('0364'))
      .post(`/${TENANT}/de/estado`)
      .reply(200, estados({ cdc: cdcFor(a), estado: '1-Aprobado', dCodRes: '0422', dMsgRes: 'ok' }, { cdc: cdcFor(b), estado: '0-Generado', dCodRes: '0420', dMsgRes: 'x' }));
    const first = await target().status(receipt() as never, batchOf('invoice', a, b));
    expect(first).toEqual({ done: false, results: [expect.objectContaining({ documentId: 'a', outcome: 'issued' }), expect.objectContaining({ documentId: 'b', outcome: 'pending' })] });

    clock = SENT_AT + 48 * 3600_000;
    const scope = nock(ORIGIN).post(`/${TENANT}/de/estado`).reply(200, estados({ cdc: cdcFor(a), estado: '1-Aprobado', dCodRes: '0422', dMsgRes: 'ok' }, { cdc: cdcFor(b), estado: '3-Rechazado', dCodRes: '0420', dMsgRes: 'x', gResProc: [{ dCodRes: '1002', dMsgRes: 'Número duplicado' }] }));
    const late = await target().status(receipt() as never, batchOf('invoice', a, b));
    expect(scope.isDone()).toBe(true);
    expect(late).toEqual({ done: true, results: [expect.objectContaining({ outcome: 'issued' }), expect.objectContaining({ outcome: 'rejected', reason: '1002: Número duplicado' })] });
  });

  it('a concluded lote that does not mention a document leaves it out, for the dispatcher to look up', async () => {
    nock(ORIGIN).get(`/${TENANT}/lote/1000000007`).reply(200, lote('0362', [{ id: cdcFor(a), dEstRes: 'Aprobado', dProtAut: '1', gResProc: [{ dCodRes: '0260', dMsgRes: 'ok' }] }]));
    const status = await target().status(receipt() as never, batchOf('invoice', a, b));
    expect(status).toEqual({ done: true, results: [{ documentId: 'a', outcome: 'issued', fiscalNumber: '001-001-0000001', uuid: cdcFor(a) }] });
  });

  it('refuses a receipt that is not its own', async () => {
    await expect(target().status({ zipKey: 'x' }, batchOf('invoice', a))).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('lookup asks by the recomputed CDC: approved → issued, generated → pending, unknown → null, cancelled → issued', async () => {
    const t = target();
    const reply = (estado: string | null) => nock(ORIGIN).post(`/${TENANT}/de/estado`, { cdcList: [{ cdc: cdcFor(a) }] }).reply(200, estados({ cdc: cdcFor(a), estado, dCodRes: '0422', dMsgRes: 'x' }));
    reply('2-Aprobado con observación');
    expect(await t.lookup(a)).toMatchObject({ outcome: 'issued', uuid: cdcFor(a), fiscalNumber: '001-001-0000001' });
    reply('0-Generado');
    expect(await t.lookup(a)).toEqual({ documentId: 'a', outcome: 'pending', uuid: cdcFor(a) });
    reply(null);
    expect(await t.lookup(a)).toBeNull();
    reply('4-Cancelado');
    expect(await t.lookup(a)).toMatchObject({ outcome: 'issued', messages: ['cancelado por evento de cancelación'] });
  });
});

describe('events and RUC', () => {
  it('cancel sends the document’s CDC and motivo; a short motivo is refused without a request', async () => {
    const t = target();
    const doc = outgoing('a', exampleFactura(1));
    await expect(t.cancel({ document: doc, motivo: 'no' })).rejects.toMatchObject({ kind: 'rejected', field: 'motivo' });
    nock(ORIGIN).post(`/${TENANT}/evento/cancelacion`, { cdc: cdcFor(doc), motivo: 'Pedido cancelado por el cliente' }).reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'ok', id: '1' } });
    expect(await t.cancel({ document: doc, motivo: ' Pedido cancelado por el cliente ' })).toMatchObject({ dCodRes: '0600' });
  });

  it('voidNumbers inutilizes a range of the kind’s series', async () => {
    const t = target({ numbering: { credit_note: { punto: '003' } } });
    await expect(t.voidNumbers({ kind: 'credit_note', desde: 5, hasta: 4, motivo: 'Número rechazado' })).rejects.toMatchObject({ field: 'desde' });
    const scope = nock(ORIGIN)
      .post(`/${TENANT}/evento/inutilizacion`, { tipoDocumento: 5, establecimiento: '001', punto: '003', desde: 7, hasta: 7, motivo: 'Número rechazado por SIFEN' })
      .reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'ok', id: '2' } });
    await t.voidNumbers({ kind: 'credit_note', desde: 7, hasta: 7, motivo: 'Número rechazado por SIFEN' });
    expect(scope.isDone()).toBe(true);
  });

  it('lookupRuc checks the digit, then asks', async () => {
    await expect(target().lookupRuc('80069563-9')).rejects.toMatchObject({ kind: 'rejected' });
  });
});

describe('config', () => {
  it('names the key of every problem and never echoes the API key', () => {
    expect(() => parseFacturapiTargetConfig({ ...CONFIG, ruc: '80123456-4' })).toThrow(/ruc has the wrong check digit: SET's modulo 11 gives 5/);
    expect(() => parseFacturapiTargetConfig({ ...CONFIG, batch: { maxDocuments: 51 } })).toThrow(/batch\.maxDocuments must be at most 50/);
    expect(() => parseFacturapiTargetConfig({ ...CONFIG, tipoContribuyente: 3 })).toThrow(/tipoContribuyente must be 1/);
    expect(() => parseFacturapiTargetConfig({ ...CONFIG, numbering: { invoice: { firstNumber: 10, lastNumber: 5 } } })).toThrow(/numbering\.invoice\.lastNumber/);
    expect(() => parseFacturapiTargetConfig({ ...CONFIG, apiKey: 'x y' })).toThrow(/apiKey must be/);
    try {
      parseFacturapiTargetConfig({ ...CONFIG, extra: true });
    } catch (error) {
      expect((error as Error).message).toMatch(/unknown key\(s\) extra/);
      expect((error as Error).message).not.toContain(KEY);
    }
    expect(parseFacturapiTargetConfig({ ...CONFIG, establecimiento: 1, baseUrl: `${ORIGIN}/` })).toMatchObject({ establecimiento: '001', punto: '001', baseUrl: ORIGIN });
  });
});
