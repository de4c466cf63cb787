import nock from 'nock';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { ApidianAlreadySentError, ApidianClient, retryAfterMsFrom } from '../../connectors/apidian/client.js';
import { TargetError } from '../../src/errors.js';

const ORIGIN = 'http://apidian.test';
const BASE = `${ORIGIN}/api`;
const TOKEN = 'a'.repeat(64);
const CUFE = 'c'.repeat(96);
const ZIP_KEY = 'b97308d9-968b-463a-a31a-94159a95e6ed';

function client(overrides: Partial<ConstructorParameters<typeof ApidianClient>[0]> = {}) {
  return new ApidianClient({
    baseUrl: BASE,
    token: TOKEN,
    requestsPerMinute: 6000,
    retry: { retries: 3, minTimeout: 1, maxTimeout: 5 },
    ...overrides,
  });
}

/** DIAN's answer about one document, as APIDIAN converts it (all strings). */
function dianResponse(fields: { valid: boolean; key?: string; errors?: unknown; code?: string }) {
  return {
    ErrorMessage: fields.errors ?? {},
    IsValid: fields.valid ? 'true' : 'false',
    StatusCode: fields.code ?? (fields.valid ? '00' : '99'),
    StatusDescription: fields.valid ? 'Procesado Correctamente.' : 'Validación contiene errores en campos mandatorios.',
    StatusMessage: fields.valid ? 'La Factura electrónica SETP990000001, ha sido autorizada.' : 'Documento con errores en campos mandatorios.',
    XmlBase64Bytes: 'PD94bWw=',
    XmlBytes: { _attributes: { nil: 'true' } },
    XmlDocumentKey: fields.key ?? CUFE,
    XmlFileName: 'fv09001234560002500000001',
  };
}

const statusZipBody = (dian: unknown) => ({
  message: 'Consulta generada con éxito',
  ResponseDian: { Envelope: { Body: { GetStatusZipResponse: { GetStatusZipResult: { DianResponse: dian } } } } },
});

const statusDocumentBody = (result: unknown) => ({
  message: 'Consulta generada con éxito',
  ResponseDian: { Envelope: { Body: { GetStatusResponse: { GetStatusResult: result } } } },
});

const syncBody = (result: unknown) => ({
  success: true,
  message: 'Factura #SETP990000001 generada con éxito',
  urlinvoicexml: 'FES-SETP990000001.xml',
  urlinvoicepdf: 'FES-SETP990000001.pdf',
  cufe: CUFE,
  QRStr: `https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=${CUFE}`,
  ResponseDian: {
    Envelope: {
      Header: { Action: { _attributes: { mustUnderstand: '1' }, _value: 'http://wcf.dian.colombia/IWcfDianCustomerServices/SendBillSyncResponse' } },
      Body: { SendBillSyncResponse: { SendBillSyncResult: result } },
    },
  },
});

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected the call to fail');
}

let current: ApidianClient | undefined;
function use(c: ApidianClient) {
  current = c;
  return c;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await current?.close();
  current = undefined;
});

