/**
 * A 500 on a Unidigital read (series/counters, the batch's documents, a search) is tried again inside
 * the client: every submit starts with a counters read, and failing the whole submit — and backing
 * off every document of it — for a read that changes nothing stalled the chaos run's Unidigital
 * series. Writes keep their classification (a 500 on batch/open stays retryable, no second try).
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnidigitalClient, sha512Hex } from '../../connectors/unidigital/client.js';
import { TargetError } from '../../src/errors.js';

const ORIGIN = 'http://unidigital.test';
const DIGEST = sha512Hex('S3creta!');
const SERIE = '6b0f2a9e-3c1d-4e8b-9f27-5a4d3c2b1e0f';
const ok = (result: unknown) => ({ result, errors: [], warnings: [], information: [], success: [], hasErrors: false });
const failed = (message: string) => ({ result: null, errors: [{ message }], information: [], hasErrors: true });

const clients: UnidigitalClient[] = [];
function client() {
  const c = new UnidigitalClient({
    baseUrl: `${ORIGIN}/digitalinvoice-core`,
    userName: 'ops@tienda.example',
    passwordDigest: DIGEST,
    retry: { retries: 2, minTimeout: 1, maxTimeout: 5 },
    busy: { retries: 2, minTimeout: 1, maxTimeout: 5 },
  });
  clients.push(c);
  return c;
}
function expectLogin() {
  nock(ORIGIN)
    .post('/digitalinvoice-core/user/login')
    .reply(200, { userName: 'ops@tienda.example', accessToken: 'tok', refreshToken: 'r', series: [], templates: [], information: [], errors: [], environment: 'QA' });
}

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  await Promise.all(clients.splice(0).map((c) => c.close?.()));
});
afterAll(() => nock.enableNetConnect());

describe('Unidigital reads retry a 500', () => {
  it('series/counters answered 500 once is asked again and its answer used', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series/counters').reply(500, failed('Error interno del servidor'));
    const second = nock(ORIGIN).get('/digitalinvoice-core/series/counters').reply(200, ok([]));
    await client().counters();
    expect(second.isDone()).toBe(true);
  });

  it('a 500 on every try of a read ends retryable', async () => {
    expectLogin();
    nock(ORIGIN).get('/digitalinvoice-core/series/counters').times(3).reply(500, failed('Error interno del servidor'));
    const error = await client().counters().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    expect((error as TargetError).kind).toBe('retryable');
  });

  it('a 500 on a write (batch/open) is not tried again', async () => {
    expectLogin();
    nock(ORIGIN).post('/digitalinvoice-core/batch/open').reply(500, failed('Error interno'));
    const again = nock(ORIGIN).post('/digitalinvoice-core/batch/open').reply(200, ok('x'));
    const error = await client().openBatch(SERIE).then(() => undefined, (e: unknown) => e);
    expect((error as TargetError).kind).toBe('retryable');
    expect(again.isDone()).toBe(false);
  });
});
