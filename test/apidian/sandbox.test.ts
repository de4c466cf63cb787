import { afterEach, describe, expect, it } from 'vitest';
import { computeCufe } from '../../connectors/apidian/cufe.js';
import { nitCheckDigit } from '../../connectors/apidian/ids.js';
import {
  APIDIAN_SANDBOX_DEMO_TOKEN,
  APIDIAN_SANDBOX_SEED,
  startApidianSandbox,
  type RunningApidianSandbox,
  type StartApidianSandboxOptions,
} from '../../connectors/apidian/sandbox/index.js';
import { exampleCreditNote, exampleExportInvoice, exampleInvoice } from '../../connectors/apidian/sandbox/examples.js';

let sandbox: RunningApidianSandbox | undefined;

afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(options: Partial<StartApidianSandboxOptions> = {}): Promise<RunningApidianSandbox> {
  sandbox = await startApidianSandbox({ port: 0, ...options });
  return sandbox;
}

interface Call {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, body?: unknown, token: string | null = APIDIAN_SANDBOX_DEMO_TOKEN): Promise<Call> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${sandbox!.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const syncResult = (body: any) => body.ResponseDian.Envelope.Body.SendBillSyncResponse.SendBillSyncResult;

describe('APIDIAN sandbox: auth, validation, limits', () => {
  it('answers 401 Unauthenticated without a valid token, and accepts ?api_token=', async () => {
    await start();
    expect(await call('POST', '/api/ubl2.1/invoice', exampleInvoice(), null)).toMatchObject({ status: 401, body: { message: 'Unauthenticated.' } });
    expect((await call('POST', '/api/ubl2.1/invoice', exampleInvoice(), 'f'.repeat(64))).status).toBe(401);
    const viaQuery = await call('GET', `/api/ubl2.1/invoice/current_number/1?api_token=${APIDIAN_SANDBOX_DEMO_TOKEN}`, undefined, null);
    expect(viaQuery.body).toEqual({ number: 990000000, success: true, prefix: 'SETP' });
  });

  it('answers 422 in Laravel’s shape for missing fields and a wrong DV', async () => {
    await start();
    const { customer, ...withoutCustomer } = exampleInvoice();
    void customer;
    const missing = await call('POST', '/api/ubl2.1/invoice', withoutCustomer);
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('The given data was invalid.');
    expect(missing.body.errors).toEqual({
      customer: ['El campo customer es obligatorio.'],
      'customer.identification_number': ['El campo customer.identification number es obligatorio.'],
      'customer.name': ['El campo customer.name es obligatorio.'],
    });

    const wrongDv = await call(
      'POST',
      '/api/ubl2.1/invoice',
      exampleInvoice(990000001, { customer: { identification_number: '900166483', dv: 3, type_document_identification_id: 6, name: 'DAVAL' } }),
    );
    expect(wrongDv).toMatchObject({ status: 422, body: { errors: { 'customer.dv': ['Error, el digito de verificacion no es valido para este NIT.'] } } });
    // Nothing reached "DIAN".
    expect((await call('GET', '/_sandbox/documents?all=1', undefined, null)).body.documents).toEqual([]);
  });

  it('checks the resolution: range, dates, and a type without resolution', async () => {
    await start();
    const outOfRange = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(42));
    expect(outOfRange.body.errors).toEqual({ number: ['number tiene que estar entre 990000000 - 995000000.'] });
    const tooEarly = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000001, { date: '2018-12-31' }));
    expect(tooEarly.body.errors).toEqual({ date: ['date debe ser una fecha posterior o igual a 2019-01-19.'] });

    const registered = await call('POST', '/api/ubl2.1/config/901234567/0', { business_name: 'OTRA SAS', email: 'otra@example.co' }, null);
    expect(registered.body.token).toMatch(/^[0-9a-f]{64}$/);
    const noResolution = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(), registered.body.token);
    expect(noResolution.body.errors.type_document_id).toEqual(['La resolución no está configurada.']);
  });

  it('can answer validation and auth errors in the fork’s 500 shape', async () => {
    await start({ errorStyle: 'fork500' });
    const unauth = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(), null);
    expect(unauth).toMatchObject({ status: 500, body: { success: false, message: 'Error interno del servidor', error: 'Unauthenticated.' } });
    const invalid = await call('POST', '/api/ubl2.1/invoice', { ...exampleInvoice(), customer: {} });
    expect(invalid.status).toBe(500);
    expect(invalid.body.error).toBe('El campo customer es obligatorio. (and 2 more errors)');
  });

  it('throttles per token with X-RateLimit headers and 429 + Retry-After', async () => {
    await start({ requestsPerMinute: 2 });
    const first = await call('GET', '/api/ubl2.1/invoice/current_number/1');
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect((await call('GET', '/api/ubl2.1/invoice/current_number/1')).headers.get('x-ratelimit-remaining')).toBe('0');
    const limited = await call('GET', '/api/ubl2.1/invoice/current_number/1');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'Too Many Attempts.' });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('answers malformed JSON with 400', async () => {
    await start();
    const response = await call('POST', '/api/ubl2.1/invoice', '{"number": 1,');
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/Malformed JSON/);
  });
});

