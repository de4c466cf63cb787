/**
 * The FacturApi sandbox over real HTTP on 127.0.0.1 (port 0): auth, lote rules, xmlgen validation,
 * SIFEN's asynchronous verdicts and codes, consultation by CDC, events, RUC lookup, faults, state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeCdc } from '../../connectors/facturapi/cdc.js';
import { exampleFactura, exampleNota } from '../../connectors/facturapi/sandbox/examples.js';
import {
  FACTURAPI_SANDBOX_DEMO_API_KEY as KEY,
  FACTURAPI_SANDBOX_DEMO_TENANT as TENANT,
  startFacturapiSandbox,
  type RunningFacturapiSandbox,
  type StartFacturapiSandboxOptions,
} from '../../connectors/facturapi/sandbox/index.js';

let sandbox: RunningFacturapiSandbox | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The examples are dated 2026-11-22/23; a fixed clock keeps SIFEN's 72-hour rule out of the way. */
const CLOCK = () => new Date('2026-11-23T14:00:00Z');

async function start(options: Partial<StartFacturapiSandboxOptions> = {}) {
  sandbox = await startFacturapiSandbox({ port: 0, processingDelayMs: 0, now: CLOCK, ...options });
  return sandbox;
}

interface Call {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, body?: unknown, key: string | null = KEY): Promise<Call> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch(`${sandbox!.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const api = (path: string) => `/${TENANT}${path}`;
const createLote = (docs: unknown[], query = '') => call('POST', api(`/lote/create${query}`), docs);
const consult = (loteId: string) => call('GET', api(`/lote/${loteId}`));
const estado = (...cdcs: string[]) => call('POST', api('/de/estado'), { cdcList: cdcs.map((cdc) => ({ cdc })) });
const demoCdc = (numero: string, codigo: string, tipoDocumento = 1, fecha = '2026-11-22') =>
  computeCdc({ tipoDocumento, ruc: '80123456', dv: '5', establecimiento: '001', punto: '001', numero, tipoContribuyente: 2, fecha, tipoEmision: 1, codigoSeguridad: codigo });

/** Sends one approved invoice and returns its CDC. */
async function approvedInvoice(numero: number): Promise<string> {
  const created = await createLote([exampleFactura(numero, { codigoSeguridadAleatorio: '111111111' })]);
  expect(created.body.result.dCodRes).toBe('0300');
  const result = await consult(created.body.result.dProtConsLote);
  expect(result.body.result.gResProcLote[0].dEstRes).toBe('Aprobado');
  return created.body.result.deList[0].cdc;
}

describe('FacturApi sandbox: auth and routes', () => {
  it('answers 401 without the tenant’s key and 404 for an unknown tenant', async () => {
    await start();
    expect(await call('POST', api('/lote/create'), [exampleFactura(1)], null)).toMatchObject({ status: 401, body: { success: false, error: expect.stringMatching(/API key/) } });
    expect((await call('POST', api('/lote/create'), [exampleFactura(1)], 'api_key_wrong')).status).toBe(401);
    expect(await call('GET', '/otro-tenant/lote/1')).toMatchObject({ status: 404, body: { success: false } });
  });
});

describe('FacturApi sandbox: lotes', () => {
  it('accepts a lote with 0300, computes the CDC from the security code sent, and answers 0361 then 0362 Aprobado', async () => {
    // Two consultations (one by CDC, one by lote) find it in process.
    await start({ pendingPolls: 2 });
    const created = await createLote([exampleFactura(10, { codigoSeguridadAleatorio: '482915736' })], '?tax=true');
    expect(created.status).toBe(200);
    const result = created.body.result;
    expect(result).toMatchObject({ dCodRes: '0300', dMsgRes: 'Lote recibido con éxito', dProtConsLote: expect.stringMatching(/^\d+$/) });
    expect(result.deList).toEqual([
      { cdc: demoCdc('10', '482915736'), tipoDocumento: 1, numero: '001-001-0000010', estado: '0-Generado', totales: expect.objectContaining({ dTotOpe: '178500', dIVA5: '1357', dIVA10: '13636', dTotGralOpe: '178500' }) },
    ]);
    expect((await estado(result.deList[0].cdc)).body.result.deList[0]).toMatchObject({ estado: '0-Generado', dCodRes: '0420' });

    expect((await consult(result.dProtConsLote)).body.result).toMatchObject({ dCodResLot: '0361', dMsgResLot: 'Lote en procesamiento' });
    const done = (await consult(result.dProtConsLote)).body.result;
    expect(done).toMatchObject({ dCodResLot: '0362' });
    expect(done.gResProcLote).toEqual([{ id: result.deList[0].cdc, dEstRes: 'Aprobado', dProtAut: expect.any(String), gResProc: [{ dCodRes: '0260', dMsgRes: 'Autorización del DE satisfactoria' }] }]);
    expect((await estado(result.deList[0].cdc)).body.result.deList[0]).toMatchObject({ estado: '1-Aprobado', dCodRes: '0422', numero: '001-001-0000010' });
  });

  it('keeps a lote "en procesamiento" for processingDelayMs', async () => {
    let clock = Date.parse('2026-11-22T13:20:00Z');
    await start({ processingDelayMs: 5_000, now: () => new Date(clock) });
    const created = await createLote([exampleFactura(11)]);
    expect((await consult(created.body.result.dProtConsLote)).body.result.dCodResLot).toBe('0361');
    clock += 5_000;
    expect((await consult(created.body.result.dProtConsLote)).body.result.dCodResLot).toBe('0362');
  });

  it('answers 0360 for an unknown lote and 0364 once the lote is 48 hours old', async () => {
    let clock = Date.parse('2026-11-22T13:20:00Z');
    await start({ now: () => new Date(clock) });
    expect((await consult('999')).body.result).toMatchObject({ dCodResLot: '0360' });
    const created = await createLote([exampleFactura(12)]);
    clock += 48 * 3600_000;
    expect((await consult(created.body.result.dProtConsLote)).body.result).toMatchObject({ dCodResLot: '0364', dMsgResLot: expect.stringMatching(/CDC/) });
    // By CDC it is still answerable.
    expect((await estado(created.body.result.deList[0].cdc)).body.result.deList[0]).toMatchObject({ estado: '1-Aprobado' });
  });

  it('refuses lotes of 0 or more than 50 documents and of mixed types, with setapi’s message', async () => {
    await start();
    expect(await createLote([])).toMatchObject({ status: 400, body: { success: false, error: 'Sólo se permiten un máximo de 50 Documentos electrónicos XML por lote' } });
    const many = Array.from({ length: 51 }, (_, i) => exampleFactura(100 + i));
    expect((await createLote(many)).body.error).toBe('Sólo se permiten un máximo de 50 Documentos electrónicos XML por lote');
    const credit = exampleNota(5, 1, demoCdc('1', '1'));
    expect(await createLote([exampleFactura(1), credit])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/mismo tipo/) } });
    expect((await call('POST', api('/lote/create'), exampleFactura(1))).body.error).toMatch(/arreglo/);
    expect(sandbox!.state.data.documents).toHaveLength(0);
  });

  it('refuses the whole lote when one document fails xmlgen’s validation, naming it by index', async () => {
    await start();
    const bad = exampleFactura(21, { cliente: { contribuyente: true, ruc: '80069563', razonSocial: 'X', tipoOperacion: 1, pais: 'PRY' } });
    const badItem = exampleFactura(22);
    badItem.items[0] = { ...badItem.items[0]!, ivaTipo: 3, iva: '5' };
    const response = await createLote([exampleFactura(20), bad, badItem]);
    expect(response.status).toBe(400);
    expect(response.body.errores.map((e: { indice: number }) => e.indice)).toEqual([1, 2]);
    expect(response.body.errores[0].error.split('; ')).toEqual([
      'RUC debe contener dígito verificador en data.cliente.ruc (p. ej. 80069563-1)',
      'Debe proporcionar el Tipo de Contribuyente en data.cliente.tipoContribuyente: 1-Persona Física, 2-Persona Jurídica',
      'La razon Social del Cliente en data.cliente.razonSocial debe tener de 4 a 250 caracteres',
    ]);
    expect(response.body.errores[1].error).toMatch(/ivaProporcion.*ivaTipo" = 3/);
    expect(response.body.error).toMatch(/^Documento 2: /);
    expect(sandbox!.state.data.documents).toHaveLength(0);
  });

  it('recomputes SIFEN’s formulas and refuses a document whose expected totals they do not give', async () => {
    await start();
    const response = await createLote([exampleFactura(30, { totalesEsperados: { dTotOpe: '178500', dIVA10: '13637' } })]);
    expect(response.status).toBe(400);
    expect(response.body.errores[0].error).toBe('data.totalesEsperados.dIVA10 informa 13637, pero según las fórmulas de SIFEN (MT v150, NT13) los ítems dan 13636');
  });

  it('refuses SIFEN’s local fecha with an offset, and an establecimiento outside the timbrado', async () => {
    await start();
    const offset = await createLote([exampleFactura(31, { fecha: '2026-11-22T10:15:04-03:00' })]);
    expect(offset.body.errores[0].error).toMatch(/data\.fecha debe tener el formato YYYY-MM-DDTHH:mm:ss/);
    const foreign = await createLote([exampleFactura(32, { establecimiento: '009' })]);
    expect(foreign.body.errores[0].error).toBe('El Establecimiento 009 en data.establecimiento no está habilitado en el timbrado 12558946');
  });

  it('answers 0270 when the lote exceeds SIFEN’s 1000 KB', async () => {
    await start();
    const item = { codigo: 'X', descripcion: 'd'.repeat(2000), cantidad: '1', precioUnitario: '1000', ivaTipo: 1, ivaProporcion: '100', iva: '10' };
    const big = Array.from({ length: 50 }, (_, i) => exampleFactura(200 + i, { items: Array.from({ length: 11 }, () => item), totalesEsperados: { dTotOpe: '11000' } }));
    const response = await createLote(big);
    expect(response.body.result).toMatchObject({ dCodRes: '0270' });
    expect(sandbox!.state.data.documents).toHaveLength(0);
  });
});

describe('FacturApi sandbox: SIFEN verdicts', () => {
  it('rejects a CDC already approved (1001) and another CDC with an approved number (1002)', async () => {
    await start();
    const cdc = await approvedInvoice(40);
    const again = await createLote([exampleFactura(40, { codigoSeguridadAleatorio: '111111111' })]);
    expect(again.body.result.deList[0].cdc).toBe(cdc);
    const otherCode = await createLote([exampleFactura(40, { codigoSeguridadAleatorio: '222222222' })]);
    expect((await consult(again.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1001' }] });
    expect((await consult(otherCode.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1002' }] });
    // The approved copy is what a consultation by CDC finds.
    expect((await estado(cdc)).body.result.deList[0].estado).toBe('1-Aprobado');
  });

  it('approves a note citing an approved invoice and rejects one citing an unknown CDC (1004)', async () => {
    await start();
    const invoice = await approvedInvoice(41);
    const good = await createLote([exampleNota(5, 1, invoice)]);
    const orphan = await createLote([exampleNota(5, 2, demoCdc('999', '123456789'))]);
    expect((await consult(good.body.result.dProtConsLote)).body.result.gResProcLote[0].dEstRes).toBe('Aprobado');
    expect((await consult(orphan.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1004' }] });
    const view = (await call('GET', '/_sandbox/documents')).body.documents.find((d: { numero: string; tipoDocumento: number }) => d.tipoDocumento === 5 && d.numero === '001-001-0000001');
    expect(view).toMatchObject({ kind: 'credit_note', associatedCdc: invoice, totals: expect.objectContaining({ dTotOpe: '28500' }) });
  });

  it('rejects a receptor RUC with a wrong check digit (1005) and approves a late transmission with an observation (1006)', async () => {
    await start({ now: () => new Date('2026-11-26T12:00:00Z') });
    const wrongDv = await createLote([exampleFactura(42, { cliente: { contribuyente: true, ruc: '80069563-2', tipoContribuyente: 2, razonSocial: 'TIPS S.A.', tipoOperacion: 1, pais: 'PRY' } })]);
    expect((await consult(wrongDv.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1005' }] });
    const late = await createLote([exampleFactura(43)]); // fecha 2026-11-22, four days before
    expect((await consult(late.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Aprobado con observación', gResProc: [{ dCodRes: '1006' }] });
    expect((await estado(late.body.result.deList[0].cdc)).body.result.deList[0].estado).toBe('2-Aprobado con observación');
  });

  it('answers estado null / 0420 for a CDC it never saw', async () => {
    await start();
    const unknown = demoCdc('77', '1');
    expect((await estado(unknown)).body.result.deList).toEqual([{ cdc: unknown, estado: null, dCodRes: '0420', dMsgRes: 'CDC inexistente o DE no aprobado' }]);
    expect((await call('POST', api('/de/estado'), { cdcList: [] })).status).toBe(400);
  });
});

describe('FacturApi sandbox: events and RUC', () => {
  it('cancels an approved DE within 48 h, not after, and not when a note cites it', async () => {
    let clock = Date.parse('2026-11-22T13:20:00Z');
    await start({ now: () => new Date(clock) });
    const cdc = await approvedInvoice(50);
    expect(await call('POST', api('/evento/cancelacion'), { cdc, motivo: 'Pedido cancelado' })).toMatchObject({ status: 200, body: { result: { dCodRes: '0600' } } });
    expect((await estado(cdc)).body.result.deList[0].estado).toBe('4-Cancelado');
    expect((await call('POST', api('/evento/cancelacion'), { cdc, motivo: 'Pedido cancelado' })).body.error).toMatch(/ya fue cancelado/);

    const late = await approvedInvoice(51);
    clock += 48 * 3600_000 + 1_000;
    expect(await call('POST', api('/evento/cancelacion'), { cdc: late, motivo: 'Pedido cancelado' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/48 horas/) } });

    const cited = await approvedInvoice(52);
    await consult((await createLote([exampleNota(5, 3, cited)])).body.result.dProtConsLote);
    expect((await call('POST', api('/evento/cancelacion'), { cdc: cited, motivo: 'Pedido cancelado' })).body.error).toMatch(/notas de crédito o débito/);
    expect((await call('POST', api('/evento/cancelacion'), { cdc: cited, motivo: 'no' })).body.error).toMatch(/5 a 500/);
  });

  it('inutilizes an unused range, refuses a range holding an issued number, and rejects a DE numbered inside it (1003)', async () => {
    await start();
    await approvedInvoice(60);
    const used = await call('POST', api('/evento/inutilizacion'), { tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 59, hasta: 61, motivo: 'Números no utilizados' });
    expect(used).toMatchObject({ status: 400, body: { error: expect.stringMatching(/001-001-0000060/) } });
    const ok = await call('POST', api('/evento/inutilizacion'), { tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 61, hasta: 63, motivo: 'Números no utilizados' });
    expect(ok.body.result).toMatchObject({ dCodRes: '0600' });
    expect((await call('POST', api('/evento/inutilizacion'), { tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 63, hasta: 64, motivo: 'Números no utilizados' })).body.error).toMatch(/ya fue inutilizado/);
    const inside = await createLote([exampleFactura(62)]);
    expect((await consult(inside.body.result.dProtConsLote)).body.result.gResProcLote[0]).toMatchObject({ dEstRes: 'Rechazado', gResProc: [{ dCodRes: '1003' }] });
    expect((await call('GET', '/_sandbox/events')).body.inutilized).toEqual([{ tenant: TENANT, tipoDocumento: 1, establecimiento: '001', punto: '001', desde: 61, hasta: 63 }]);
  });

  it('looks RUCs up (0502 found, 0500 unknown)', async () => {
    await start();
    expect((await call('GET', api('/ruc/80069563'))).body.result).toEqual({
      dCodRes: '0502',
      dMsgRes: 'RUC encontrado',
      xContRUC: { dRUCCons: '80069563', dRazCons: 'TIPS S.A. TECNOLOGIA Y SERVICIOS', dCodEstCons: 'ACT', dDesEstCons: 'ACTIVO', dRUCFactElec: 'S' },
    });
    expect((await call('GET', api('/ruc/5555555'))).body.result).toEqual({ dCodRes: '0500', dMsgRes: 'RUC inexistente' });
  });
});

describe('FacturApi sandbox: faults, limits and state', () => {
  it('forces 429 with Retry-After, random 5xx, dropped answers after storing, and unqueued lotes', async () => {
    await start();
    expect((await call('POST', '/_sandbox/faults', { force429: 1, retryAfterSeconds: 7 })).status).toBe(200);
    const limited = await createLote([exampleFactura(70)]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');

    await call('POST', '/_sandbox/faults', { errorRate: 1 });
    expect([500, 503]).toContain((await createLote([exampleFactura(70)])).status);
    await call('DELETE', '/_sandbox/faults');

    await call('POST', '/_sandbox/faults', { dropAfterAccept: 1 });
    await expect(createLote([exampleFactura(71)])).rejects.toThrow();
    expect(sandbox!.state.data.documents.map((d) => d.numero)).toEqual(['0000071']);

    await call('POST', '/_sandbox/faults', { notQueued: 1 });
    const notQueued = await createLote([exampleFactura(72)]);
    expect(notQueued.body.result).toMatchObject({ dCodRes: '0301', dMsgRes: 'Lote no encolado para procesamiento' });
    expect(notQueued.body.result.dProtConsLote).toBeUndefined();
    expect(sandbox!.state.data.documents).toHaveLength(1);
    expect((await call('POST', '/_sandbox/faults', { errorRate: 2 })).status).toBe(400);
  });

  it('limits requests per minute per tenant', async () => {
    await start({ requestsPerMinute: 2 });
    await call('GET', api('/ruc/80069563'));
    await call('GET', api('/ruc/80069563'));
    const third = await call('GET', api('/ruc/80069563'));
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps its state in the data file across restarts, and reset empties it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'facturapi-sandbox-'));
    dirs.push(dir);
    const dataFile = join(dir, 'state.json');
    await start({ dataFile });
    const cdc = await approvedInvoice(80);
    await sandbox!.close();
    await start({ dataFile });
    expect((await estado(cdc)).body.result.deList[0].estado).toBe('1-Aprobado');
    await call('POST', '/_sandbox/reset');
    expect((await call('GET', '/_sandbox/documents')).body.documents).toEqual([]);
  });
});
