/**
 * The Unidigital target against nock: config, numbering, wire schema wiring, and the submit / status /
 * lookup decisions the sandbox does not provoke (partial answers, answers without detail, chunks,
 * failed reads).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseUnidigitalTargetConfig } from '../../connectors/unidigital/config.js';
import { sha512Hex } from '../../connectors/unidigital/client.js';
import { controlNumberOf, createUnidigitalTarget, type UnidigitalReceipt, type UnidigitalTarget } from '../../connectors/unidigital/target.js';
import { batchOf, catalog, fixture, outgoing } from './helpers.js';

const ORIGIN = 'http://unidigital.test';
const BASE = `${ORIGIN}/digitalinvoice-core`;
const SERIE = '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f';
const NOTES_SERIE = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const SUCURSAL = '0d9c8b7a-6f5e-4d3c-8b2a-190817263544';
const BATCH = '3f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b';

const ok = (result: unknown) => ({ result, errors: [], information: [], hasErrors: false });
const config = {
  type: 'unidigital',
  baseUrl: BASE,
  userName: 'ops@tienda.example',
  password: 'S3creta!',
  series: { strongId: SERIE, name: 'A' },
  batch: { chunkSize: 2 },
};

const targets: UnidigitalTarget[] = [];
function target(overrides: Record<string, unknown> = {}, deps: Parameters<typeof createUnidigitalTarget>[1] = {}): UnidigitalTarget {
  const t = createUnidigitalTarget({ ...config, ...overrides } as never, { client: { retry: { retries: 1, minTimeout: 1, maxTimeout: 2 }, busy: { retries: 1, minTimeout: 1, maxTimeout: 2 } }, ...deps });
  targets.push(t);
  return t;
}

const api = () => nock(ORIGIN);
function login() {
  api().post('/digitalinvoice-core/user/login', { UserName: 'ops@tienda.example', Password: sha512Hex('S3creta!') }).reply(200, { accessToken: 'tok', series: [] });
}
function counters(fa: number) {
  api().get('/digitalinvoice-core/series/counters').reply(200, ok([{ strongId: SERIE, serie: 'A', documentType: 'FA', counter: fa }]));
}
const record = (n: number, reference: string, extra: Record<string, unknown> = {}) => ({
  strongId: `d${n}`,
  codeName: 'FA',
  number: n,
  controlNumber: 0,
  controlNumberFormatted: '-1',
  status: 'Approved',
  systemReference: reference,
  batchStrongId: BATCH,
  annulled: false,
  ...extra,
});

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  await Promise.all(targets.splice(0).map((t) => t.close()));
});

describe('config', () => {
  it('names every bad key and never echoes a value', () => {
    const attempt = () => parseUnidigitalTargetConfig({ ...config, baseUrl: 'ftp:nope', password: undefined, series: { strongId: 'not-a-guid' }, batch: { chunkSize: 0 }, extra: 'S3creta!' });
    expect(attempt).toThrow(/baseUrl must start with http:\/\/ or https:\/\//);
    expect(attempt).toThrow(/series\.strongId must be a GUID/);
    expect(attempt).toThrow(/batch\.chunkSize must be greater than 0/);
    expect(attempt).toThrow(/unknown key\(s\) extra/);
    expect(attempt).toThrow(/password: give exactly one of password or passwordSha512/);
    expect(attempt).not.toThrow(/S3creta/);
    expect(parseUnidigitalTargetConfig({ ...config, password: undefined, passwordSha512: sha512Hex('x') }).passwordSha512).toMatch(/^[0-9a-f]{128}$/);
    expect(parseUnidigitalTargetConfig(config)).toMatchObject({ baseUrl: BASE, statusPollMs: 30_000, batch: { maxDocuments: 100, chunkSize: 2 } });
  });
});

describe('numbering and wire schema', () => {
  it('numbers per series and document type, from the configured first number or the imprenta’s counter', async () => {
    const t = target({ seriesByKind: { credit_note: { strongId: NOTES_SERIE, name: 'NC1' } }, numbering: { invoice: { firstNumber: 50 } } });
    expect(t.numbering).toBe('client');
    expect(t.kinds).toEqual(['invoice', 'credit_note', 'debit_note']);
    expect(t.numberingFor('invoice')).toEqual({ series: 'A-FA', firstNumber: 50 });
    expect(t.numberingFor('credit_note')).toEqual({ series: 'NC1-NC', firstNumber: 1 });
    expect(t.numberingFor('export_invoice')).toBeUndefined();
    login();
    api()
      .get('/digitalinvoice-core/series/counters')
      .reply(200, ok([{ strongId: SERIE, serie: 'A', documentType: 'FA', counter: 120 }, { strongId: NOTES_SERIE, serie: 'NC1', documentType: 'NC', counter: 7 }]));
    expect(await t.readCounters()).toEqual({ invoice: 120, credit_note: 7, debit_note: 0 });
    expect(t.numberingFor('invoice')).toEqual({ series: 'A-FA', firstNumber: 121 });
    expect(t.numberingFor('credit_note')).toEqual({ series: 'NC1-NC', firstNumber: 8 });
  });

  it('reads the counters at creation when asked, and only logs when it cannot', async () => {
    login();
    counters(9);
    const t = target({}, { readCountersOnCreate: true, client: { retry: { retries: 0 } } });
    await vi.waitFor(() => expect(t.numberingFor('invoice')?.firstNumber).toBe(10), { timeout: 5000 });

    const warnings: string[] = [];
    api().post('/digitalinvoice-core/user/login').reply(400, { hasErrors: true, errors: [{ message: 'Usuario o contraseña inválidos' }] });
    target({}, { readCountersOnCreate: true, logger: { debug: () => {}, warn: (_o, m) => warnings.push(m ?? '') } });
    await vi.waitFor(() => expect(warnings).toEqual([expect.stringMatching(/could not read series counters/)]), { timeout: 5000 });
  });

  it('the wire schema fills in the configured series and branch, and refuses another series', () => {
    const t = target({ sucursalStrongId: SUCURSAL });
    const output = catalog.byId('unidigital-invoice')!.run(fixture('invoice-ves-rif'));
    expect(t.wireSchema('invoice').parse(output)).toMatchObject({ SerieStrongId: SERIE, SucursalStrongId: SUCURSAL });
    const other = t.wireSchema('invoice').safeParse({ ...(output as object), SerieStrongId: NOTES_SERIE });
    expect(other.error?.issues[0]).toMatchObject({ path: ['SerieStrongId'] });
    expect(t.wireSchema('export_invoice').safeParse(output).error?.issues[0]?.message).toMatch(/no export_invoice document type/);
  });

  it('controlNumberOf reads the formatted control number', () => {
    expect(controlNumberOf('00-00000012')).toBe(12);
    expect(controlNumberOf(7)).toBe(7);
    expect(() => controlNumberOf('-1')).toThrow(/not a control number/);
  });
});

describe('submit', () => {
  it('sends the documents in Number order, in chunks, then closes and approves; SystemReference is the idempotency key', async () => {
    const t = target();
    const docs = [3, 1, 2].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    login();
    counters(0);
    api().post('/digitalinvoice-core/batch/open', { SerieStrongId: SERIE }).reply(200, ok({ StrongId: BATCH }));
    const bodies: unknown[] = [];
    api()
      .post('/digitalinvoice-core/documents/create')
      .twice()
      .reply(200, (_uri, body) => {
        bodies.push(body);
        return ok([]);
      });
    api().post('/digitalinvoice-core/batch/close', { Id: BATCH }).reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/batch/approve', { Id: BATCH }).reply(200, ok(BATCH));
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', ...docs));
    expect(result.results.map((r) => [r.documentId, r.outcome])).toEqual([
      ['inv-3', 'pending'],
      ['inv-1', 'pending'],
      ['inv-2', 'pending'],
    ]);
    const sent = bodies as Array<{ BatchStrongId: string; Docs: Array<{ Number: number; SystemReference: string }> }>;
    expect(sent.map((b) => b.Docs.map((d) => d.Number))).toEqual([[1, 2], [3]]);
    expect(sent[0]!.Docs[0]!.SystemReference).toBe('puente:shopify:tienda-avila.myshopify.com|order:inv-1|invoice');
    expect((result.receipt as UnidigitalReceipt).documents['inv-3']).toEqual({ systemReference: 'puente:shopify:tienda-avila.myshopify.com|order:inv-3|invoice', number: 3, batchId: BATCH });
  });

  it('a refusal without per-document detail is narrowed down one document at a time', async () => {
    const t = target();
    const [one, two] = [1, 2].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    login();
    counters(0);
    api().post('/digitalinvoice-core/batch/open').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/documents/create').reply(400, { hasErrors: true, errors: [{ code: 'DocumentCantBeBuild', message: 'DocumentCantBeBuild' }] });
    api().post('/digitalinvoice-core/documents/create', (b) => b.Docs.length === 1 && b.Docs[0].Number === 1).reply(200, ok([]));
    api().post('/digitalinvoice-core/documents/create', (b) => b.Docs.length === 1 && b.Docs[0].Number === 2).reply(400, { hasErrors: true, errors: [{ code: 'TaxPercentMustBeValid', message: 'no puede ser diferente de 8%' }] });
    api().post('/digitalinvoice-core/batch/close').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/batch/approve').reply(200, ok(BATCH));
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', one!, two!));
    expect(result.results[0]).toMatchObject({ outcome: 'pending' });
    expect(result.results[1]).toMatchObject({ outcome: 'rejected', messages: ['TaxPercentMustBeValid: no puede ser diferente de 8%'] });
  });

  it('per-document errors inside a 200: the batch tells which were created', async () => {
    const t = target({ batch: { chunkSize: 5 } });
    const docs = [1, 2, 3].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    login();
    counters(0);
    api().post('/digitalinvoice-core/batch/open').reply(200, ok(BATCH));
    api()
      .post('/digitalinvoice-core/documents/create')
      .reply(200, ok({ result: 'partial', errors: [{ internalPosition: 1, number: 2, errors: [{ errorMessage: "'Email To' no debería estar vacío" }] }] }));
    api()
      .get(`/digitalinvoice-core/batch/${BATCH}/documents`)
      .query(true)
      .reply(200, ok([record(1, t.systemReferenceFor(docs[0]!.idempotencyKey), { status: 'Created' })]));
    api().post('/digitalinvoice-core/batch/close').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/batch/approve').reply(200, ok(BATCH));
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', ...docs));
    expect(result.results.map((r) => r.outcome)).toEqual(['pending', 'rejected', 'failed']);
    expect(result.results[2]).toMatchObject({ kind: 'retryable', reason: expect.stringMatching(/waiting for Number 2/), notSent: true });
    expect(result.results[0]).not.toHaveProperty('notSent');
  });

  it('a 5xx to documents/create: what the batch does not hold goes again inside the same batch', async () => {
    const t = target();
    const docs = [1, 2, 3].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    login();
    counters(0);
    api().post('/digitalinvoice-core/batch/open').reply(500, { hasErrors: true, errors: [{ message: 'Internal error' }] });
    api().post('/digitalinvoice-core/batch/open').reply(200, ok(BATCH));
    const numbers: number[][] = [];
    const create = (status: number) =>
      api()
        .post('/digitalinvoice-core/documents/create')
        .reply(status, (_uri, body) => {
          numbers.push((body as { Docs: { Number: number }[] }).Docs.map((d) => d.Number));
          return status === 200 ? ok([]) : { hasErrors: true, errors: [{ message: 'Internal error' }] };
        });
    create(500);
    // The imprenta answered: the batch as read now is what it did — here, the first of the two.
    api()
      .get(`/digitalinvoice-core/batch/${BATCH}/documents`)
      .query(true)
      .reply(200, ok([record(1, t.systemReferenceFor(docs[0]!.idempotencyKey), { status: 'Created' })]));
    create(200);
    api().post('/digitalinvoice-core/batch/close').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/batch/approve').reply(200, ok(BATCH));
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', ...docs));
    expect(result.results.map((r) => r.outcome)).toEqual(['pending', 'pending', 'pending']);
    // Number 1 once (the batch held it); the next chunk starts again at 2.
    expect(numbers).toEqual([[1, 2], [2, 3]]);
  });

  it('a documents/create without an answer (dropped connection) is not resent: it may still be under way at the imprenta', async () => {
    const t = target();
    const docs = [1, 2, 3].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    login();
    counters(0);
    api().post('/digitalinvoice-core/batch/open').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/documents/create').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    api().get(`/digitalinvoice-core/batch/${BATCH}/documents`).query(true).reply(200, ok([]));
    api().post('/digitalinvoice-core/batch/close').reply(200, ok(BATCH));
    api().post('/digitalinvoice-core/batch/cancel').reply(200, ok(BATCH));
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', ...docs));
    expect(result.results.map((r) => [r.outcome, r.outcome === 'failed' ? r.kind : undefined, r.outcome === 'failed' ? (r.notSent ?? false) : undefined])).toEqual([
      ['failed', 'unknown_outcome', false],
      ['failed', 'unknown_outcome', false],
      // Never sent: waits for the two before it, and is not an attempt of its own.
      ['failed', 'unknown_outcome', true],
    ]);
  });

  it('nothing is sent when the counters cannot be read; a wire from another series is refused', async () => {
    const t = target();
    const doc = outgoing(t, 'invoice', 'inv-1', 1);
    const foreign = { ...doc, documentId: 'foreign', wire: { ...(doc.wire as object), SerieStrongId: NOTES_SERIE } };
    login();
    api().get('/digitalinvoice-core/series/counters').times(2).reply(503);
    const result = await t.submit(batchOf('b', 'invoice', 'A-FA', doc, foreign));
    expect(result.results[0]).toMatchObject({ outcome: 'failed', kind: 'retryable' });
    expect(result.results[1]).toMatchObject({ outcome: 'rejected', field: 'DocumentType' });
    expect(result.receipt).toBeUndefined();
  });
});

describe('status and lookup', () => {
  it('status: issued with the control number, pending without; a document the batch lost is looked up', async () => {
    const t = target();
    const docs = [1, 2, 3].map((n) => outgoing(t, 'invoice', `inv-${n}`, n));
    const receipt: UnidigitalReceipt = {
      serieStrongId: SERIE,
      documentType: 'FA',
      documents: Object.fromEntries(docs.map((d, i) => [d.documentId, { systemReference: t.systemReferenceFor(d.idempotencyKey), number: i + 1, batchId: BATCH }])),
    };
    login();
    api()
      .get(`/digitalinvoice-core/batch/${BATCH}/documents`)
      .query(true)
      .reply(200, ok([record(1, receipt.documents['inv-1']!.systemReference, { controlNumber: 31, controlNumberFormatted: '00-00000031', status: 'Assigned' }), record(2, receipt.documents['inv-2']!.systemReference)]));
    api().post('/digitalinvoice-core/documents/searchbysystemreference', { SystemReference: receipt.documents['inv-3']!.systemReference }).reply(200, ok(null));
    const status = await t.status(receipt, batchOf('b', 'invoice', 'A-FA', ...docs));
    expect(status.done).toBe(false);
    expect(status.results).toEqual([
      { documentId: 'inv-1', outcome: 'issued', fiscalNumber: 'FA-1', uuid: '00-00000031' },
      { documentId: 'inv-2', outcome: 'pending' },
      { documentId: 'inv-3', outcome: 'failed', kind: 'unknown_outcome', reason: expect.stringMatching(/no document under its SystemReference/) },
    ]);
  });

  it('status keeps documents pending when the batch cannot be read; refuses a foreign receipt', async () => {
    const t = target();
    const doc = outgoing(t, 'invoice', 'inv-1', 1);
    login();
    api().get(`/digitalinvoice-core/batch/${BATCH}/documents`).query(true).reply(500);
    const receipt = { serieStrongId: SERIE, documentType: 'FA', documents: { 'inv-1': { systemReference: 'puente:x', number: 1, batchId: BATCH } } };
    expect((await t.status(receipt, batchOf('b', 'invoice', 'A-FA', doc))).results).toEqual([{ documentId: 'inv-1', outcome: 'pending' }]);
    await expect(t.status({ zipKey: 'x' }, batchOf('b', 'invoice', 'A-FA', doc))).rejects.toThrow(/not a Unidigital receipt/);
  });

  it('lookup: a document of a cancelled batch was never issued (null: safe to send)', async () => {
    const t = target();
    const doc = outgoing(t, 'invoice', 'inv-1', 1);
    login();
    api().post('/digitalinvoice-core/documents/searchbysystemreference').reply(200, ok(record(1, 'puente:x', { status: 'Cancelled' })));
    expect(await t.lookup(doc)).toBeNull();
  });
});
