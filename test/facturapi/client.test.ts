/**
 * FacturapiClient against nock: every call, its auth and body, every error class, the retry policy
 * (reads only) and the rate-limit pause. No real network.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FacturapiClient, FacturapiLoteRefusedError, fieldOf, retryAfterMsFrom } from '../../connectors/facturapi/client.js';
import { TargetError } from '../../src/errors.js';

const ORIGIN = 'http://facturapi.test';
const TENANT = 'acme-py';
const KEY = 'api_key_0123456789abcdef0123456789abcdef';
const CDC = '01801234565001001000013722026112214829157369';

let current: FacturapiClient | undefined;
function client(overrides: Partial<ConstructorParameters<typeof FacturapiClient>[0]> = {}) {
  current = new FacturapiClient({ baseUrl: ORIGIN, tenantId: TENANT, apiKey: KEY, requestsPerMinute: 6000, retry: { retries: 2, minTimeout: 1, maxTimeout: 5 }, ...overrides });
  return current;
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected the call to fail');
}

const loteAccepted = {
  success: true,
  result: {
    dFecProc: '2026-11-22T13:20:00.000Z',
    dCodRes: '0300',
    dMsgRes: 'Lote recibido con éxito',
    dProtConsLote: '1000000001',
    dTpoProces: '3',
    deList: [{ cdc: CDC, tipoDocumento: 1, numero: '001-001-0000137', estado: '0-Generado' }],
  },
};

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await current?.close();
  current = undefined;
});

describe('FacturapiClient calls', () => {
  it('createLote posts the array of DE to /{tenant}/lote/create with the bearer API key', async () => {
    const docs = [{ tipoDocumento: 1, numero: '137' }];
    const scope = nock(ORIGIN, { reqheaders: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', accept: 'application/json' } })
      .post(`/${TENANT}/lote/create`, docs)
      .reply(200, loteAccepted);
    const result = await client().createLote(docs);
    expect(result).toMatchObject({ dCodRes: '0300', dProtConsLote: '1000000001', deList: [{ cdc: CDC, estado: '0-Generado' }] });
    expect(scope.isDone()).toBe(true);
  });

  it('createLote asks for SIFEN’s totals with ?tax=true', async () => {
    const scope = nock(ORIGIN).post(`/${TENANT}/lote/create`).query({ tax: 'true' }).reply(200, loteAccepted);
    await client().createLote([{}], { tax: true });
    expect(scope.isDone()).toBe(true);
  });

  it('consultaLote reads 0362 and turns a single gResProc object into a list', async () => {
    nock(ORIGIN)
      .get(`/${TENANT}/lote/1000000001`)
      .reply(200, { success: true, result: { dFecProc: 'x', dCodResLot: '0362', dMsgResLot: 'ok', gResProcLote: [{ id: CDC, dEstRes: 'Rechazado', gResProc: { dCodRes: 1001, dMsgRes: 'CDC duplicado' } }] } });
    const result = await client().consultaLote('1000000001');
    expect(result.gResProcLote).toEqual([{ id: CDC, dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1001', dMsgRes: 'CDC duplicado' }] }]);
  });

  it('estadoDe posts { cdcList: [{ cdc }] } and returns each entry', async () => {
    const scope = nock(ORIGIN)
      .post(`/${TENANT}/de/estado`, { cdcList: [{ cdc: CDC }] })
      .reply(200, { success: true, result: { deList: [{ cdc: CDC, estado: '1-Aprobado', dCodRes: '0422', dMsgRes: 'CDC encontrado', dProtAut: 123 }] } });
    expect(await client().estadoDe([CDC])).toEqual([{ cdc: CDC, estado: '1-Aprobado', dCodRes: '0422', dMsgRes: 'CDC encontrado', dProtAut: '123' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('cancelar and inutilizar post the event bodies and read SIFEN’s answer', async () => {
    const c = client();
    nock(ORIGIN).post(`/${TENANT}/evento/cancelacion`, { cdc: CDC, motivo: 'Pedido cancelado' }).reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'Evento registrado correctamente', id: 7 } });
    expect(await c.cancelar(CDC, 'Pedido cancelado')).toEqual({ dCodRes: '0600', dMsgRes: 'Evento registrado correctamente', id: '7' });
    const request = { tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 5, hasta: 5, motivo: 'Número rechazado' };
    nock(ORIGIN).post(`/${TENANT}/evento/inutilizacion`, request).reply(200, { success: true, result: { dCodRes: '0600', dMsgRes: 'ok', id: '8' } });
    expect((await c.inutilizar(request)).id).toBe('8');
  });

  it('consultaRuc verifies the check digit before asking, then returns the taxpayer (or null)', async () => {
    const c = client();
    const wrong = await failure(c.consultaRuc('80069563-2'));
    expect(wrong).toMatchObject({ kind: 'rejected', field: 'ruc', message: expect.stringMatching(/check digit 1, not 2/) });
    expect((await failure(c.consultaRuc('800-69-563'))).kind).toBe('rejected');
    nock(ORIGIN)
      .get(`/${TENANT}/ruc/80069563`)
      .reply(200, { success: true, result: { dCodRes: '0502', dMsgRes: 'RUC encontrado', xContRUC: { dRUCCons: '80069563', dRazCons: 'TIPS S.A.', dCodEstCons: 'ACT', dDesEstCons: 'ACTIVO', dRUCFactElec: 'S' } } });
    expect(await c.consultaRuc('80069563-1')).toEqual({ ruc: '80069563', dv: '1', razonSocial: 'TIPS S.A.', estado: 'ACT', estadoDescripcion: 'ACTIVO', facturadorElectronico: true });
    nock(ORIGIN).get(`/${TENANT}/ruc/3437941`).reply(200, { success: true, result: { dCodRes: '0500', dMsgRes: 'RUC inexistente' } });
    expect(await c.consultaRuc('3437941', '0')).toBeNull();
  });
});

describe('FacturapiClient errors', () => {
  it('a refused lote names each document at fault by index, with the field of its first message', async () => {
    nock(ORIGIN)
      .post(`/${TENANT}/lote/create`)
      .reply(400, {
        success: false,
        error: 'Documento 2: Valor invalido "iva"=7 proporcionado en data.items[0].iva: 0, 5 o 10',
        errores: [{ indice: 1, error: 'Valor invalido "iva"=7 proporcionado en data.items[0].iva: 0, 5 o 10; Debe especificar el Punto de expedición en data.punto' }],
      });
    const error = await failure(client().createLote([{}, {}]));
    expect(error).toBeInstanceOf(FacturapiLoteRefusedError);
    expect(error).toMatchObject({ kind: 'rejected', status: 400, field: 'items[0].iva' });
    expect([...(error as FacturapiLoteRefusedError).byIndex]).toEqual([[1, ['Valor invalido "iva"=7 proporcionado en data.items[0].iva: 0, 5 o 10', 'Debe especificar el Punto de expedición en data.punto']]]);
  });

  it('never repeats the buyer’s data a message quotes', async () => {
    nock(ORIGIN)
      .post(`/${TENANT}/lote/create`)
      .reply(400, { success: false, error: "La razon Social del Cliente 'Ana Pérez' en data.cliente.razonSocial debe tener de 4 a 250 caracteres; RUC (3437941-1) del Cliente en data.cliente.ruc" });
    const error = await failure(client().createLote([{}]));
    expect(JSON.stringify({ message: error.message, messages: error.messages })).not.toMatch(/Ana|3437941/);
    expect(error.messages[0]).toBe('La razon Social del Cliente … en data.cliente.razonSocial debe tener de 4 a 250 caracteres');
  });

  it('401 and 403 are auth; 404 (wrong baseUrl or tenant) is auth too', async () => {
    const c = client();
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(401, { success: false, error: 'API key inválida' });
    expect(await failure(c.createLote([{}]))).toMatchObject({ kind: 'auth', status: 401 });
    nock(ORIGIN).post(`/${TENANT}/de/estado`).reply(403, { success: false, error: 'prohibido' });
    expect(await failure(c.estadoDe([CDC]))).toMatchObject({ kind: 'auth', status: 403 });
    nock(ORIGIN).get(`/${TENANT}/lote/1`).reply(404, { success: false, error: 'Tenant inexistente' });
    expect(await failure(c.consultaLote('1'))).toMatchObject({ kind: 'auth', message: expect.stringMatching(/tenantId/) });
  });

  it('429 is rate_limited with Retry-After, and pauses the client: the next call fails fast without a request', async () => {
    const c = client();
    nock(ORIGIN).get(`/${TENANT}/lote/1`).reply(429, { success: false, error: 'Demasiadas solicitudes' }, { 'Retry-After': '30' });
    const error = await failure(c.consultaLote('1'));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30_000 });
    expect(c.pausedUntil).toBeGreaterThan(Date.now() + 25_000);
    const second = await failure(c.consultaLote('1'));
    expect(second.kind).toBe('rate_limited');
    expect(second.retryAfterMs).toBeGreaterThan(25_000);
  });

  it('503 with Retry-After is rate_limited for that long; a bare 503 is an outage, retried like any 5xx', async () => {
    nock(ORIGIN).post(`/${TENANT}/de/estado`).reply(503, { success: false, error: 'Servicio no disponible' }, { 'Retry-After': '30' });
    expect(await failure(client().estadoDe([CDC]))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30_000 });
    nock(ORIGIN).post(`/${TENANT}/de/estado`).times(5).reply(503, { success: false, error: 'Servicio no disponible' });
    expect(await failure(client().estadoDe([CDC]))).toMatchObject({ kind: 'retryable' });
  });

  it('a lost answer to lote/create is unknown_outcome and is not retried', async () => {
    const scope = nock(ORIGIN).post(`/${TENANT}/lote/create`).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const error = await failure(client().createLote([{}]));
    expect(error.kind).toBe('unknown_outcome');
    expect(scope.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a 5xx to lote/create or to an event is unknown_outcome; to a read, retryable', async () => {
    const c = client();
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(500, { success: false, error: 'Error interno' });
    expect((await failure(c.createLote([{}]))).kind).toBe('unknown_outcome');
    nock(ORIGIN).post(`/${TENANT}/evento/cancelacion`).reply(504, 'Gateway Timeout');
    expect((await failure(c.cancelar(CDC, 'Pedido cancelado'))).kind).toBe('unknown_outcome');
    nock(ORIGIN).get(`/${TENANT}/lote/1`).reply(500, { success: false, error: 'Error interno' });
    expect((await failure(c.consultaLote('1'))).kind).toBe('retryable');
  });

  it('reads retry network blips and 502/504 a few times, then succeed', async () => {
    nock(ORIGIN)
      .post(`/${TENANT}/de/estado`)
      .replyWithError({ code: 'ECONNRESET', message: 'socket hang up' })
      .post(`/${TENANT}/de/estado`)
      .reply(502, 'Bad Gateway')
      .post(`/${TENANT}/de/estado`)
      .reply(200, { success: true, result: { deList: [] } });
    expect(await client().estadoDe([CDC])).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a read that keeps failing ends as retryable after its retries', async () => {
    nock(ORIGIN).get(`/${TENANT}/lote/1`).times(3).replyWithError({ code: 'ECONNREFUSED', message: 'refused' });
    expect((await failure(client().consultaLote('1'))).kind).toBe('retryable');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('{ success: false } under HTTP 200 is still a refusal', async () => {
    nock(ORIGIN).post(`/${TENANT}/evento/cancelacion`).reply(200, { success: false, error: 'El plazo para cancelar venció' });
    expect(await failure(client().cancelar(CDC, 'Pedido cancelado'))).toMatchObject({ kind: 'rejected', message: 'El plazo para cancelar venció' });
  });

  it('an unreadable 2xx is unknown_outcome for lote/create and retryable for a read', async () => {
    const c = client();
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(200, '<html>proxy</html>');
    expect((await failure(c.createLote([{}]))).kind).toBe('unknown_outcome');
    nock(ORIGIN).post(`/${TENANT}/lote/create`).reply(200, { success: true, result: { dCodRes: 'ok' } });
    expect((await failure(c.createLote([{}]))).kind).toBe('unknown_outcome');
    nock(ORIGIN).get(`/${TENANT}/lote/1`).reply(200, { success: true, result: {} });
    expect((await failure(c.consultaLote('1'))).kind).toBe('retryable');
  });

  it('never logs the API key', async () => {
    const lines: string[] = [];
    const logger = { debug: (o: object, m?: string) => lines.push(JSON.stringify([o, m])), warn: (o: object, m?: string) => lines.push(JSON.stringify([o, m])) };
    nock(ORIGIN).post(`/${TENANT}/lote/create`).replyWithError('boom');
    await failure(client({ logger }).createLote([{ cliente: { razonSocial: 'Ana Pérez' } }]));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toMatch(new RegExp(`${KEY}|Ana`));
  });
});

describe('helpers', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': 'Sun, 22 Nov 2026 10:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMsFrom(new Headers(), now)).toBe(60_000);
  });

  it('finds the field xmlgen names in a message', () => {
    expect(fieldOf('Valor invalido "iva"=7 proporcionado en data.items[2].iva: 0, 5 o 10')).toBe('items[2].iva');
    expect(fieldOf('Debe indicar los datos de la Condición de la Operación en data.condicion')).toBe('condicion');
    expect(fieldOf('sin campo')).toBeUndefined();
  });
});
