import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TuimprentaClient, TuimprentaError, retryAfterMsFrom } from '../../connectors/tuimprenta/client.js';
import { exampleInvoice } from '../../connectors/tuimprenta/sandbox/examples.js';
import { TargetError } from '../../src/errors.js';
import { invoiceResource as invoiceFixture } from './helpers.js';

const BASE = 'http://tuimprenta.test';
const KEY = 'sk_test_secret_value_123';

function client(overrides: Partial<ConstructorParameters<typeof TuimprentaClient>[0]> = {}) {
  return new TuimprentaClient({ baseUrl: BASE, apiKey: KEY, requestsPerMinute: 6000, retry: { retries: 2, minTimeout: 1, maxTimeout: 5 }, ...overrides });
}

const invoiceResource = (overrides: Record<string, unknown> = {}) => invoiceFixture(overrides, BASE);
const batchResource = (overrides: Record<string, unknown> = {}) => ({
  id: 'bat_1',
  object: 'batch',
  status: 'queued',
  counts: { total: 2, processed: 0, succeeded: 0, failed: 0 },
  callback_url: null,
  created_at: '2026-11-20T14:15:01.000Z',
  completed_at: null,
  ...overrides,
});
const apiError = (type: string, code: string, field: string | null = null, message = `${code} happened`) => ({ error: { type, message, field, code } });

async function failure(promise: Promise<unknown>): Promise<TuimprentaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TuimprentaError;
  }
  throw new Error('expected a failure');
}

const clients: TuimprentaClient[] = [];
const track = (c: TuimprentaClient) => (clients.push(c), c);

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(() => nock.enableNetConnect());

