import { createHash } from 'node:crypto';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingBatch, OutgoingDocument } from '../../src/connector.js';
import type { DocumentKind, FiscalDocument } from '../../src/domain/fiscal-document.js';
import { TargetError } from '../../src/errors.js';
import { createApidianTarget, type ApidianTarget, type ApidianReceipt } from '../../connectors/apidian/target.js';
import type { ApidianTargetConfigInput } from '../../connectors/apidian/config.js';
import { apidianWireSchemas } from '../../connectors/apidian/wire.js';

const ORIGIN = 'http://apidian.test';
const BASE = `${ORIGIN}/api`;
const ZIP_KEY = 'b97308d9-968b-463a-a31a-94159a95e6ed';

const config: ApidianTargetConfigInput = {
  type: 'apidian',
  baseUrl: BASE,
  token: 'f'.repeat(64),
  supplierNit: '900123456',
  softwarePin: '12345',
  environment: 2,
  requestsPerMinute: 6000,
  resolutions: {
    invoice: { prefix: 'SETP', resolutionNumber: '18760000001', technicalKey: 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c', from: 990000000, to: 995000000 },
    credit_note: { prefix: 'NC', from: 1, to: 99999999 },
    debit_note: { prefix: 'ND', from: 1, to: 99999999 },
  },
  batch: { maxDocuments: 20, lingerMs: 500 },
  statusPollMs: 3000,
};

function invoiceWire(number: number) {
  return {
    number,
    type_document_id: 1,
    prefix: 'SETP',
    resolution_number: '18760000001',
    date: '2025-07-22',
    time: '04:08:12',
    customer: { identification_number: '900428042', name: 'TAMPAC SAS' },
    legal_monetary_totals: { line_extension_amount: '2000.00', tax_exclusive_amount: '2000.00', tax_inclusive_amount: '2380.00', payable_amount: '2380.00' },
    tax_totals: [{ tax_id: 1, tax_amount: '380.00', percent: '19', taxable_amount: '2000.00' }],
    invoice_lines: [],
  };
}

function creditNoteWire(number: number) {
  return { ...invoiceWire(number), type_document_id: 4, prefix: 'NC', resolution_number: undefined, invoice_lines: undefined, credit_note_lines: [] };
}

function outgoing(id: string, kind: DocumentKind, wire: Record<string, unknown>): OutgoingDocument {
  return {
    documentId: id,
    idempotencyKey: `key-${id}`,
    kind,
    series: String(wire.prefix),
    number: String(wire.number),
    wire,
    // The target never reads the canonical document; the wire is what it sends.
    fiscal: {} as FiscalDocument,
  };
}

function batchOf(...documents: OutgoingDocument[]): OutgoingBatch {
  return { batchId: 'apidian:900123456/SETP/invoice/1', kind: documents[0]!.kind, series: documents[0]!.series, documents };
}

/** The CUFE by DIAN's formula (§1.9), written out independently of cufe.ts. */
function expectedCufe(wire: ReturnType<typeof invoiceWire>, secret: string): string {
  const source = [
    `${wire.prefix}${wire.number}`, wire.date, `${wire.time}-05:00`, '2000.00', '01', '380.00', '04', '0.00', '03', '0.00', '2380.00',
    '900123456', '900428042', secret, '2',
  ].join('');
  return createHash('sha384').update(source).digest('hex');
}

const dian = (key: string, fields: { valid?: boolean; code?: string; errors?: unknown } = {}) => ({
  ErrorMessage: fields.errors ?? {},
  IsValid: fields.valid === undefined ? undefined : fields.valid ? 'true' : 'false',
  StatusCode: fields.code ?? (fields.valid ? '00' : fields.valid === false ? '99' : undefined),
  StatusDescription: fields.valid ? 'Procesado Correctamente.' : 'Validación contiene errores en campos mandatorios.',
  XmlDocumentKey: key,
  XmlFileName: 'fv09001234560002500000001',
});
const statusZipBody = (d: unknown) => ({ ResponseDian: { Envelope: { Body: { GetStatusZipResponse: { GetStatusZipResult: { DianResponse: d } } } } } });
const statusDocBody = (d: unknown) => ({ ResponseDian: { Envelope: { Body: { GetStatusResponse: { GetStatusResult: d } } } } });
const sendBatchBody = { message: 'Batch enviado con éxito', ResponseDian: { Envelope: { Body: { SendBillAsyncResponse: { SendBillAsyncResult: { ErrorMessageList: {}, ZipKey: ZIP_KEY } } } } } };

function addToBatchReply(number: number, key: string) {
  return {
    message: `Factura #SETP${number} generada y agregada con éxito al batch.zip`,
    urlinvoicexml: `FES-SETP${number}.xml`,
    urlinvoicepdf: `FES-SETP${number}.pdf`,
    cufe: key,
    QRStr: `https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=${key}`,
  };
}

let target: ApidianTarget | undefined;
function make(overrides: Partial<ApidianTargetConfigInput> = {}) {
  target = createApidianTarget({ ...config, ...overrides }, { client: { retry: { retries: 2, minTimeout: 1, maxTimeout: 2 } } });
  return target;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await target?.close();
  target = undefined;
});

