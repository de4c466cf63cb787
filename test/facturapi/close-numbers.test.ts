/**
 * FacturApi's closeNumbers against nock: a voided document's number becomes SIFEN's inutilización
 * event for the document's own tipoDocumento, establecimiento and punto, desde = hasta = its number,
 * with the void's reason as motivo. "Already inutilized" for that one number counts as closed; every
 * other answer keeps its kind, so the closure queue retries or fails it.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFacturapiTarget, type FacturapiTarget } from '../../connectors/facturapi/target.js';

const ORIGIN = 'http://facturapi.test';
const TENANT = 'acme-py';
const KEY = 'api_key_0123456789abcdef0123456789abcdef';
const CONFIG = { type: 'facturapi', baseUrl: ORIGIN, tenantId: TENANT, apiKey: KEY, ruc: '80123456-5', tipoContribuyente: 2, requestsPerMinute: 6000 } as const;

const targets: FacturapiTarget[] = [];
function target(overrides: Record<string, unknown> = {}): FacturapiTarget {
  const t = createFacturapiTarget({ ...CONFIG, ...overrides } as never, { client: { retry: { retries: 0, minTimeout: 1, maxTimeout: 2 } } });
  targets.push(t);
  return t;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

const refused = (error: string) => ({ success: false, error });

describe('closing a voided document’s number at FacturApi (SIFEN inutilización)', () => {
  it('sends the inutilización of exactly that number, in the document’s series, with the reason as motivo', async () => {
    const t = target({ numbering: { credit_note: { punto: '003' } } });
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .post(`/${TENANT}/evento/inutilizacion`, { tipoDocumento: 5, establecimiento: '002', punto: '004', desde: 17, hasta: 17, motivo: 'Nota emitida a mano' })
      .reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'Evento registrado correctamente', id: '1000000042' } });
    // The series is the document's (where it was numbered), not necessarily today's configuration.
    expect(await t.closeNumbers!({ kind: 'credit_note', series: '002-004', from: 17, to: 17, reason: '  Nota emitida a mano  ' })).toEqual({ reference: '1000000042' });
    expect(scope.isDone()).toBe(true);
  });

  it('invoice and debit note numbers go with their own tipoDocumento', async () => {
    const t = target();
    const scope = nock(ORIGIN)
      .post(`/${TENANT}/evento/inutilizacion`, { tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 3, hasta: 3, motivo: 'Pedido de prueba' })
      .reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'ok', id: '1' } })
      .post(`/${TENANT}/evento/inutilizacion`, { tipoDocumento: 6, establecimiento: '001', punto: '001', desde: 9, hasta: 9, motivo: 'Pedido de prueba' })
      .reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'ok', id: '2' } });
    await t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 3, to: 3, reason: 'Pedido de prueba' });
    await t.closeNumbers!({ kind: 'debit_note', series: '001-001', from: 9, to: 9, reason: 'Pedido de prueba' });
    expect(scope.isDone()).toBe(true);
  });

  it('"already inutilized" for our one number is closed (an earlier attempt went through); for a wider range it is still a refusal', async () => {
    const t = target();
    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`).reply(400, refused('El rango ya fue inutilizado, total o parcialmente'));
    expect(await t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 5, reason: 'Pedido de prueba' })).toEqual({ alreadyClosed: true });

    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`).reply(400, refused('El rango ya fue inutilizado, total o parcialmente'));
    await expect(t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 8, reason: 'Pedido de prueba' })).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('keeps the kind of every other answer: a refusal is rejected, a lost answer is unknown, a 429 is rate limited', async () => {
    const t = target();
    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`).reply(400, refused('No se puede inutilizar: el número 001-001-0000005 corresponde a un DE emitido o en proceso'));
    await expect(t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 5, reason: 'Pedido de prueba' })).rejects.toMatchObject({
      kind: 'rejected',
      message: expect.stringMatching(/corresponde a un DE emitido/),
    });
    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`).reply(503, refused('Servicio no disponible'));
    await expect(t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 5, reason: 'Pedido de prueba' })).rejects.toMatchObject({ kind: 'unknown_outcome' });
    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`).reply(429, refused('Demasiadas solicitudes'), { 'Retry-After': '7' });
    await expect(t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 5, reason: 'Pedido de prueba' })).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 7000 });
  });

  it('refuses without a request what SIFEN would refuse: a short motivo, a kind it does not number', async () => {
    const t = target();
    await expect(t.closeNumbers!({ kind: 'invoice', series: '001-001', from: 5, to: 5, reason: 'no' })).rejects.toMatchObject({ kind: 'rejected', field: 'motivo' });
    await expect(t.closeNumbers!({ kind: 'export_invoice', series: '001-001', from: 5, to: 5, reason: 'Pedido de prueba' })).rejects.toMatchObject({ kind: 'rejected', field: 'kind' });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