describe('ApidianClient happy paths', () => {
  it('addToBatch posts the wire document with bearer auth and JSON headers, and returns the CUFE', async () => {
    const wire = { number: 990000001, prefix: 'SETP', type_document_id: 1 };
    const scope = nock(ORIGIN, {
      reqheaders: {
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/json',
        'content-type': 'application/json',
      },
    })
      .post('/api/ubl2.1/add-to-batch/invoice/batch-1', wire)
      .reply(200, {
        message: 'Factura #SETP990000001 generada y agregada con éxito al batch batch-1.zip',
        invoicexml: 'PD94',
        zipinvoicexml: 'UEsD',
        urlinvoicexml: 'FES-SETP990000001.xml',
        urlinvoicepdf: 'FES-SETP990000001.pdf',
        cufe: CUFE,
        QRStr: 'https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=x',
      });
    const result = await use(client()).addToBatch('invoice', 'batch-1', wire);
    expect(result.documentKey).toBe(CUFE);
    expect(result.urls).toEqual({ xml: 'FES-SETP990000001.xml', pdf: 'FES-SETP990000001.pdf' });
    expect(result.qr).toContain('documentkey=x');
    expect(scope.isDone()).toBe(true);
  });

  it('addToBatch uses each kind’s route and reads `cude` for notes', async () => {
    const routes = { credit_note: 'credit-note', debit_note: 'debit-note', export_invoice: 'invoice-export' } as const;
    const c = use(client());
    for (const [kind, route] of Object.entries(routes)) {
      nock(ORIGIN).post(`/api/ubl2.1/add-to-batch/${route}/b`).reply(200, { message: 'ok', cude: `${kind}-key` });
      const result = await c.addToBatch(kind as keyof typeof routes, 'b', {});
      expect(result.documentKey).toBe(`${kind}-key`);
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('addToBatch escapes the batch name into one path segment', async () => {
    const scope = nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/a%2F..%2Fb').reply(200, { cufe: CUFE });
    await use(client()).addToBatch('invoice', 'a/../b', {});
    expect(scope.isDone()).toBe(true);
  });

  it('sendBatch returns the ZipKey from SendBillAsyncResult', async () => {
    nock(ORIGIN)
      .post('/api/ubl2.1/send-batch/batch-1')
      .reply(200, {
        message: 'Batch batch-1.zip enviado con éxito',
        ResponseDian: { Envelope: { Body: { SendBillAsyncResponse: { SendBillAsyncResult: { ErrorMessageList: {}, ZipKey: ZIP_KEY } } } } },
      });
    const result = await use(client()).sendBatch('batch-1');
    expect(result.zipKey).toBe(ZIP_KEY);
    expect(result.errors).toEqual([]);
  });

  it('sendBatch without a ZipKey but with ErrorMessageList entries is a rejection of the zip', async () => {
    nock(ORIGIN)
      .post('/api/ubl2.1/send-batch/batch-1')
      .reply(200, {
        message: 'Batch batch-1.zip enviado con éxito',
        ResponseDian: {
          Envelope: {
            Body: {
              SendBillAsyncResponse: {
                SendBillAsyncResult: {
                  ErrorMessageList: {
                    XmlParamsResponseTrackId: [
                      { Success: 'false', ProcessedMessage: 'Archivo zip vacío', XmlFileName: 'z09001234560002500000001' },
                      { Success: 'true', ProcessedMessage: 'ok', XmlFileName: 'fv1' },
                    ],
                  },
                  ZipKey: {},
                },
              },
            },
          },
        },
      });
    const error = await failure(use(client()).sendBatch('batch-1'));
    expect(error.kind).toBe('rejected');
    expect(error.messages).toEqual(['z09001234560002500000001: Archivo zip vacío']);
  });

  it('statusZip reads one DianResponse object', async () => {
    nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).reply(200, statusZipBody(dianResponse({ valid: true })));
    const statuses = await use(client()).statusZip(ZIP_KEY);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ isValid: 'true', statusCode: '00', documentKey: CUFE, errorMessages: [] });
  });

  it('statusZip reads an array of DianResponses (multi-document zip)', async () => {
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(
        200,
        statusZipBody([
          dianResponse({ valid: true, key: 'k1' }),
          dianResponse({ valid: false, key: 'k2', errors: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' } }),
        ]),
      );
    const statuses = await use(client()).statusZip(ZIP_KEY);
    expect(statuses.map((s) => [s.documentKey, s.isValid])).toEqual([
      ['k1', 'true'],
      ['k2', 'false'],
    ]);
    expect(statuses[1]?.errorMessages).toEqual(['Regla: 90, Rechazo: Documento procesado anteriormente.']);
  });

  it.each([
    ['{}', {}, []],
    ['{string: "…"}', { string: 'Regla: FAK55, Notificación: Correo electrónico no informado' }, ['Regla: FAK55, Notificación: Correo electrónico no informado']],
    ['{string: […]}', { string: ['Regla: FAD06, Rechazo: a', 'Regla: FAJ43b, Notificación: b'] }, ['Regla: FAD06, Rechazo: a', 'Regla: FAJ43b, Notificación: b']],
  ])('reads ErrorMessage shaped as %s', async (_label, errors, expected) => {
    nock(ORIGIN).post('/api/ubl2.1/status/document/k').reply(200, statusDocumentBody(dianResponse({ valid: false, key: 'k', errors })));
    const status = await use(client()).statusDocument('k');
    expect(status?.errorMessages).toEqual(expected);
  });

  it('statusDocument reads GetStatusResult', async () => {
    nock(ORIGIN).post(`/api/ubl2.1/status/document/${CUFE}`).reply(200, statusDocumentBody(dianResponse({ valid: true })));
    const status = await use(client()).statusDocument(CUFE);
    expect(status).toMatchObject({ isValid: 'true', statusCode: '00', documentKey: CUFE });
  });

  it('currentNumber reads {number, prefix}', async () => {
    nock(ORIGIN).get('/api/ubl2.1/invoice/current_number/1/SETP').reply(200, { number: 990000042, success: true, prefix: 'SETP' });
    expect(await use(client()).currentNumber(1, 'SETP')).toEqual({ number: 990000042, prefix: 'SETP' });
  });

  it('sendDocument returns DIAN’s verdict when the document is valid', async () => {
    nock(ORIGIN)
      .post('/api/ubl2.1/credit-note')
      .reply(200, syncBody(dianResponse({ valid: true, errors: { string: ['Regla: FAK55, Notificación: x'] } })));
    const result = await use(client()).sendDocument('credit_note', {});
    expect(result.verdict).toBe('valid');
    expect(result.documentKey).toBe(CUFE);
    expect(result.urls.pdf).toBe('FES-SETP990000001.pdf');
  });
});

describe('ApidianClient classifies failures', () => {
  it('HTTP 200 with IsValid "false" is a rejection carrying the rule message', async () => {
    nock(ORIGIN)
      .post('/api/ubl2.1/invoice')
      .reply(200, syncBody(dianResponse({ valid: false, errors: { string: 'Regla: FAD06, Rechazo: Número de documento no válido.' } })));
    const error = await failure(use(client()).sendDocument('invoice', {}));
    expect(error.kind).toBe('rejected');
    expect(error.message).toBe('Regla: FAD06, Rechazo: Número de documento no válido.');
    expect(error.messages).toContain('Validación contiene errores en campos mandatorios.');
  });

  it('HTTP 200 with rule 90 (processed before) is surfaced as already sent, with the CUFE', async () => {
    nock(ORIGIN)
      .post('/api/ubl2.1/invoice')
      .reply(200, syncBody(dianResponse({ valid: false, errors: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' } })));
    const error = await failure(use(client()).sendDocument('invoice', {}));
    expect(error).toBeInstanceOf(ApidianAlreadySentError);
    expect(error.kind).toBe('unknown_outcome');
    expect((error as ApidianAlreadySentError).documentKey).toBe(CUFE);
  });

  it('401 is auth and the token is not in the message', async () => {
    nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).reply(401, { message: 'Unauthenticated.' });
    const error = await failure(use(client()).statusZip(ZIP_KEY));
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).not.toContain(TOKEN);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('403 (route disabled) is auth', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(403, { code: 403, status: false, message: 'Access to this route is disabled.' });
    expect((await failure(use(client()).sendBatch('b'))).kind).toBe('auth');
  });

  it('422 is rejected with every Laravel message flattened and the first field path', async () => {
    const scope = nock(ORIGIN)
      .post('/api/ubl2.1/add-to-batch/invoice/b')
      .reply(422, {
        message: 'The given data was invalid.',
        errors: {
          'customer.dv': ['Error, el digito de verificacion no es valido para este NIT.'],
          'invoice_lines.0.code': ['El campo invoice_lines.0.code es obligatorio.', 'otro'],
        },
      });
    // A second interceptor that a retry would consume: 422 must not be retried.
    const retry = nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(200, { cufe: CUFE });
    const error = await failure(use(client()).addToBatch('invoice', 'b', {}));
    expect(error.kind).toBe('rejected');
    expect(error.field).toBe('customer.dv');
    expect(error.messages).toEqual([
      'customer.dv: Error, el digito de verificacion no es valido para este NIT.',
      'invoice_lines.0.code: El campo invoice_lines.0.code es obligatorio.',
      'invoice_lines.0.code: otro',
    ]);
    expect(scope.isDone()).toBe(true);
    expect(retry.isDone()).toBe(false);
  });

  it('429 with Retry-After seconds is rate_limited with that wait, and pauses the client', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(429, { message: 'Too Many Attempts.' }, { 'Retry-After': '37' });
    const blocked = nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).reply(200, statusZipBody([]));
    const c = use(client());
    const error = await failure(c.addToBatch('invoice', 'b', {}));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBe(37_000);
    expect(await c.limiter.currentReservoir()).toBe(0);
    // While paused, calls fail fast with the remaining wait and never reach APIDIAN.
    const next = await failure(c.statusZip(ZIP_KEY));
    expect(next.kind).toBe('rate_limited');
    expect(next.retryAfterMs).toBeGreaterThan(30_000);
    expect(next.retryAfterMs).toBeLessThanOrEqual(37_000);
    expect(blocked.isDone()).toBe(false);
  });

  it('Retry-After as an HTTP date becomes the milliseconds until then', () => {
    const now = Date.parse('2025-07-22T10:00:00Z');
    const headers = new Headers({ 'Retry-After': 'Tue, 22 Jul 2025 10:00:45 GMT' });
    expect(retryAfterMsFrom(headers, now)).toBe(45_000);
    expect(retryAfterMsFrom(new Headers({ 'X-RateLimit-Reset': String(now / 1000 + 12) }), now)).toBe(12_000);
    expect(retryAfterMsFrom(new Headers(), now)).toBe(60_000);
  });

  it('503 is rate_limited (Retry-After as a date)', async () => {
    const at = new Date(Date.now() + 20_000).toUTCString();
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(503, 'Service Unavailable', { 'Retry-After': at });
    const error = await failure(use(client()).sendBatch('b'));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(15_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it('plain 500 is retryable and is not retried inside the client', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(500, '<html>oops</html>');
    const retry = nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(200, { cufe: CUFE });
    const error = await failure(use(client()).addToBatch('invoice', 'b', {}));
    expect(error.kind).toBe('retryable');
    expect(error.status).toBe(500);
    expect(retry.isDone()).toBe(false);
  });

  it('408 is retryable', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(408, {});
    expect((await failure(use(client()).sendBatch('b'))).kind).toBe('retryable');
  });

  it('the fork’s 500 {success:false,error} with validation text is rejected, with the field', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(500, {
      success: false,
      message: 'Error interno del servidor',
      error: 'El campo customer.name es obligatorio. (y 1 error más)',
    });
    const error = await failure(use(client()).addToBatch('invoice', 'b', {}));
    expect(error.kind).toBe('rejected');
    expect(error.field).toBe('customer.name');
  });

  it('the fork’s summary names attributes with spaces; the field path is rebuilt', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(500, {
      success: false,
      message: 'Error interno del servidor',
      error: 'El campo invoice lines.0.code es obligatorio. (and 2 more errors)',
    });
    const error = await failure(use(client()).addToBatch('invoice', 'b', {}));
    expect(error.kind).toBe('rejected');
    expect(error.field).toBe('invoice_lines.0.code');
  });

  it('the fork’s 500 with a PHP error on add-to-batch is rejected (the document’s shape trips APIDIAN), on status retryable', async () => {
    const body = { success: false, message: 'Error interno del servidor', error: 'Undefined array key "payment_form_id"' };
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(500, body);
    nock(ORIGIN).post('/api/ubl2.1/status/zip/z').reply(500, body);
    const c = use(client());
    expect((await failure(c.addToBatch('invoice', 'b', {}))).kind).toBe('rejected');
    expect((await failure(c.statusZip('z'))).kind).toBe('retryable');
  });

  it('200 {success:false} about a missing resolution/software setup is auth', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(200, { success: false, message: 'El software no está configurado para esta empresa.' });
    expect((await failure(use(client()).addToBatch('invoice', 'b', {}))).kind).toBe('auth');
  });

  it('the fork’s 500 {success:false,error} with "Unauthenticated." is auth', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(500, { success: false, message: 'Error interno del servidor', error: 'Unauthenticated.' });
    expect((await failure(use(client()).sendBatch('b'))).kind).toBe('auth');
  });

  it('the fork’s 500 {success:false,error} with anything else is retryable', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(500, {
      success: false,
      message: 'Error interno del servidor',
      error: 'SQLSTATE[HY000] [2002] Connection refused',
    });
    expect((await failure(use(client()).sendBatch('b'))).kind).toBe('retryable');
  });

  it('a network error on send-batch is unknown_outcome and is not retried', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').replyWithError('socket hang up');
    const retry = nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(200, {});
    const error = await failure(use(client()).sendBatch('b'));
    expect(error.kind).toBe('unknown_outcome');
    expect(retry.isDone()).toBe(false);
  });

  it('a timeout on a sync send is unknown_outcome', async () => {
    nock(ORIGIN).post('/api/ubl2.1/invoice').delay(2_000).reply(200, {});
    const error = await failure(use(client({ timeouts: { submit: 50 } })).sendDocument('invoice', {}));
    expect(error.kind).toBe('unknown_outcome');
    expect(error.message).toMatch(/timed out/);
  });

  it('a network blip on status is retried and then succeeds', async () => {
    nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).times(2).replyWithError('ECONNRESET');
    nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).reply(200, statusZipBody(dianResponse({ valid: true })));
    const statuses = await use(client()).statusZip(ZIP_KEY);
    expect(statuses[0]?.isValid).toBe('true');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a network outage on status gives up after the retries as retryable', async () => {
    const scope = nock(ORIGIN).post(`/api/ubl2.1/status/document/k`).times(4).replyWithError('ECONNREFUSED');
    const error = await failure(use(client()).statusDocument('k'));
    expect(error.kind).toBe('retryable');
    expect(scope.isDone()).toBe(true);
  });

  it('200 {success:false} "DIAN no disponible" is retryable', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(200, {
      success: false,
      message: 'El servicio de la DIAN no está disponible en este momento. Por favor, inténtelo más tarde.',
    });
    expect((await failure(use(client()).sendBatch('b'))).kind).toBe('retryable');
  });

  it('200 {success:false} company inactive is auth (an admin must act; retries cannot help)', async () => {
    nock(ORIGIN).post('/api/ubl2.1/add-to-batch/invoice/b').reply(200, {
      success: false,
      message: 'La empresa se encuentra en el momento INACTIVA para enviar documentos electronicos...',
    });
    expect((await failure(use(client()).addToBatch('invoice', 'b', {}))).kind).toBe('auth');
  });

  it('200 {success:false} "ya fue enviado anteriormente" is already-sent with the CUFE, not the buyer', async () => {
    nock(ORIGIN).post('/api/ubl2.1/invoice').reply(200, {
      success: false,
      message: 'Este documento ya fue enviado anteriormente, se registra en la base de datos.',
      customer: { name: 'Buyer Person', email: 'buyer@example.com' },
      cufe: CUFE,
      sale: {},
    });
    const error = await failure(use(client()).sendDocument('invoice', {}));
    expect(error).toBeInstanceOf(ApidianAlreadySentError);
    expect((error as ApidianAlreadySentError).documentKey).toBe(CUFE);
    expect(JSON.stringify({ m: error.message, ms: error.messages })).not.toContain('buyer@example.com');
  });

  it('404 points at baseUrl', async () => {
    nock(ORIGIN).post('/api/ubl2.1/send-batch/b').reply(404, {});
    const error = await failure(use(client()).sendBatch('b'));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/baseUrl/);
  });
});