describe('createApidianTarget', () => {
  it('describes itself from the config', () => {
    const t = make();
    expect(t.name).toBe('apidian');
    expect(t.kinds).toEqual(['invoice', 'credit_note', 'debit_note']);
    expect(t.numbering).toBe('client');
    expect(t.batchLimits).toEqual({ maxDocuments: 20, lingerMs: 500, maxBytes: 10 * 1024 * 1024 });
    expect(t.statusPollMs).toBe(3000);
    expect(t.numberingRanges.invoice).toEqual({ prefix: 'SETP', from: 990000000, to: 995000000 });
    expect(t.wireSchema('credit_note')).toBe(apidianWireSchemas.credit_note);
  });

  it('accepts export invoices only when their resolution is configured', async () => {
    const t = make({
      resolutions: { ...config.resolutions, export_invoice: { prefix: 'EXP', technicalKey: 'k', from: 1, to: 100 } },
    });
    expect(t.kinds).toContain('export_invoice');
    expect(t.wireSchema('export_invoice')).toBe(apidianWireSchemas.export_invoice);
  });

  it('computes the CUFE from the wire with the supplier NIT, technical key and environment', () => {
    const wire = invoiceWire(990000001);
    expect(make().documentKey('invoice', wire)).toBe(expectedCufe(wire, 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c'));
  });

  it('computes the CUDE of a note with the software PIN', () => {
    const wire = creditNoteWire(7);
    expect(make().documentKey('credit_note', wire)).toBe(expectedCufe(wire as never, '12345'));
  });
});

describe('submit', () => {
  it('adds every document, keeps going past a 422, sends the batch, and reports per document (multi-status)', async () => {
    const t = make();
    const [w1, w2, w3] = [invoiceWire(990000001), invoiceWire(990000002), invoiceWire(990000003)];
    const [k1, k3] = [t.documentKey('invoice', w1), t.documentKey('invoice', w3)];
    const zipNames = new Set<string>();
    const addPath = /^\/api\/ubl2\.1\/add-to-batch\/invoice\/([^/]+)$/;
    nock(ORIGIN)
      .post(addPath, (body) => body.number === 990000001)
      .reply(200, function () {
        zipNames.add(addPath.exec(this.req.path)![1]!);
        return addToBatchReply(990000001, k1);
      })
      .post(addPath, (body) => body.number === 990000002)
      .reply(422, { message: 'The given data was invalid.', errors: { 'customer.dv': ['Error, el digito de verificacion no es valido para este NIT.'] } })
      .post(addPath, (body) => body.number === 990000003)
      .reply(200, function () {
        zipNames.add(addPath.exec(this.req.path)![1]!);
        return addToBatchReply(990000003, k3);
      })
      .post(/^\/api\/ubl2\.1\/send-batch\/([^/]+)$/)
      .reply(200, function () {
        zipNames.add(this.req.path.split('/').pop()!);
        return sendBatchBody;
      });

    const submission = await t.submit(batchOf(outgoing('d1', 'invoice', w1), outgoing('d2', 'invoice', w2), outgoing('d3', 'invoice', w3)));

    expect(submission.results).toEqual([
      { documentId: 'd1', outcome: 'pending', uuid: k1 },
      {
        documentId: 'd2',
        outcome: 'rejected',
        reason: 'customer.dv: Error, el digito de verificacion no es valido para este NIT.',
        field: 'customer.dv',
        messages: ['customer.dv: Error, el digito de verificacion no es valido para este NIT.'],
      },
      { documentId: 'd3', outcome: 'pending', uuid: k3 },
    ]);
    const receipt = submission.receipt as ApidianReceipt;
    expect(receipt.zipKey).toBe(ZIP_KEY);
    expect(Object.keys(receipt.documents)).toEqual(['d1', 'd3']);
    expect(receipt.documents.d1).toMatchObject({ key: k1, pdf: 'FES-SETP990000001.pdf' });
    // One zip name for the adds and the send, derived from the batch id.
    expect(zipNames.size).toBe(1);
    expect([...zipNames][0]).toMatch(/^apidian_900123456_SETP_invoice_1-[0-9a-f]{8}$/);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a rate limit stops the batch: every undecided document fails rate_limited with the wait, nothing is sent', async () => {
    const t = make();
    const [w1, w2, w3] = [invoiceWire(990000001), invoiceWire(990000002), invoiceWire(990000003)];
    nock(ORIGIN)
      .post(/add-to-batch\/invoice\//, (body) => body.number === 990000001)
      .reply(200, addToBatchReply(990000001, 'k1'))
      .post(/add-to-batch\/invoice\//, (body) => body.number === 990000002)
      .reply(429, { message: 'Too Many Attempts.' }, { 'Retry-After': '42' });
    const send = nock(ORIGIN).post(/send-batch/).reply(200, sendBatchBody);

    const submission = await t.submit(batchOf(outgoing('d1', 'invoice', w1), outgoing('d2', 'invoice', w2), outgoing('d3', 'invoice', w3)));
    expect(submission.receipt).toBeUndefined();
    expect(submission.results.map((r) => [r.documentId, r.outcome, r.outcome === 'failed' ? r.kind : '', r.outcome === 'failed' ? r.retryAfterMs : 0])).toEqual([
      ['d1', 'failed', 'rate_limited', 42_000],
      ['d2', 'failed', 'rate_limited', 42_000],
      ['d3', 'failed', 'rate_limited', 42_000],
    ]);
    expect(send.isDone()).toBe(false);
  });

  it('an auth failure fails every document with kind auth', async () => {
    nock(ORIGIN).post(/add-to-batch/).reply(401, { message: 'Unauthenticated.' });
    const submission = await make().submit(batchOf(outgoing('d1', 'invoice', invoiceWire(990000001)), outgoing('d2', 'invoice', invoiceWire(990000002))));
    expect(submission.results.map((r) => (r.outcome === 'failed' ? r.kind : r.outcome))).toEqual(['auth', 'auth']);
  });

  it('a lost answer from send-batch is unknown_outcome for the documents in the zip', async () => {
    nock(ORIGIN)
      .post(/add-to-batch/)
      .reply(200, addToBatchReply(990000001, 'k1'))
      .post(/send-batch/)
      .replyWithError('socket hang up');
    const submission = await make().submit(batchOf(outgoing('d1', 'invoice', invoiceWire(990000001))));
    expect(submission.results).toEqual([
      expect.objectContaining({ documentId: 'd1', outcome: 'failed', kind: 'unknown_outcome' }),
    ]);
    expect(submission.receipt).toBeUndefined();
  });

  it('does not call send-batch when no document was added, and rejects numbers outside the resolution without a request', async () => {
    nock(ORIGIN).post(/add-to-batch/).reply(422, { message: 'invalid', errors: { 'customer.name': ['El campo customer.name es obligatorio.'] } });
    const send = nock(ORIGIN).post(/send-batch/).reply(200, sendBatchBody);
    const submission = await make().submit(batchOf(outgoing('d1', 'invoice', invoiceWire(990000001)), outgoing('d2', 'invoice', invoiceWire(42))));
    expect(submission.results).toEqual([
      expect.objectContaining({ documentId: 'd1', outcome: 'rejected', field: 'customer.name' }),
      expect.objectContaining({ documentId: 'd2', outcome: 'rejected', field: 'number' }),
    ]);
    expect(send.isDone()).toBe(false);
    expect(nock.pendingMocks()).toEqual([expect.stringContaining('send-batch')]);
  });

  it('APIDIAN’s duplicate guard at add-to-batch is resolved by a lookup', async () => {
    const t = make();
    const wire = invoiceWire(990000001);
    const key = t.documentKey('invoice', wire);
    nock(ORIGIN)
      .post(/add-to-batch/)
      .reply(200, { success: false, message: 'Este documento ya fue enviado anteriormente, se registra en la base de datos.', cufe: key })
      .post(`/api/ubl2.1/status/document/${key}`)
      .reply(200, statusDocBody(dian(key, { valid: true })));
    const submission = await t.submit(batchOf(outgoing('d1', 'invoice', wire)));
    expect(submission.results).toEqual([expect.objectContaining({ documentId: 'd1', outcome: 'issued', fiscalNumber: 'SETP990000001', uuid: key })]);
    expect(submission.receipt).toBeUndefined();
  });
});

describe('status', () => {
  const w1 = invoiceWire(990000001);
  const w2 = invoiceWire(990000002);
  const batch = () => batchOf(outgoing('d1', 'invoice', w1), outgoing('d2', 'invoice', w2));
  const receiptFor = (t: ApidianTarget, keys?: [string, string]): ApidianReceipt => ({
    zipKey: ZIP_KEY,
    zipName: 'z',
    documents: {
      d1: { key: keys?.[0] ?? t.documentKey('invoice', w1), pdf: 'FES-SETP990000001.pdf', xml: 'FES-SETP990000001.xml', qr: 'https://qr/1' },
      d2: { key: keys?.[1] ?? t.documentKey('invoice', w2) },
    },
  });

  it('matches an array of DianResponses to documents by key: one issued, one rejected → done', async () => {
    const t = make();
    const receipt = receiptFor(t);
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(
        200,
        statusZipBody([
          dian(receipt.documents.d2!.key, { valid: false, errors: { string: ['Regla: FAD06, Rechazo: Número no válido.', 'Regla: FAK55, Notificación: x'] } }),
          dian(receipt.documents.d1!.key, { valid: true, errors: { string: 'Regla: FAK55, Notificación: Correo electrónico no informado' } }),
        ]),
      );
    const result = await t.status(receipt, batch());
    expect(result.done).toBe(true);
    expect(result.results).toEqual([
      {
        documentId: 'd1',
        outcome: 'issued',
        fiscalNumber: 'SETP990000001',
        uuid: receipt.documents.d1!.key,
        links: { pdf: `${BASE}/invoice/pdf/FES-SETP990000001.pdf`, xml: `${BASE}/invoice/xml/FES-SETP990000001.xml`, qr: 'https://qr/1' },
        messages: ['Regla: FAK55, Notificación: Correo electrónico no informado'],
      },
      expect.objectContaining({ documentId: 'd2', outcome: 'rejected', reason: 'Regla: FAD06, Rechazo: Número no válido.' }),
    ]);
  });

  it('a single DianResponse object for one document, pending for the other → not done', async () => {
    const t = make();
    const receipt = receiptFor(t);
    nock(ORIGIN).post(`/api/ubl2.1/status/zip/${ZIP_KEY}`).reply(200, statusZipBody(dian(receipt.documents.d1!.key, { valid: true })));
    const result = await t.status(receipt, batch());
    expect(result.done).toBe(false);
    expect(result.results.map((r) => r.outcome)).toEqual(['issued', 'pending']);
  });

  it('an in-process answer (no IsValid, StatusCode 98) keeps documents pending', async () => {
    const t = make();
    const receipt = receiptFor(t);
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(200, statusZipBody({ StatusCode: '98', StatusDescription: 'En proceso de validación', ErrorMessage: {} }));
    const result = await t.status(receipt, batch());
    expect(result).toEqual({ done: false, results: [expect.objectContaining({ outcome: 'pending' }), expect.objectContaining({ outcome: 'pending' })] });
  });

  it('falls back to the CUFE recomputed from the wire when the receipt’s key does not match', async () => {
    const t = make();
    const receipt = receiptFor(t, ['not-the-key-1', 'not-the-key-2']);
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(200, statusZipBody([dian(t.documentKey('invoice', w1), { valid: true }), dian(t.documentKey('invoice', w2), { valid: true })]));
    const result = await t.status(receipt, batch());
    expect(result.done).toBe(true);
    expect(result.results.map((r) => r.outcome)).toEqual(['issued', 'issued']);
  });

  it('rule 90 ("procesado anteriormente") is checked against DIAN’s record: an accepted original means issued', async () => {
    const t = make();
    const receipt = receiptFor(t);
    const k1 = receipt.documents.d1!.key;
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(200, statusZipBody([dian(k1, { valid: false, errors: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' } }), dian(receipt.documents.d2!.key, { valid: true })]))
      .post(`/api/ubl2.1/status/document/${k1}`)
      .reply(200, statusDocBody(dian(k1, { valid: true })));
    const result = await t.status(receipt, batch());
    expect(result.results.map((r) => [r.documentId, r.outcome])).toEqual([
      ['d1', 'issued'],
      ['d2', 'issued'],
    ]);
  });

  it('rule 90 without an accepted original stays a rejection with DIAN’s rule message', async () => {
    const t = make();
    const receipt = receiptFor(t);
    const k1 = receipt.documents.d1!.key;
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/zip/${ZIP_KEY}`)
      .reply(200, statusZipBody([dian(k1, { valid: false, errors: { string: 'Regla: 90, Rechazo: Documento procesado anteriormente.' } }), dian(receipt.documents.d2!.key, { valid: true })]))
      .post(`/api/ubl2.1/status/document/${k1}`)
      .reply(200, statusDocBody(dian(k1, { valid: false, errors: { string: 'Regla: FAD06, Rechazo: x' } })));
    const result = await t.status(receipt, batch());
    expect(result.results[0]).toMatchObject({ outcome: 'rejected', reason: 'Regla: 90, Rechazo: Documento procesado anteriormente.' });
  });

  it('refuses a receipt that is not its own', async () => {
    await expect(make().status({ something: 1 }, batch())).rejects.toBeInstanceOf(TargetError);
  });
});

describe('lookup', () => {
  it('finds an issued document by its recomputed CUFE', async () => {
    const t = make();
    const wire = invoiceWire(990000001);
    const key = expectedCufe(wire, 'fc8eac422eba16e22ffd8c6f94b3f40a6e38162c');
    nock(ORIGIN).post(`/api/ubl2.1/status/document/${key}`).reply(200, statusDocBody(dian(key, { valid: true })));
    expect(await t.lookup(outgoing('d1', 'invoice', wire))).toEqual({
      documentId: 'd1',
      outcome: 'issued',
      fiscalNumber: 'SETP990000001',
      uuid: key,
      links: { qr: `https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=${key}` },
    });
  });

  it('reports a document DIAN rejected', async () => {
    const t = make();
    const wire = invoiceWire(990000001);
    const key = t.documentKey('invoice', wire);
    nock(ORIGIN).post(`/api/ubl2.1/status/document/${key}`).reply(200, statusDocBody(dian(key, { valid: false, errors: { string: 'Regla: FAD06, Rechazo: x' } })));
    expect(await t.lookup(outgoing('d1', 'invoice', wire))).toMatchObject({ outcome: 'rejected', reason: 'Regla: FAD06, Rechazo: x' });
  });

  it('returns null when DIAN does not know the document', async () => {
    const t = make();
    const wire = creditNoteWire(5);
    const key = t.documentKey('credit_note', wire);
    nock(ORIGIN)
      .post(`/api/ubl2.1/status/document/${key}`)
      .reply(200, statusDocBody({ ErrorMessage: {}, IsValid: 'false', StatusCode: '66', StatusDescription: 'NSU no encontrado', XmlDocumentKey: key }));
    expect(await t.lookup(outgoing('d1', 'credit_note', wire))).toBeNull();
  });

  it('cannot look up a note without the software PIN, and says which key is missing', async () => {
    const { softwarePin: _omit, ...withoutPin } = config;
    const t = make();
    await t.close();
    target = createApidianTarget(withoutPin);
    const error = await target.lookup(outgoing('d1', 'credit_note', creditNoteWire(5))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).message).toContain('softwarePin');
  });
});
