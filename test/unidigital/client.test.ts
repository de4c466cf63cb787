/**
 * UnidigitalClient against nock: every call's request and answer, the envelope, auth and token
 * renewal, the 429 "still processing" quirk, and how each failure becomes a TargetError kind.
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnidigitalBatchExistsError, UnidigitalClient, UnidigitalDocumentsRejectedError, retryAfterMsFrom, sha512Hex } from '../../connectors/unidigital/client.js';
import { TargetError } from '../../src/errors.js';

const ORIGIN = 'http://unidigital.test';
const BASE = `${ORIGIN}/digitalinvoice-core`;
const PASSWORD = 'S3creta!';
const DIGEST = sha512Hex(PASSWORD);
const SERIE = '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f';
const BATCH = '3f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b';

const ok = (result: unknown, information: string[] = []) => ({ result, errors: [], warnings: [], information, success: [], hasErrors: false });
const failed = (errors: Array<{ code?: string; message: string; extra?: unknown }>, result: unknown = null) => ({ result, errors, information: [], hasErrors: true });
const loginBody = (token: string) => ({ userName: 'ops@tienda.example', accessToken: token, refreshToken: 'r', series: [], templates: [], information: [], errors: [], environment: 'QA' });

let clock = 1_800_000_000_000;
const clients: UnidigitalClient[] = [];
function client(overrides: Partial<ConstructorParameters<typeof UnidigitalClient>[0]> = {}) {
  const c = new UnidigitalClient({
    baseUrl: BASE,
    userName: 'ops@tienda.example',
    passwordDigest: DIGEST,
    retry: { retries: 2, minTimeout: 1, maxTimeout: 5 },
    busy: { retries: 2, minTimeout: 1, maxTimeout: 5 },
    now: () => clock,
    ...overrides,
  });
  clients.push(c);
  return c;
}

function expectLogin(token = 'tok-1') {
  return nock(ORIGIN)
    .post('/digitalinvoice-core/user/login', { UserName: 'ops@tienda.example', Password: DIGEST })
    .reply(200, loginBody(token));
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TargetError);
  return error as TargetError;
}

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(async () => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

describe('auth', () => {
  it('logs in with the SHA-512 hex digest and sends the bearer token; the password never leaves in clear', async () => {
    expect(DIGEST).toMatch(/^[0-9a-f]{128}$/);
    expectLogin('tok-1');
    const counters = nock(ORIGIN, { reqheaders: { authorization: 'Bearer tok-1' } })
      .get('/digitalinvoice-core/series/counters')
      .reply(200, ok([{ strongId: SERIE, serie: 'A', documentType: 'FA', counter: 41 }, { strongId: SERIE, serie: 'A', documentType: 'NC', counter: '3' }]));
    const c = client();
    expect(await c.counters()).toEqual([
      { serieStrongId: SERIE, serieName: 'A', documentType: 'FA', counter: 41 },
      { serieStrongId: SERIE, serieName: 'A', documentType: 'NC', counter: 3 },
    ]);
    expect(counters.isDone()).toBe(true);
  });

  it('reuses the token, and renews it after 7 hours, before it can expire', async () => {
    expectLogin('tok-1');
    nock(ORIGIN, { reqheaders: { authorization: 'Bearer tok-1' } }).get('/digitalinvoice-core/series').twice().reply(200, ok([]));
    const c = client();
    await c.series();
    clock += 7 * 3_600_000 - 1;
    await c.series();
    expect(c.logins).toBe(1);
    clock += 1;
    expectLogin('tok-2');
    nock(ORIGIN, { reqheaders: { authorization: 'Bearer tok-2' } }).get('/digitalinvoice-core/series').reply(200, ok([{ strongId: SERIE, name: 'A', useSystemReferenceAsKey: true }]));
    expect(await c.series()).toEqual([{ strongId: SERIE, name: 'A', useSystemReferenceAsKey: true }]);
    expect(c.logins).toBe(2);
  });

  it('on 401 logs in again once and repeats the request once', async () => {
    expectLogin('old');
    nock(ORIGIN, { reqheaders: { authorization: 'Bearer old' } }).get('/digitalinvoice-core/series').reply(401, failed([{ message: 'expirado' }]));
    expectLogin('new');
    nock(ORIGIN, { reqheaders: { authorization: 'Bearer new' } }).get('/digitalinvoice-core/series').reply(200, ok([]));
    const c = client();
    expect(await c.series()).toEqual([]);
    expect(c.logins).toBe(2);
  });

  it('a second 401 is auth, and refused credentials are auth without the password in the message', async () => {
    expectLogin('a');
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(401);
    expectLogin('b');
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(401);
    const error = await failure(client().series());
    expect(error.kind).toBe('auth');

    nock(ORIGIN).post('/digitalinvoice-core/user/login').reply(400, failed([{ code: 'InvalidCredentials', message: 'Usuario o contraseña inválidos' }]));
    const refused = await failure(client().series());
    expect(refused.kind).toBe('auth');
    expect(refused.messages).toEqual(['InvalidCredentials: Usuario o contraseña inválidos']);
    expect(JSON.stringify({ message: refused.message, messages: refused.messages })).not.toContain(PASSWORD);
    expect(JSON.stringify({ message: refused.message, messages: refused.messages })).not.toContain(DIGEST);
  });
});

describe('the envelope and failures', () => {
  it('hasErrors: true under HTTP 200 is a failure (a read: retryable)', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series/counters').reply(200, failed([{ code: 'X', message: 'algo salió mal' }]));
    const error = await failure(client().counters());
    expect(error).toMatchObject({ kind: 'retryable', status: 200, messages: ['X: algo salió mal'] });
  });

  it('400 is a business rejection, never repeated, with the field named from the message', async () => {
    expectLogin();
    const scope = nock(ORIGIN)
      .post('/digitalinvoice-core/documents/createandapprove')
      .once()
      .reply(400, failed([{ code: 'DocumentCantBeBuild', message: "'Email To' no debería estar vacío" }]));
    const error = await failure(client().createAndApprove({ Number: 1 }));
    expect(error).toMatchObject({ kind: 'rejected', status: 400, field: 'EmailTo', messages: ["DocumentCantBeBuild: 'Email To' no debería estar vacío"] });
    expect(scope.isDone()).toBe(true);
  });

  it('429 "still processing" is repeated after a short wait; if it persists it is rate_limited', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(429, failed([{ message: 'Tu petición anterior sigue en proceso' }]));
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(200, ok([]));
    expect(await client().series()).toEqual([]);

    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/close', { Id: BATCH }).times(3).reply(429, failed([{ message: 'Tu petición anterior sigue en proceso' }]), { 'Retry-After': '2' });
    const error = await failure(client().closeBatch(BATCH, SERIE));
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
  });

  it('network blips are retried on reads; a lost write answer is unknown_outcome and not repeated', async () => {
    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/documents/searchbysystemreference').replyWithError('socket hang up');
    nock(ORIGIN).post('/digitalinvoice-core/documents/searchbysystemreference', { SystemReference: 'puente:k' }).reply(200, ok(null, ['No se encontró']));
    expect(await client().searchBySystemReference('puente:k')).toBeNull();

    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/approve').once().replyWithError('socket hang up');
    expect((await failure(client().approveBatch(BATCH, SERIE))).kind).toBe('unknown_outcome');
  });

  it('5xx is retryable; 502-504 on reads are retried first; 404/405 on a route is a configuration problem', async () => {
    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/open').reply(500, failed([{ message: 'Error interno' }]));
    expect((await failure(client().openBatch(SERIE))).kind).toBe('retryable');

    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(503);
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(200, ok([]));
    expect(await client().series()).toEqual([]);

    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series/counters').reply(404);
    expect((await failure(client().counters())).message).toMatch(/check baseUrl/);
  });

  it('a 2xx without the envelope: retryable for a read, unknown_outcome for a write', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series').reply(200, '<html>proxy</html>');
    expect((await failure(client().series())).kind).toBe('retryable');
    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/approve').reply(200, 'OK');
    expect((await failure(client().approveBatch(BATCH))).kind).toBe('unknown_outcome');
  });

  it('retryAfterMsFrom reads seconds and HTTP dates, else a short default', () => {
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '3' }), 0)).toBe(3000);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMsFrom(new Headers(), 0)).toBe(5000);
  });
});

describe('batches', () => {
  it('reads the batch id from result.StrongId or a bare result', async () => {
    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/open', { SerieStrongId: SERIE }).reply(200, ok({ StrongId: BATCH }));
    nock(ORIGIN).post('/digitalinvoice-core/batch/open', { SerieStrongId: SERIE }).reply(200, ok('bare-id'));
    const c = client();
    expect(await c.openBatch(SERIE)).toBe(BATCH);
    expect(await c.openBatch(SERIE)).toBe('bare-id');
  });

  it('BATCH_EXISTS carries the open batch', async () => {
    expectLogin();
    nock(ORIGIN)
      .post('/digitalinvoice-core/batch/open')
      .reply(400, failed([{ code: 'BATCH_EXISTS', message: 'Ya existe un lote abierto', extra: { strongId: BATCH, date: '2026-11-20T10:00:00', serieStrongId: SERIE } }]));
    const error = await failure(client().openBatch(SERIE));
    expect(error).toBeInstanceOf(UnidigitalBatchExistsError);
    expect(error).toMatchObject({ kind: 'retryable', existingBatchId: BATCH, openedAt: '2026-11-20T10:00:00' });
  });

  it('documents/create: created documents, and per-document errors in Galac’s shape', async () => {
    expectLogin();
    nock(ORIGIN)
      .post('/digitalinvoice-core/documents/create', { BatchStrongId: BATCH, Docs: [{ Number: 1 }, { Number: 2 }] })
      .reply(200, ok([{ StrongId: 'd1', Number: 1, SystemReference: 'puente:a' }, { StrongId: 'd2', Number: 2, SystemReference: 'puente:b' }]));
    nock(ORIGIN)
      .post('/digitalinvoice-core/documents/create')
      .reply(
        400,
        failed([{ code: 'DocumentCantBeBuild', message: 'Documento inválido' }], {
          result: 'error',
          errors: [{ internalPosition: 1, documentType: 'FA', number: 2, errors: [{ errorType: 'Validation', whatIsEval: 'EmailTo', errorMessage: "'Email To' no debería estar vacío" }], message: 'x', code: 'DocumentCantBeBuild' }],
        }),
      );
    const c = client();
    expect(await c.createDocuments(BATCH, [{ Number: 1 }, { Number: 2 }])).toEqual({
      created: [
        { strongId: 'd1', number: 1, systemReference: 'puente:a' },
        { strongId: 'd2', number: 2, systemReference: 'puente:b' },
      ],
      failures: [],
    });
    const error = await failure(c.createDocuments(BATCH, [{ Number: 1 }, { Number: 2 }]));
    expect(error).toBeInstanceOf(UnidigitalDocumentsRejectedError);
    expect((error as UnidigitalDocumentsRejectedError).failures).toEqual([
      { position: 1, number: 2, documentType: 'FA', messages: ["EmailTo: 'Email To' no debería estar vacío", 'x'], code: 'DocumentCantBeBuild' },
    ]);
  });

  it('close, approve, cancel; batch status (404 → undefined); every page of a batch’s documents', async () => {
    expectLogin();
    for (const verb of ['close', 'approve', 'cancel']) nock(ORIGIN).post(`/digitalinvoice-core/batch/${verb}`, { Id: BATCH }).reply(200, ok(BATCH));
    nock(ORIGIN).get(`/digitalinvoice-core/batch/${BATCH}`).reply(200, ok({ strongId: BATCH, currentStatus: 3 }));
    nock(ORIGIN).get('/digitalinvoice-core/batch/unknown').reply(404, failed([{ message: 'El lote no existe' }]));
    const doc = (n: number) => ({ strongId: `d${n}`, codeName: 'FA', number: n, controlNumber: n, controlNumberFormatted: `00-0000000${n}`, status: 'Assigned', systemReference: `puente:${n}`, annulled: false });
    nock(ORIGIN).get(`/digitalinvoice-core/batch/${BATCH}/documents`).query({ Number: '1', Size: '2' }).reply(200, { ...ok([doc(1), doc(2)]), totalCount: 3 });
    nock(ORIGIN).get(`/digitalinvoice-core/batch/${BATCH}/documents`).query({ Number: '2', Size: '2' }).reply(200, { ...ok([doc(3)]), totalCount: 3 });
    const c = client();
    await c.closeBatch(BATCH, SERIE);
    await c.approveBatch(BATCH, SERIE);
    await c.cancelBatch(BATCH, SERIE);
    expect(await c.batch(BATCH)).toEqual({ strongId: BATCH, currentStatus: 3 });
    expect(await c.batch('unknown')).toBeUndefined();
    const documents = await c.batchDocuments(BATCH, { pageSize: 2 });
    expect(documents.map((d) => [d.number, d.controlNumberFormatted, d.systemReference])).toEqual([
      [1, '00-00000001', 'puente:1'],
      [2, '00-00000002', 'puente:2'],
      [3, '00-00000003', 'puente:3'],
    ]);
  });

  it('serializes the requests of one series (maxConcurrent 1), and lets another series run alongside', async () => {
    expectLogin();
    let inFlight = 0;
    let most = 0;
    const slow = () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      return new Promise<[number, unknown]>((resolve) =>
        setTimeout(() => {
          inFlight -= 1;
          resolve([200, ok(BATCH)]);
        }, 20),
      );
    };
    nock(ORIGIN).post('/digitalinvoice-core/batch/close').times(3).reply(slow);
    const c = client();
    await Promise.all([c.closeBatch('b1', SERIE), c.closeBatch('b2', SERIE), c.closeBatch('b3', SERIE)]);
    expect(most).toBe(1);

    most = 0;
    nock(ORIGIN).post('/digitalinvoice-core/batch/close').times(2).reply(slow);
    await Promise.all([c.closeBatch('b4', SERIE), c.closeBatch('b5', 'another-serie')]);
    expect(most).toBe(2);
  });
});

describe('documents', () => {
  it('searchbysystemreference: the document, or null', async () => {
    expectLogin();
    nock(ORIGIN)
      .post('/digitalinvoice-core/documents/searchbysystemreference', { SystemReference: 'puente:x' })
      .reply(200, ok({ strongId: 'd1', codeName: 'FA', number: 9, controlNumber: 0, controlNumberFormatted: '-1', status: 'Approved', annulled: false, information: ['El documento aún no ha sido convertido a documento fiscal'] }));
    nock(ORIGIN).post('/digitalinvoice-core/documents/searchbysystemreference').reply(404, failed([{ message: 'No existe' }]));
    nock(ORIGIN).post('/digitalinvoice-core/documents/searchbysystemreference').reply(200, failed([{ code: 'DocumentNotFound', message: 'El documento no existe' }]));
    nock(ORIGIN).post('/digitalinvoice-core/documents/searchbysystemreference').reply(200, failed([{ message: 'Error de base de datos' }]));
    const c = client();
    expect(await c.searchBySystemReference('puente:x')).toMatchObject({ number: 9, controlNumber: 0, status: 'Approved', information: ['El documento aún no ha sido convertido a documento fiscal'] });
    expect(await c.searchBySystemReference('puente:y')).toBeNull();
    // "Not found" said as an error under 200 is an answer too; any other error is not.
    expect(await c.searchBySystemReference('puente:z')).toBeNull();
    expect((await failure(c.searchBySystemReference('puente:w'))).kind).toBe('retryable');
  });

  it('GET documents?strongId=, createandapprove returns the strongId, annulment by the integer control number', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/documents').query({ strongId: 'd1' }).reply(200, ok({ strongId: 'd1', number: 4, controlNumber: 12, controlNumberFormatted: '00-00000012', status: 'Assigned', annulled: true }));
    nock(ORIGIN).post('/digitalinvoice-core/documents/createandapprove').reply(200, ok('d2', ['creado y aprobado satisfactoriamente']));
    nock(ORIGIN).post('/digitalinvoice-core/documents/anulled', { Control: 12 }).reply(200, ok('d1', ['Documento anulado satisfactorimente']));
    const c = client();
    expect(await c.document('d1')).toMatchObject({ controlNumber: 12, annulled: true });
    expect(await c.createAndApprove({ Number: 5 })).toBe('d2');
    await c.annul(12);
    await expect(c.annul(0)).rejects.toThrow(RangeError);
  });
});