describe('TuimprentaClient calls', () => {
  it('pings with the API key as a bearer token', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}` } }).get('/v1/ping').reply(200, { ok: true, account: 'acct_1' });
    await expect(track(client()).ping()).resolves.toMatchObject({ ok: true });
    scope.done();
  });

  it('creates an invoice with its Idempotency-Key and tells a replayed answer apart', async () => {
    const body = exampleInvoice();
    nock(BASE, { reqheaders: { 'idempotency-key': 'doc-key-1', 'content-type': 'application/json' } })
      .post('/v1/invoices', body)
      .reply(201, invoiceResource())
      .post('/v1/invoices', body)
      .reply(201, invoiceResource(), { 'Idempotent-Replayed': 'true' });
    const c = track(client());
    expect(await c.createInvoice(body, 'doc-key-1')).toMatchObject({ replayed: false, invoice: { id: 'inv_1', control_number: '00-00000042' } });
    expect((await c.createInvoice(body, 'doc-key-1')).replayed).toBe(true);
  });

  it('gets, cancels and downloads a document', async () => {
    const pdf = Buffer.from('%PDF-1.4\nbinary\xff', 'latin1');
    nock(BASE)
      .get('/v1/invoices/inv_1')
      .reply(200, invoiceResource())
      .post('/v1/invoices/inv_1/cancel', { reason: 'Pedido cancelado' })
      .reply(200, invoiceResource({ status: 'cancelled', cancellation: { cancelled_at: '2026-11-20T15:00:00.000Z', method: 'annulment', credit_note_id: null } }))
      .get('/v1/invoices/inv_1/pdf')
      .matchHeader('accept', 'application/pdf')
      .reply(200, pdf, { 'Content-Type': 'application/pdf' })
      .get('/v1/invoices/inv_1/xml')
      .reply(200, '<DocumentoElectronico/>', { 'Content-Type': 'application/xml' });
    const c = track(client());
    expect((await c.getInvoice('inv_1')).status).toBe('issued');
    expect((await c.cancelInvoice('inv_1', 'Pedido cancelado')).cancellation?.method).toBe('annulment');
    expect((await c.invoicePdf('inv_1')).equals(pdf)).toBe(true);
    expect(await c.invoiceXml('inv_1')).toBe('<DocumentoElectronico/>');
  });

  it('lists with the documented query parameters and follows next_cursor', async () => {
    nock(BASE)
      .get('/v1/invoices')
      .query({ limit: '2', status: 'issued', series: 'A', created_from: '2026-11-19' })
      .reply(200, { object: 'list', data: [invoiceResource(), invoiceResource({ id: 'inv_2' })], next_cursor: 'cur_x', prev_cursor: null })
      .get('/v1/invoices')
      .query({ limit: '2', status: 'issued', series: 'A', created_from: '2026-11-19', starting_after: 'cur_x' })
      .reply(200, { object: 'list', data: [invoiceResource({ id: 'inv_3' })], next_cursor: null, prev_cursor: 'cur_' });
    const ids: string[] = [];
    for await (const page of track(client()).invoicePages({ limit: 2, status: 'issued', series: 'A', createdFrom: '2026-11-19' })) {
      ids.push(...page.data.map((i) => i.id));
    }
    expect(ids).toEqual(['inv_1', 'inv_2', 'inv_3']);
  });

  it('sends a JSON batch with per-row keys and callback_url, then reads its status and result', async () => {
    const row = { ...exampleInvoice(), idempotency_key: 'k1' };
    nock(BASE)
      .post('/v1/batches', { invoices: [row], callback_url: 'https://puente.example/cb' })
      .reply(202, batchResource())
      .get('/v1/batches/bat_1')
      .reply(200, batchResource({ status: 'completed', counts: { total: 1, processed: 1, succeeded: 1, failed: 0 } }))
      .get('/v1/batches/bat_1/result')
      .matchHeader('accept', 'application/json')
      .reply(200, { object: 'list', batch_id: 'bat_1', data: [{ row: 1, idempotency_key: 'k1', status: 'succeeded', invoice_id: 'inv_1', invoice: invoiceResource(), error: null }] })
      .get('/v1/batches/bat_1/result')
      .matchHeader('accept', 'text/csv')
      .reply(200, 'row,idempotency_key,status\r\n1,k1,succeeded\r\n', { 'Content-Type': 'text/csv' });
    const c = track(client());
    expect((await c.createBatch([row], 'https://puente.example/cb')).status).toBe('queued');
    expect((await c.getBatch('bat_1')).counts.succeeded).toBe(1);
    expect((await c.batchResult('bat_1')).data[0]!.invoice?.id).toBe('inv_1');
    expect(await c.batchResultCsv('bat_1')).toContain('1,k1,succeeded');
  });

  it('sends a CSV batch as multipart with the file in field "file"', async () => {
    let received = '';
    let contentType = '';
    nock(BASE)
      .post('/v1/batches', (body) => {
        received = typeof body === 'string' ? body : JSON.stringify(body);
        return true;
      })
      .reply(function reply() {
        contentType = String(this.req.headers['content-type']);
        return [202, batchResource()];
      });
    await track(client()).createBatchFromCsv('invoice_ref,series\r\n1,A\r\n', 'https://puente.example/cb');
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(received).toMatch(/name="file"; filename="invoices.csv"/);
    expect(received).toContain('invoice_ref,series\r\n1,A\r\n');
    expect(received).toMatch(/name="callback_url"\r\n\r\nhttps:\/\/puente.example\/cb/);
  });
});

describe('TuimprentaClient errors → dispatcher kinds', () => {
  it.each([
    [401, apiError('authentication_error', 'invalid_api_key'), 'auth'],
    [402, apiError('fiscal_error', 'invalid_rif', 'customer.identification.check_digit'), 'rejected'],
    [404, apiError('not_found_error', 'resource_missing'), 'rejected'],
    [409, apiError('idempotency_error', 'idempotency_key_reused'), 'rejected'],
    [409, apiError('idempotency_error', 'idempotency_key_in_use'), 'retryable'],
    [422, apiError('invalid_request_error', 'parameter_invalid', 'items[0].quantity'), 'rejected'],
    [500, apiError('api_error', 'internal_error'), 'retryable'],
  ] as const)('%i %j → %s', async (status, body, kind) => {
    nock(BASE).post('/v1/invoices').reply(status, body);
    const error = await failure(track(client()).createInvoice(exampleInvoice(), 'k'));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.code).toBe(body.error.code);
    expect(error.field).toBe(body.error.field ?? undefined);
    expect(error.messages).toEqual([body.error.message]);
    expect(error.message).not.toContain(KEY);
  });

  it('reads a 404 without a known resource as a wrong baseUrl (auth: an admin must fix it)', async () => {
    nock(BASE).get('/v1/invoices/inv_1').reply(404, '<html>Not Found</html>', { 'Content-Type': 'text/html' });
    const error = await failure(track(client()).getInvoice('inv_1'));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/check baseUrl/);
  });

  it('turns a 429 into rate_limited with the wait, and pauses every call until it has passed', async () => {
    const scope = nock(BASE)
      .get('/v1/invoices/inv_1')
      .reply(429, apiError('rate_limit_error', 'rate_limit_exceeded'), { 'Retry-After': '30', 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0' });
    const c = track(client());
    const error = await failure(c.getInvoice('inv_1'));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 30_000 });
    const paused = await failure(c.ping());
    expect(paused.kind).toBe('rate_limited');
    expect(paused.retryAfterMs).toBeGreaterThan(25_000);
    scope.done(); // the ping never reached the API
  });

  it('reads a 503 with Retry-After as rate_limited and without it as retryable', async () => {
    nock(BASE)
      .post('/v1/batches')
      .reply(503, apiError('api_error', 'service_unavailable'), { 'Retry-After': '2' })
      .post('/v1/batches')
      .reply(503, apiError('api_error', 'service_unavailable'));
    const error = await failure(track(client()).createBatch([]));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    expect((await failure(track(client()).createBatch([]))).kind).toBe('retryable');
  });

  it('retries a read through a network blip and a 502', async () => {
    nock(BASE).get('/v1/invoices/inv_1').replyWithError('socket hang up').get('/v1/invoices/inv_1').reply(502, 'bad gateway').get('/v1/invoices/inv_1').reply(200, invoiceResource());
    expect((await track(client()).getInvoice('inv_1')).id).toBe('inv_1');
  });

  it('retries a read through a 500 and a 503 too (a read changes nothing), but never a write', async () => {
    nock(BASE)
      .get('/v1/invoices')
      .query(true)
      .reply(500, apiError('api_error', 'internal'))
      .get('/v1/invoices')
      .query(true)
      .reply(503, apiError('api_error', 'service_unavailable'))
      .get('/v1/invoices')
      .query(true)
      .reply(200, { object: 'list', data: [invoiceResource()], next_cursor: null, prev_cursor: null });
    expect((await track(client()).listInvoices()).data.map((invoice) => invoice.id)).toEqual(['inv_1']);
    let cancels = 0;
    nock(BASE)
      .post('/v1/invoices/inv_1/cancel')
      .times(2)
      .reply(() => {
        cancels++;
        return [500, apiError('api_error', 'internal')];
      });
    await failure(track(client()).cancelInvoice('inv_1'));
    expect(cancels).toBe(1);
    nock.cleanAll();
  });

  it('gives up on a read after its retries with retryable', async () => {
    nock(BASE).get('/v1/ping').times(3).replyWithError('ECONNRESET');
    expect((await failure(track(client()).ping())).kind).toBe('retryable');
  });

  it('repeats a keyed create with the same key, and reports unknown_outcome when every try is lost', async () => {
    const scope = nock(BASE, { reqheaders: { 'idempotency-key': 'doc-key-9' } })
      .post('/v1/invoices')
      .times(3)
      .replyWithError('ECONNRESET');
    const error = await failure(track(client()).createInvoice(exampleInvoice(), 'doc-key-9'));
    expect(error.kind).toBe('unknown_outcome');
    expect(error.message).toMatch(/replay the Idempotency-Key/);
    scope.done(); // one try and two retries, all with the same key
  });

  it('retries a keyed create after a blip with the very same key and body', async () => {
    const keys: string[] = [];
    const bodies: string[] = [];
    nock(BASE)
      .post('/v1/invoices')
      .replyWithError('ECONNRESET')
      .post('/v1/invoices')
      .reply(function reply(_uri, body) {
        keys.push(String(this.req.headers['idempotency-key']));
        bodies.push(JSON.stringify(body));
        return [201, invoiceResource()];
      });
    await track(client()).createInvoice(exampleInvoice({ notes: 'x' }), 'doc-key-10');
    expect(keys).toEqual(['doc-key-10']);
    expect(JSON.parse(bodies[0]!).notes).toBe('x');
  });

  it('never repeats a batch or a cancel: a lost answer is unknown_outcome at once', async () => {
    const scope = nock(BASE).post('/v1/batches').replyWithError('ECONNRESET').post('/v1/invoices/inv_1/cancel').replyWithError('ECONNRESET');
    const c = track(client());
    expect((await failure(c.createBatch([]))).kind).toBe('unknown_outcome');
    expect((await failure(c.cancelInvoice('inv_1'))).kind).toBe('unknown_outcome');
    scope.done();
  });

  it('treats a 2xx it cannot read as retryable for reads and unknown_outcome for writes', async () => {
    nock(BASE)
      .get('/v1/invoices/inv_1')
      .reply(200, '{"id":', { 'Content-Type': 'application/json' })
      .post('/v1/invoices')
      .reply(201, { id: 'inv_1', object: 'something else' });
    const c = track(client({ retry: { retries: 0 } }));
    expect((await failure(c.getInvoice('inv_1'))).kind).toBe('retryable');
    expect((await failure(c.createInvoice(exampleInvoice(), 'k'))).kind).toBe('unknown_outcome');
  });
});

describe('rate limit headers', () => {
  it('keep the limiter’s allowance at what the API says is left', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 30);
    nock(BASE).get('/v1/ping').reply(200, { ok: true }, { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '7', 'X-RateLimit-Reset': reset });
    const c = track(client());
    await c.ping();
    expect(await c.limiter.currentReservoir()).toBe(7);
  });

  it('hold requests once the window is spent instead of sending them into a 429', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 30);
    const scope = nock(BASE).get('/v1/ping').reply(200, { ok: true }, { 'X-RateLimit-Limit': '60', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset });
    const second = nock(BASE).get('/v1/ping').reply(200, { ok: true });
    const c = track(client());
    await c.ping();
    expect(await c.limiter.currentReservoir()).toBe(0);
    void c.ping().catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(c.limiter.counts().QUEUED + c.limiter.counts().RECEIVED).toBe(1);
    expect(second.isDone()).toBe(false);
    scope.done();
  });

  it('Retry-After as seconds or date, else X-RateLimit-Reset, else a minute', () => {
    const now = Date.parse('2026-11-20T12:00:00Z');
    expect(retryAfterMsFrom(new Headers({ 'retry-after': '12' }), now)).toBe(12_000);
    expect(retryAfterMsFrom(new Headers({ 'retry-after': 'Fri, 20 Nov 2026 12:00:05 GMT' }), now)).toBe(5_000);
    expect(retryAfterMsFrom(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 9) }), now)).toBe(9_000);
    expect(retryAfterMsFrom(new Headers(), now)).toBe(60_000);
  });
});