describe('APIDIAN sandbox: sync documents', () => {
  it('accepts an invoice with the CUFE computed from the documented fields', async () => {
    await start();
    const response = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000001));
    expect(response.status).toBe(200);
    const expected = computeCufe({
      id: 'SETP990000001',
      issueDate: '2025-07-22',
      issueTime: '04:08:12-05:00',
      lineExtensionAmount: '2000.00',
      ivaAmount: '380.00',
      incAmount: '0.00',
      icaAmount: '0.00',
      payableAmount: '2380.00',
      supplierNit: '900123456',
      customerId: '900428042',
      technicalKey: 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c',
      profileExecutionId: 2,
    });
    expect(response.body).toMatchObject({
      success: true,
      message: 'AttachedDocument #SETP990000001 generada con éxito',
      cufe: expected,
      urlinvoicexml: 'FES-SETP990000001.xml',
      urlinvoicepdf: 'FES-SETP990000001.pdf',
      QRStr: `https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=${expected}`,
    });
    const result = syncResult(response.body);
    expect(result).toMatchObject({
      IsValid: 'true',
      StatusCode: '00',
      StatusDescription: 'Procesado Correctamente.',
      XmlDocumentKey: expected,
      XmlFileName: 'fv09001234560002500000001',
      // The buyer has no e-mail: one notification, rendered as {string: "…"}.
      ErrorMessage: { string: 'Regla: FAK55, Notificación: Correo electrónico no informado' },
    });
    const next = await call('GET', '/api/ubl2.1/invoice/current_number/1/SETP');
    expect(next.body).toEqual({ number: 990000002, success: true, prefix: 'SETP' });
  });

  it('rejects a number already accepted inside ResponseDian, still HTTP 200 and success:true', async () => {
    await start();
    await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000001));
    const again = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000001, { time: '05:00:00' }));
    expect(again.status).toBe(200);
    expect(again.body.success).toBe(true);
    expect(syncResult(again.body)).toMatchObject({
      IsValid: 'false',
      StatusCode: '99',
      StatusDescription: 'Validación contiene errores en campos mandatorios.',
      ErrorMessage: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' },
    });
    const accepted = (await call('GET', '/_sandbox/documents', undefined, null)).body.documents;
    expect(accepted).toHaveLength(1);
  });

  it('rejects totals that do not reconcile, listing every broken rule', async () => {
    await start();
    const body = exampleInvoice(990000002);
    body.legal_monetary_totals.payable_amount = '2400.00';
    body.invoice_lines[1]!.tax_totals![0]!.tax_amount = '100.00';
    const response = await call('POST', '/api/ubl2.1/invoice', body);
    const result = syncResult(response.body);
    expect(result.IsValid).toBe('false');
    expect(result.StatusCode).toBe('99');
    const messages: string[] = result.ErrorMessage.string;
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/^Regla: FAU14, Rechazo: .*PayableAmount \(2400\.00\).*\(2380\.00\)/);
    expect(messages[1]).toMatch(/^Regla: FAX07, Rechazo: Línea 2: TaxAmount/);
    expect(messages[2]).toBe('Regla: FAK55, Notificación: Correo electrónico no informado');

    const lines = exampleInvoice(990000003);
    lines.legal_monetary_totals.line_extension_amount = '2100.00';
    const unbalanced = syncResult((await call('POST', '/api/ubl2.1/invoice', lines)).body);
    expect(unbalanced.ErrorMessage.string[0]).toMatch(/^Regla: FAU04, Rechazo: El valor LineExtensionAmount \(2100\.00\)/);
  });

  it('accepts a credit note against an issued CUFE and rejects one against an unknown CUFE', async () => {
    await start();
    const invoice = await call('POST', '/api/ubl2.1/invoice', exampleInvoice(990000001));
    const reference = { number: 'SETP990000001', uuid: invoice.body.cufe, issue_date: '2025-07-22' };
    const note = await call('POST', '/api/ubl2.1/credit-note', exampleCreditNote(reference, 1));
    expect(note.body.cude).toMatch(/^[0-9a-f]{96}$/);
    expect(note.body.cufe).toBeUndefined();
    expect(note.body.urlinvoicexml).toBe('NCS-NC1.xml');
    expect(syncResult(note.body)).toMatchObject({ IsValid: 'true', StatusCode: '00', ErrorMessage: {}, XmlFileName: 'nc09001234560002400000001' });

    const orphan = await call('POST', '/api/ubl2.1/credit-note', exampleCreditNote({ ...reference, uuid: 'e'.repeat(96) }, 2));
    expect(syncResult(orphan.body)).toMatchObject({ IsValid: 'false', StatusCode: '99' });
    expect(syncResult(orphan.body).ErrorMessage.string).toMatch(/^Regla: CBG03, Rechazo: El CUFE referenciado/);
  });

  it('accepts an export invoice on its own resolution', async () => {
    await start();
    const response = await call('POST', '/api/ubl2.1/invoice-export', exampleExportInvoice(5));
    expect(response.body.cufe).toMatch(/^[0-9a-f]{96}$/);
    expect(syncResult(response.body)).toMatchObject({ IsValid: 'true', ErrorMessage: {} });
    expect(response.body.urlinvoicexml).toBe('FES-EXP5.xml');
  });

  it('lets a registered company configure software, resolution and environment, then invoice', async () => {
    await start();
    const nit = '901234567';
    const dv = nitCheckDigit(nit);
    const { body } = await call('POST', `/api/ubl2.1/config/${nit}/${dv}`, { business_name: 'NUEVA SAS', email: 'nueva@example.co' }, null);
    const token: string = body.token;
    expect((await call('PUT', '/api/ubl2.1/config/software', { id: 'abc', pin: '123' }, token)).body.errors).toEqual({
      pin: ['pin debe tener 5 dígitos.'],
    });
    expect((await call('PUT', '/api/ubl2.1/config/software', { id: 'soft-1', pin: '54321' }, token)).body.success).toBe(true);
    const resolution = {
      type_document_id: 1,
      prefix: 'FE',
      resolution: '18764000000001',
      resolution_date: '2025-01-01',
      technical_key: 'tk-123',
      from: 1,
      to: 1000,
      date_from: '2025-01-01',
      date_to: '2027-01-01',
    };
    expect((await call('PUT', '/api/ubl2.1/config/resolution', resolution, token)).body.success).toBe(true);
    expect((await call('PUT', '/api/ubl2.1/config/environment', { type_environment_id: 1 }, token)).body.success).toBe(true);

    const invoice = exampleInvoice(7, { prefix: 'FE', resolution_number: '18764000000001' });
    const sent = await call('POST', '/api/ubl2.1/invoice', invoice, token);
    expect(sent.body.cufe).toBe(
      computeCufe({
        id: 'FE7',
        issueDate: '2025-07-22',
        issueTime: '04:08:12-05:00',
        lineExtensionAmount: '2000.00',
        ivaAmount: '380.00',
        incAmount: 0,
        icaAmount: 0,
        payableAmount: '2380.00',
        supplierNit: nit,
        customerId: '900428042',
        technicalKey: 'tk-123',
        profileExecutionId: 1,
      }),
    );
    expect(sent.body.QRStr).toMatch(/^https:\/\/catalogo-vpfe\.dian\.gov\.co\//);
    expect(APIDIAN_SANDBOX_SEED.company.dv).toBe(String(nitCheckDigit('900123456')));
  });

  it('refuses registration when the route is disabled', async () => {
    await start({ registrationEnabled: false });
    const response = await call('POST', '/api/ubl2.1/config/901234567', { business_name: 'X', email: 'x@y.co' }, null);
    expect(response).toMatchObject({ status: 403, body: { code: 403, status: false, message: 'Access to this route is disabled.' } });
  });
});
